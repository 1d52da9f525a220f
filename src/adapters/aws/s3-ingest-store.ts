// AWS adapters: the ingestion object store on S3. A staged object is a multipart upload that is
// completed on commit (until then S3 shows nothing under the key), so a batch appears whole or not
// at all. Small objects are held in memory and written with one PutObject on commit instead, within
// a memory budget shared by the store. Memory use is bounded by the part size per open object.
// NDJSON objects are gzip-compressed here (gzip-lines.ts), in parts of the same size.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type {
  IngestObjectStore,
  ObjectRef,
  StagedLines,
  StagedMembers,
  StagedObject,
  StorageArea,
} from '../../ports/object-store';
import { GzipStagedLines, GzipStagedMembers } from '../gzip-lines';

export interface S3IngestStoreOptions {
  /** Bytes per multipart part (S3 needs at least 5 MiB for all parts but the last). @default 8 MiB */
  readonly partBytes?: number;
  /** Bytes of finished small objects held in memory until commit, in all. @default 64 MiB */
  readonly heldBytes?: number;
  /** zlib level of NDJSON objects, 1 (fastest) to 9 (smallest). @default 6 */
  readonly gzipLevel?: number;
}

const MIB = 1024 * 1024;

export class S3IngestStore implements IngestObjectStore {
  private readonly partBytes: number;
  private readonly heldBudget: number;
  private readonly gzipLevel: number;
  /** Bytes currently held by ended, uncommitted small objects. */
  held = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly buckets: Readonly<Record<StorageArea, string>>,
    options: S3IngestStoreOptions = {},
  ) {
    this.partBytes = Math.max(5 * MIB, options.partBytes ?? 8 * MIB);
    this.heldBudget = options.heldBytes ?? 64 * MIB;
    this.gzipLevel = options.gzipLevel ?? 6;
  }

  bucket(area: StorageArea): string {
    return this.buckets[area];
  }

  stage(ref: ObjectRef, contentType: string): StagedObject {
    return new S3StagedObject(
      this.s3,
      this,
      this.buckets[ref.area],
      ref.key,
      contentType,
      this.partBytes,
      this.heldBudget,
    );
  }

  stageLines(ref: ObjectRef): StagedLines {
    return new GzipStagedLines(this.stage(ref, 'application/x-ndjson'), {
      bucket: this.buckets[ref.area],
      key: ref.key,
      level: this.gzipLevel,
      partBytes: this.partBytes,
    });
  }

  stageMembers(ref: ObjectRef): StagedMembers {
    return new GzipStagedMembers(this.stage(ref, 'application/x-ndjson'), {
      bucket: this.buckets[ref.area],
      key: ref.key,
      level: this.gzipLevel,
    });
  }

  async put(ref: ObjectRef, body: string | Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.buckets[ref.area], Key: ref.key, Body: body, ContentType: contentType }),
    );
  }

  async get(ref: ObjectRef): Promise<Uint8Array | null> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.buckets[ref.area], Key: ref.key }));
      return Body ? await Body.transformToByteArray() : new Uint8Array(0);
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }
}

class S3StagedObject implements StagedObject {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private uploadId: string | undefined;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];
  private heldBytes = 0;
  private done = false;

  constructor(
    private readonly s3: S3Client,
    private readonly store: S3IngestStore,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes: number,
    private readonly heldBudget: number,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    if (this.buffered >= this.partBytes) await this.uploadPart();
  }

  private async uploadPart(): Promise<void> {
    if (!this.uploadId) {
      const { UploadId } = await this.s3.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }),
      );
      this.uploadId = UploadId;
    }
    const body = this.chunks.length === 1 ? (this.chunks[0] as Uint8Array) : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    const PartNumber = this.parts.length + 1;
    const { ETag } = await this.s3.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }),
    );
    this.parts.push({ ETag: ETag ?? '', PartNumber });
  }

  async end(): Promise<void> {
    if (this.uploadId) {
      if (this.buffered > 0) await this.uploadPart();
      return;
    }
    // Small enough to keep until commit (one PutObject), unless the store holds too much already.
    if (this.store.held + this.buffered <= this.heldBudget) {
      this.heldBytes = this.buffered;
      this.store.held += this.heldBytes;
      return;
    }
    await this.uploadPart();
  }

  async commit(): Promise<void> {
    if (this.done) return;
    if (this.uploadId) {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
        }),
      );
    } else {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: Buffer.concat(this.chunks, this.buffered),
          ContentType: this.contentType,
        }),
      );
    }
    this.release();
  }

  async abort(): Promise<void> {
    if (this.done) return;
    const uploadId = this.uploadId;
    this.release();
    if (uploadId) {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }));
    }
  }

  private release(): void {
    this.done = true;
    this.chunks = [];
    this.buffered = 0;
    this.store.held -= this.heldBytes;
    this.heldBytes = 0;
  }
}

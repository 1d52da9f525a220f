// Use case support: one staged object written as gzip-compressed NDJSON, with its record count,
// event-time range, byte count and SHA-256 kept for the manifest. Compressed bytes are held until
// they make a part (PART_BYTES), then handed to the store; `pendingBytes` tells the owner how much
// is held, so that it can bound the memory of many open objects.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import type { WrittenObject } from '../../domain/ingest/manifest';
import type { ObjectRef, StagedObject } from '../../ports/object-store';

/** Compressed bytes handed to the store at once: one multipart part. */
export const PART_BYTES = 8 * 1024 * 1024;

export type WrittenKind = WrittenObject['kind'];

export class GzipNdjsonObject {
  private readonly gzip: Gzip;
  private readonly hash = createHash('sha256');
  private out: Buffer[] = [];
  private outBytes = 0;
  private bytes = 0;
  private records = 0;
  /** Bytes appended before compression. */
  uncompressedBytes = 0;
  private minEventTime = Number.POSITIVE_INFINITY;
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private failure: Error | undefined;
  private ended = false;

  constructor(
    readonly ref: ObjectRef,
    readonly staged: StagedObject,
    private readonly meta: { kind: WrittenKind; bucket: string; dataset: string },
    level: number,
  ) {
    this.gzip = createGzip({ level, chunkSize: 64 * 1024 });
    this.gzip.on('data', (chunk: Buffer) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      this.out.push(chunk);
      this.outBytes += chunk.length;
    });
    this.gzip.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Appends complete lines (each ending in `\n`) holding `records` records. */
  async append(
    lines: string | Uint8Array,
    records: number,
    minEventTime?: number,
    maxEventTime?: number,
  ): Promise<void> {
    if (this.failure) throw this.failure;
    this.records += records;
    this.uncompressedBytes += typeof lines === 'string' ? Buffer.byteLength(lines) : lines.byteLength;
    if (minEventTime !== undefined && minEventTime < this.minEventTime) this.minEventTime = minEventTime;
    if (maxEventTime !== undefined && maxEventTime > this.maxEventTime) this.maxEventTime = maxEventTime;
    if (!this.gzip.write(lines)) await once(this.gzip, 'drain');
    if (this.outBytes >= PART_BYTES) await this.flush();
  }

  /** Compressed bytes held in memory, not yet handed to the store. */
  get pendingBytes(): number {
    return this.outBytes;
  }

  private async flush(): Promise<void> {
    if (this.outBytes === 0) return;
    const body = Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    await this.staged.write(body);
  }

  /** Finishes the compressed stream and uploads the rest; the object is still invisible. */
  async end(): Promise<WrittenObject> {
    if (!this.ended) {
      this.ended = true;
      const done = once(this.gzip, 'end');
      this.gzip.end();
      await done;
      if (this.failure) throw this.failure;
      await this.flush();
      await this.staged.end();
    }
    return {
      kind: this.meta.kind,
      bucket: this.meta.bucket,
      key: this.ref.key,
      dataset: this.meta.dataset,
      records: this.records,
      bytes: this.bytes,
      sha256: this.hash.copy().digest('hex'),
      minEventTime: Number.isFinite(this.minEventTime) ? this.minEventTime : null,
      maxEventTime: Number.isFinite(this.maxEventTime) ? this.maxEventTime : null,
    };
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.staged.abort();
  }
}

// Adapters: an NDJSON object written gzip-compressed onto a staged byte object, with its record
// count, event-time range, byte count and SHA-256 kept for the manifest. Compressed bytes are held
// until they make an upload part, then handed to the staged object. Or the same object as a run of
// gzip members, each with its own offset, byte count and SHA-256. Shared by the object stores.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip, type Gzip, gzip } from 'node:zlib';
import type { StagedLines, StagedMembers, StagedObject, StoredLines, StoredMember } from '../ports/object-store';

export interface GzipLinesOptions {
  readonly bucket: string;
  readonly key: string;
  /** zlib level, 1 (fastest) to 9 (smallest). @default 6 */
  readonly level?: number;
  /** Compressed bytes handed to the staged object at once: one upload part. @default 8 MiB */
  readonly partBytes?: number;
}

export class GzipStagedLines implements StagedLines {
  private readonly gzip: Gzip;
  private readonly hash = createHash('sha256');
  private readonly partBytes: number;
  private out: Buffer[] = [];
  private outBytes = 0;
  private bytes = 0;
  private records = 0;
  uncompressedBytes = 0;
  private minEventTime = Number.POSITIVE_INFINITY;
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private failure: Error | undefined;
  private ended = false;

  constructor(
    private readonly staged: StagedObject,
    private readonly options: GzipLinesOptions,
  ) {
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    this.gzip = createGzip({ level: options.level ?? 6, chunkSize: 64 * 1024 });
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
    if (this.outBytes >= this.partBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.outBytes === 0) return;
    const body = Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    await this.staged.write(body);
  }

  async end(): Promise<StoredLines> {
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
      bucket: this.options.bucket,
      key: this.options.key,
      records: this.records,
      bytes: this.bytes,
      sha256: this.hash.copy().digest('hex'),
      minEventTime: Number.isFinite(this.minEventTime) ? this.minEventTime : null,
      maxEventTime: Number.isFinite(this.maxEventTime) ? this.maxEventTime : null,
    };
  }

  async commit(): Promise<void> {
    await this.staged.commit();
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.staged.abort();
  }
}

const gzipAsync = promisify(gzip);

/**
 * An NDJSON object of gzip members: each `add` compresses its lines as one member (held whole while
 * compressed: the caller bounds a member's size) and hands the member's bytes to the staged object.
 * Members are added one at a time, in order, so offsets follow the calls.
 */
export class GzipStagedMembers implements StagedMembers {
  bytes = 0;
  private adding = false;
  private ended = false;

  constructor(
    private readonly staged: StagedObject,
    private readonly options: Omit<GzipLinesOptions, 'partBytes'>,
  ) {}

  async add(
    lines: readonly Uint8Array[],
    records: number,
    minEventTime?: number,
    maxEventTime?: number,
  ): Promise<StoredMember> {
    if (this.adding || this.ended)
      throw new Error(`${this.options.key}: a member is added after the end or during another`);
    this.adding = true;
    try {
      const member = await gzipAsync(Buffer.concat(lines), { level: this.options.level ?? 6 });
      const offset = this.bytes;
      await this.staged.write(member);
      this.bytes += member.byteLength;
      return {
        bucket: this.options.bucket,
        key: this.options.key,
        offset,
        records,
        bytes: member.byteLength,
        sha256: createHash('sha256').update(member).digest('hex'),
        minEventTime: minEventTime ?? null,
        maxEventTime: maxEventTime ?? null,
      };
    } finally {
      this.adding = false;
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.staged.end();
  }

  async commit(): Promise<void> {
    await this.staged.commit();
  }

  async abort(): Promise<void> {
    this.ended = true;
    await this.staged.abort();
  }
}

// AWS adapter: reads the raw store as the commit log makes it visible (src/domain/ingest/commit-log.ts):
// the hours of a dataset come from the log's entries, never from listing the bucket, so an object no
// commit names (a run that died, a batch a correction superseded) is never read. Objects are gzip
// NDJSON, streamed: gunzip, then the NDJSON fast path (src/domain/ingest/raw-records.ts), in batches;
// batch manifests give the quarantine counts of lineage. Every object read is hashed as it streams
// and checked against the SHA-256 its commit names (over the gzip bytes, as the writer hashed them).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { daysBetween, visibleHours } from '../../domain/ingest/commit-log';
import { type BatchManifest, batchManifestSchema } from '../../domain/ingest/manifest';
import { RAW_BATCH_RECORDS, RawRecordDecoder } from '../../domain/ingest/raw-records';
import type { TypedRecord } from '../../domain/records';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import type { PartitionBatchSummary, RawObject, RawPartition, RawPartitionSource } from '../../ports/raw-partitions';
import { gunzipStream } from '../gzip';

const MIB = 1024 * 1024;

/**
 * Raw objects kept in memory inflated (their NDJSON text), across the invocations of a warm container,
 * so KPIs computed one after another over the same dataset fetch and inflate each object once.
 * Bounded in bytes of text: least recently used objects go first, and an object larger than an
 * eighth of the budget is not kept. A committed object never changes (its SHA-256 is in the commit),
 * an entry is keyed by key and hash and kept only once the bytes read matched that hash, so an entry
 * is never stale and is not checked again.
 */
export class RawObjectCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly manifests = new Map<string, BatchManifest>();
  private bytes = 0;

  /** @param maxBytes what the cache may hold in all */
  constructor(readonly maxBytes: number) {}

  /** The largest object kept. */
  get maxObjectBytes(): number {
    return Math.floor(this.maxBytes / 8);
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /** The text of an object read with this hash before, or undefined. */
  get(key: string, etag: string): Uint8Array | undefined {
    const id = `${key}|${etag}`;
    const found = this.entries.get(id);
    if (found) {
      this.entries.delete(id);
      this.entries.set(id, found);
    }
    return found;
  }

  /** Keeps an object's text (one buffer, so that what is counted is what is held). */
  set(key: string, etag: string, text: Uint8Array): void {
    if (text.byteLength > this.maxObjectBytes) return;
    const id = `${key}|${etag}`;
    const previous = this.entries.get(id);
    if (previous) {
      this.entries.delete(id);
      this.bytes -= previous.byteLength;
    }
    this.entries.set(id, text);
    this.bytes += text.byteLength;
    for (const [oldest, kept] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= kept.byteLength;
    }
  }

  /** A batch manifest read by an earlier invocation. */
  manifest(key: string): BatchManifest | undefined {
    return this.manifests.get(key);
  }

  /**
   * Keeps a batch manifest for later invocations: a manifest is written once, at its batch's commit,
   * under a key named after the batch's content, so it never changes. The most recent
   * {@link MAX_KEPT_MANIFESTS} are kept.
   */
  keepManifest(key: string, manifest: BatchManifest): void {
    this.manifests.delete(key);
    this.manifests.set(key, manifest);
    for (const oldest of this.manifests.keys()) {
      if (this.manifests.size <= MAX_KEPT_MANIFESTS) break;
      this.manifests.delete(oldest);
    }
  }
}

/** Records of each raw object a manifest lists, worked out once per manifest (a batch has one object an hour). */
const rawRecordsOfManifest = new WeakMap<BatchManifest, Map<string, number>>();

function rawRecordsByKey(manifest: BatchManifest): Map<string, number> {
  let records = rawRecordsOfManifest.get(manifest);
  if (!records) {
    records = new Map();
    for (const o of manifest.objects) if (o.kind === 'raw') records.set(o.key, (records.get(o.key) ?? 0) + o.records);
    rawRecordsOfManifest.set(manifest, records);
  }
  return records;
}

/** Batch manifests a raw object cache keeps beside the objects (a manifest is a few KB). */
const MAX_KEPT_MANIFESTS = 4096;

/**
 * Decompressed text comes in pieces of this size: below V8's large-object threshold, so each piece
 * (and the string decoded from it) is young garbage a scavenge frees, not old-space garbage that
 * waits for a full collection while the heap grows.
 */
const TEXT_CHUNK_BYTES = 64 * 1024;

/** Objects up to this size (compressed) are inflated in one piece. */
const SMALL_OBJECT_BYTES = 16 * 1024;

const gunzipAsync = promisify(gunzip);

async function* inflatedWhole(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of compressed) chunks.push(chunk);
  const text = await gunzipAsync(Buffer.concat(chunks));
  for (let at = 0; at < text.byteLength; at += TEXT_CHUNK_BYTES) yield text.subarray(at, at + TEXT_CHUNK_BYTES);
}

/** The default budget of a compute function's raw object cache. */
export const DEFAULT_RAW_CACHE_BYTES = 256 * MIB;

/** A committed raw object whose bytes are not those its commit names. */
export class RawObjectDigestError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `s3://${bucket}/${key}: the bytes read have SHA-256 ${actual}, its commit names ${expected}; ` +
        'the object changed after its commit (overwritten or corrupted), so nothing is computed from it',
    );
    this.name = 'RawObjectDigestError';
  }
}

interface CommittedRawObject extends RawObject {
  readonly manifestKey: string;
}

export class S3RawPartitions implements RawPartitionSource {
  private readonly manifests = new Map<string, Promise<BatchManifest | null>>();

  /**
   * @param objectCache raw objects shared with earlier invocations; none by default
   * @param batchRecords records per batch yielded by `scan`
   */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly log: RawCommitLog,
    private readonly objectCache?: RawObjectCache,
    private readonly batchRecords = RAW_BATCH_RECORDS,
  ) {}

  async list(dataset: string, from: number | null, to: number): Promise<RawPartition[]> {
    const lastDay = daysBetween(to - 1, to)[0] as string;
    const entries = await this.log.entries(
      dataset,
      from === null ? null : (daysBetween(from, from + 1)[0] as string),
      lastDay,
    );
    return visibleHours(entries, from, to).map((hour) => {
      const objects: CommittedRawObject[] = hour.objects.map((o) => ({
        key: o.key,
        etag: o.sha256,
        batchId: o.batchId,
        records: o.records,
        bytes: o.bytes,
        manifestKey: o.manifestKey,
      }));
      const iso = new Date(hour.start).toISOString();
      return {
        dataset,
        start: hour.start,
        label: `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`,
        objects,
        fingerprint: createHash('sha256')
          .update(objects.map((o) => `${o.key}:${o.etag}`).join('\n'))
          .digest('hex'),
      };
    });
  }

  async *scan(partition: RawPartition, objects = partition.objects): AsyncGenerator<readonly TypedRecord[]> {
    for (const object of objects) {
      const decoder = new RawRecordDecoder(`s3://${this.bucket}/${object.key}`, this.batchRecords);
      const text = new TextDecoder('utf-8', { fatal: true });
      for await (const chunk of this.inflated(object)) {
        yield* decoder.push(text.decode(chunk, { stream: true }));
      }
      yield* decoder.push(text.decode());
      yield* decoder.end();
    }
  }

  /**
   * The object's text in pieces: from the cache, or streamed from S3 and inflated (and kept in the
   * cache on the way, when it is small enough). A scan that stops early keeps nothing.
   */
  private async *inflated(object: RawObject): AsyncGenerator<Uint8Array> {
    const cache = this.objectCache;
    const cached = cache?.get(object.key, object.etag);
    if (cached) {
      for (let at = 0; at < cached.byteLength; at += TEXT_CHUNK_BYTES) yield cached.subarray(at, at + TEXT_CHUNK_BYTES);
      return;
    }
    // A small object is one read buffer's worth: inflated in one piece, it skips a stream's setup.
    let kept: Uint8Array[] | null = cache ? [] : null;
    let size = 0;
    const read = { verified: false };
    const pieces =
      object.bytes <= SMALL_OBJECT_BYTES
        ? inflatedWhole(this.stored(object, read))
        : gunzipStream(this.stored(object, read), TEXT_CHUNK_BYTES);
    for await (const piece of pieces) {
      if (kept && cache) {
        size += piece.byteLength;
        if (size <= cache.maxObjectBytes) kept.push(piece);
        else kept = null;
      }
      yield piece;
    }
    // The gzip stream ended before the object did (bytes after it): those bytes were never hashed.
    if (!read.verified) throw new Error(`s3://${this.bucket}/${object.key} has bytes after its gzip stream ended`);
    // Copied into one buffer: a piece may be a view of a larger one, which would be held unseen.
    if (kept && cache) cache.set(object.key, object.etag, Buffer.concat(kept, size));
  }

  /**
   * The object's bytes as stored (gzip), streamed from S3 and hashed on the way. Bytes that are not
   * the ones its commit names (overwritten or corrupted since) fail the read at the object's end,
   * before its last records reach the caller, so nothing aggregated from them can be complete.
   */
  private async *stored(object: RawObject, read: { verified: boolean }): AsyncGenerator<Uint8Array> {
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: object.key }));
    if (!Body) throw new Error(`s3://${this.bucket}/${object.key} has no body`);
    const hash = createHash('sha256');
    for await (const chunk of Body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      yield chunk;
    }
    const actual = hash.digest('hex');
    if (actual !== object.etag) throw new RawObjectDigestError(this.bucket, object.key, object.etag, actual);
    read.verified = true;
  }

  async batches(partition: RawPartition): Promise<PartitionBatchSummary> {
    const manifests: string[] = [];
    let quarantined: number | null = 0;
    const keys = new Set((partition.objects as readonly CommittedRawObject[]).map((object) => object.manifestKey));
    for (const key of [...keys].sort()) {
      const manifest = await this.manifest(key);
      if (!manifest) {
        quarantined = null;
        continue;
      }
      manifests.push(key);
      const records = rawRecordsByKey(manifest);
      const inHour = partition.objects.reduce((sum, o) => sum + (records.get(o.key) ?? 0), 0);
      if (quarantined !== null && manifest.counts.valid > 0) {
        quarantined += Math.round((manifest.counts.quarantined * inHour) / manifest.counts.valid);
      }
    }
    return { manifests, quarantined };
  }

  private manifest(key: string): Promise<BatchManifest | null> {
    let manifest = this.manifests.get(key);
    if (!manifest) {
      manifest = (async () => {
        const kept = this.objectCache?.manifest(key);
        if (kept) return kept;
        const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const parsed = batchManifestSchema.safeParse(JSON.parse((await Body?.transformToString('utf8')) ?? 'null'));
        if (!parsed.success) return null;
        this.objectCache?.keepManifest(key, parsed.data);
        return parsed.data;
      })();
      this.manifests.set(key, manifest);
    }
    return manifest;
  }
}

// AWS adapter: reads the raw store as the commit log makes it visible (src/domain/ingest/commit-log.ts):
// the hours of a dataset come from the log's entries, never from listing the bucket, so an object no
// commit names (a run that died, a batch a correction superseded) is never read. Objects are gzip
// NDJSON, streamed: gunzip, then the NDJSON fast path (src/domain/ingest/raw-records.ts), in batches;
// batch manifests give the quarantine counts of lineage. Every object read is hashed as it streams
// and checked against the SHA-256 its commit names (over the gzip bytes, as the writer hashed them).
// The hours of a small day of a batch are gzip members of one object: the object is fetched once,
// whole, every member checked against its own SHA-256, and kept (compressed) for the other hours.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CommitEntry, daysBetween, objectIdOf, visibleHours } from '../../domain/ingest/commit-log';
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

/** Records of each raw object (or member) a manifest lists, worked out once per manifest (a batch has one an hour). */
const rawRecordsOfManifest = new WeakMap<BatchManifest, Map<string, number>>();

function rawRecordsById(manifest: BatchManifest): Map<string, number> {
  let records = rawRecordsOfManifest.get(manifest);
  if (!records) {
    records = new Map();
    for (const o of manifest.objects) {
      if (o.kind === 'raw') records.set(objectIdOf(o), (records.get(objectIdOf(o)) ?? 0) + o.records);
    }
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

/**
 * Objects of members up to this size are fetched whole (one request for all the hours of a day);
 * a member of a larger one is fetched alone by its byte range. Ingestion writes day objects far
 * smaller (write-days.ts, DAY_OBJECT_CHARS).
 */
export const WHOLE_FETCH_BYTES = 16 * MIB;

/** What a reader without a shared cache keeps of the day objects it fetched whole (compressed). */
const OWN_CONTAINER_CACHE_BYTES = 8 * WHOLE_FETCH_BYTES;

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

/** An object of gzip members as its commit names it: every member, each with its own SHA-256. */
interface MemberObject {
  readonly key: string;
  /** Bytes from the object's start to its last member's end: the object's size as written. */
  readonly span: number;
  /** What identifies the list of members (a cache entry is the object as this list describes it). */
  readonly identity: string;
  readonly members: readonly { readonly offset: number; readonly bytes: number; readonly sha256: string }[];
}

interface CommittedRawObject extends RawObject {
  readonly manifestKey: string;
  /** For a member: the object it is part of. */
  readonly container?: MemberObject;
}

/** The objects of members the entries name, by key. */
function memberObjectsOf(entries: readonly CommitEntry[]): Map<string, MemberObject> {
  const byKey = new Map<string, { offset: number; bytes: number; sha256: string }[]>();
  for (const entry of entries) {
    for (const o of entry.objects) {
      if (o.offset === undefined) continue;
      const members = byKey.get(o.key) ?? [];
      members.push({ offset: o.offset, bytes: o.bytes, sha256: o.sha256 });
      byKey.set(o.key, members);
    }
  }
  const objects = new Map<string, MemberObject>();
  for (const [key, members] of byKey) {
    members.sort((a, b) => a.offset - b.offset);
    const listed = members.map((m) => `${m.offset}:${m.bytes}:${m.sha256}`).join('\n');
    objects.set(key, {
      key,
      span: members.reduce((end, m) => Math.max(end, m.offset + m.bytes), 0),
      identity: createHash('sha256').update(listed).digest('hex'),
      members,
    });
  }
  return objects;
}

export interface S3RawPartitionsOptions {
  /** Records per batch yielded by `scan`. @default RAW_BATCH_RECORDS */
  readonly batchRecords?: number;
  /** Objects of members up to this size are fetched whole. @default WHOLE_FETCH_BYTES */
  readonly wholeFetchBytes?: number;
}

export class S3RawPartitions implements RawPartitionSource {
  private readonly manifests = new Map<string, Promise<BatchManifest | null>>();
  private readonly batchRecords: number;
  private readonly wholeFetchBytes: number;
  /** Day objects fetched whole and checked (the shared cache, or one of this reader's own). */
  private readonly containers: RawObjectCache;
  /** Day objects being fetched: hours read at once wait for one request. */
  private readonly fetching = new Map<string, Promise<Uint8Array>>();

  /** @param objectCache raw objects shared with earlier invocations; none by default */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly log: RawCommitLog,
    private readonly objectCache?: RawObjectCache,
    options: S3RawPartitionsOptions = {},
  ) {
    this.batchRecords = options.batchRecords ?? RAW_BATCH_RECORDS;
    this.wholeFetchBytes = options.wholeFetchBytes ?? WHOLE_FETCH_BYTES;
    this.containers = objectCache ?? new RawObjectCache(OWN_CONTAINER_CACHE_BYTES);
  }

  async list(dataset: string, from: number | null, to: number): Promise<RawPartition[]> {
    const lastDay = daysBetween(to - 1, to)[0] as string;
    const entries = await this.log.entries(
      dataset,
      from === null ? null : (daysBetween(from, from + 1)[0] as string),
      lastDay,
    );
    const containers = memberObjectsOf(entries);
    return visibleHours(entries, from, to).map((hour) => {
      const objects: CommittedRawObject[] = hour.objects.map((o) => ({
        key: o.key,
        ...(o.offset === undefined ? {} : { offset: o.offset, container: containers.get(o.key) }),
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
          .update(objects.map((o) => `${objectIdOf(o)}:${o.etag}`).join('\n'))
          .digest('hex'),
      };
    });
  }

  async *scan(partition: RawPartition, objects = partition.objects): AsyncGenerator<readonly TypedRecord[]> {
    for (const object of objects) {
      const decoder = new RawRecordDecoder(`s3://${this.bucket}/${objectIdOf(object)}`, this.batchRecords);
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
    const cached = cache?.get(objectIdOf(object), object.etag);
    if (cached) {
      for (let at = 0; at < cached.byteLength; at += TEXT_CHUNK_BYTES) yield cached.subarray(at, at + TEXT_CHUNK_BYTES);
      return;
    }
    if (object.offset !== undefined) {
      // A member: a day's hour, at most a few MiB of text, inflated in one piece.
      const text = await gunzipAsync(await this.member(object as CommittedRawObject));
      cache?.set(objectIdOf(object), object.etag, text);
      for (let at = 0; at < text.byteLength; at += TEXT_CHUNK_BYTES) yield text.subarray(at, at + TEXT_CHUNK_BYTES);
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

  /**
   * A member's bytes as stored, checked against its SHA-256: cut from its object fetched whole (each
   * member of it checked), or fetched alone by its byte range from a large object.
   */
  private async member(object: CommittedRawObject): Promise<Uint8Array> {
    const offset = object.offset as number;
    const container = object.container;
    if (container && container.span <= this.wholeFetchBytes) {
      return (await this.wholeObject(container)).subarray(offset, offset + object.bytes);
    }
    const { Body } = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Range: `bytes=${offset}-${offset + object.bytes - 1}`,
      }),
    );
    const bytes = Body ? await Body.transformToByteArray() : new Uint8Array(0);
    this.check(object.key, { offset, bytes: object.bytes, sha256: object.etag }, bytes);
    return bytes;
  }

  /** An object of members, fetched once and checked member by member, then kept compressed. */
  private wholeObject(container: MemberObject): Promise<Uint8Array> {
    const kept = this.containers.get(`${container.key}#members`, container.identity);
    if (kept) return Promise.resolve(kept);
    let pending = this.fetching.get(container.key);
    if (!pending) {
      pending = (async () => {
        const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: container.key }));
        const bytes = Body ? await Body.transformToByteArray() : new Uint8Array(0);
        if (bytes.byteLength !== container.span) {
          throw new Error(
            `s3://${this.bucket}/${container.key} has ${bytes.byteLength} bytes, its commit names members over ${container.span}; ` +
              'the object changed after its commit (overwritten or corrupted), so nothing is computed from it',
          );
        }
        for (const member of container.members) {
          this.check(container.key, member, bytes.subarray(member.offset, member.offset + member.bytes));
        }
        this.containers.set(`${container.key}#members`, container.identity, bytes);
        return bytes;
      })().finally(() => this.fetching.delete(container.key));
      this.fetching.set(container.key, pending);
    }
    return pending;
  }

  private check(key: string, member: { offset: number; bytes: number; sha256: string }, bytes: Uint8Array): void {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (bytes.byteLength !== member.bytes || actual !== member.sha256) {
      throw new RawObjectDigestError(this.bucket, `${key}@${member.offset}`, member.sha256, actual);
    }
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
      const records = rawRecordsById(manifest);
      const inHour = partition.objects.reduce((sum, o) => sum + (records.get(objectIdOf(o)) ?? 0), 0);
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

// AWS adapter: reads the raw store laid out by ingestion (src/domain/ingest/layout.ts): one listing
// per dataset for a time range, gzip NDJSON objects per hour, batch manifests beside them.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_PREFIX, RAW_PREFIX } from '../../domain/ingest/layout';
import { type BatchManifest, batchManifestSchema } from '../../domain/ingest/manifest';
import type { TypedRecord } from '../../domain/records';
import { sha256Hex } from '../../domain/versioning/sha256';
import type { PartitionBatchSummary, RawObject, RawPartition, RawPartitionSource } from '../../ports/raw-partitions';

const gunzipAsync = promisify(gunzip);
const DAY = 86_400_000;
const KEY = /dataset=([^/]+)\/date=(\d{4}-\d\d-\d\d)\/hour=(\d\d)\/(.+?)-\d{4}\.ndjson\.gz$/;

/**
 * Decoded raw objects kept in memory across the invocations of a warm container, so KPIs computed
 * one after another over the same dataset read each object once. Raw objects are immutable (new
 * data lands in new objects), and the entry is keyed by key and ETag, so an entry is never stale.
 * Least recently used objects go first once `maxRecords` is exceeded.
 */
export class RawRecordCache {
  private readonly entries = new Map<string, readonly TypedRecord[]>();
  private records = 0;

  constructor(private readonly maxRecords: number) {}

  get(key: string, etag: string): readonly TypedRecord[] | undefined {
    const id = `${key}|${etag}`;
    const found = this.entries.get(id);
    if (found) {
      this.entries.delete(id);
      this.entries.set(id, found);
    }
    return found;
  }

  set(key: string, etag: string, records: readonly TypedRecord[]): void {
    if (records.length > this.maxRecords) return;
    const id = `${key}|${etag}`;
    this.entries.set(id, records);
    this.records += records.length;
    for (const [oldest, list] of this.entries) {
      if (this.records <= this.maxRecords) break;
      this.entries.delete(oldest);
      this.records -= list.length;
    }
  }
}

export class S3RawPartitions implements RawPartitionSource {
  private readonly manifestKeys = new Map<string, Promise<Map<string, string>>>();
  private readonly manifests = new Map<string, Promise<BatchManifest | null>>();

  /** @param recordCache decoded objects shared with earlier invocations; none by default */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly recordCache?: RawRecordCache,
  ) {}

  async list(dataset: string, from: number | null, to: number): Promise<RawPartition[]> {
    const prefix = `${RAW_PREFIX}dataset=${dataset}/`;
    const startAfter = from === null ? undefined : `${prefix}date=${new Date(from - DAY).toISOString().slice(0, 10)}/~`;
    const lastDate = new Date(to).toISOString().slice(0, 10);
    const byHour = new Map<number, RawObject[]>();
    pages: for await (const page of paginateListObjectsV2(
      { client: this.s3 },
      { Bucket: this.bucket, Prefix: prefix, ...(startAfter ? { StartAfter: startAfter } : {}) },
    )) {
      for (const object of page.Contents ?? []) {
        const match = KEY.exec(object.Key ?? '');
        if (!match) continue;
        const [, , date, hour, batchId] = match as unknown as [string, string, string, string, string];
        if (date > lastDate) break pages;
        const start = Date.parse(`${date}T${hour}:00:00Z`);
        if ((from !== null && start < from) || start >= to) continue;
        const list = byHour.get(start) ?? [];
        list.push({ key: object.Key as string, etag: (object.ETag ?? '').replaceAll('"', ''), batchId });
        byHour.set(start, list);
      }
    }
    return [...byHour.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, objects]) => {
        const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : 1));
        const iso = new Date(start).toISOString();
        return {
          dataset,
          start,
          label: `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`,
          objects: sorted,
          fingerprint: sha256Hex(sorted.map((o) => `${o.key}:${o.etag}`).join('\n')),
        };
      });
  }

  async records(partition: RawPartition): Promise<TypedRecord[]> {
    const parts = await Promise.all(
      partition.objects.map(async (object) => {
        const cached = this.recordCache?.get(object.key, object.etag);
        if (cached) return cached;
        const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: object.key }));
        const bytes = await gunzipAsync(
          await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
        const records: TypedRecord[] = [];
        for (const line of bytes.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line) as TypedRecord);
        this.recordCache?.set(object.key, object.etag, records);
        return records;
      }),
    );
    return parts.flat();
  }

  async batches(partition: RawPartition): Promise<PartitionBatchSummary> {
    const keys = await this.manifestKeysOf(partition.dataset, partition.start);
    const manifests: string[] = [];
    let quarantined: number | null = 0;
    for (const batchId of [...new Set(partition.objects.map((o) => o.batchId))].sort()) {
      const key = keys.get(batchId);
      const manifest = key ? await this.manifest(key) : null;
      if (!key || !manifest) {
        quarantined = null;
        continue;
      }
      manifests.push(key);
      const inHour = manifest.objects
        .filter((o) => o.kind === 'raw' && partition.objects.some((p) => p.key === o.key))
        .reduce((sum, o) => sum + o.records, 0);
      if (quarantined !== null && manifest.counts.valid > 0) {
        quarantined += Math.round((manifest.counts.quarantined * inHour) / manifest.counts.valid);
      }
    }
    return { manifests, quarantined };
  }

  /** batchId → manifest key for the dataset's batches ingested from a day before `from` on. */
  private manifestKeysOf(dataset: string, from: number): Promise<Map<string, string>> {
    // One listing per dataset and invocation; manifests are dated by ingestion, never before the data.
    const cacheKey = `${dataset}|${isoDate(from - 2 * DAY)}`;
    let listing = this.manifestKeys.get(cacheKey);
    if (!listing) {
      listing = (async () => {
        const prefix = `${MANIFEST_PREFIX}dataset=${dataset}/`;
        const keys = new Map<string, string>();
        for await (const page of paginateListObjectsV2(
          { client: this.s3 },
          { Bucket: this.bucket, Prefix: prefix, StartAfter: `${prefix}date=${isoDate(from - 2 * DAY)}` },
        )) {
          for (const object of page.Contents ?? []) {
            const key = object.Key as string;
            keys.set(key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, ''), key);
          }
        }
        return keys;
      })();
      this.manifestKeys.set(cacheKey, listing);
    }
    return listing;
  }

  private manifest(key: string): Promise<BatchManifest | null> {
    let manifest = this.manifests.get(key);
    if (!manifest) {
      manifest = (async () => {
        const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const parsed = batchManifestSchema.safeParse(JSON.parse((await Body?.transformToString('utf8')) ?? 'null'));
        return parsed.success ? parsed.data : null;
      })();
      this.manifests.set(key, manifest);
    }
    return manifest;
  }
}

function isoDate(ms: number): string {
  return new Date(Math.max(0, ms)).toISOString().slice(0, 10);
}

// AWS adapter: reads the raw store as the commit log makes it visible (src/domain/ingest/commit-log.ts):
// the hours of a dataset come from the log's entries, never from listing the bucket, so an object no
// commit names (a run that died, a batch a correction superseded) is never read. Objects are gzip
// NDJSON; batch manifests give the quarantine counts of lineage.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { daysBetween, visibleHours } from '../../domain/ingest/commit-log';
import { type BatchManifest, batchManifestSchema } from '../../domain/ingest/manifest';
import type { TypedRecord } from '../../domain/records';
import { sha256Hex } from '../../domain/versioning/sha256';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import type { PartitionBatchSummary, RawObject, RawPartition, RawPartitionSource } from '../../ports/raw-partitions';

const gunzipAsync = promisify(gunzip);

/**
 * Decoded raw objects kept in memory across the invocations of a warm container, so KPIs computed
 * one after another over the same dataset read each object once. A committed object never changes
 * (its SHA-256 is in the commit), and the entry is keyed by key and hash, so an entry is never stale.
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

interface CommittedRawObject extends RawObject {
  readonly manifestKey: string;
}

export class S3RawPartitions implements RawPartitionSource {
  private readonly manifests = new Map<string, Promise<BatchManifest | null>>();

  /** @param recordCache decoded objects shared with earlier invocations; none by default */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly log: RawCommitLog,
    private readonly recordCache?: RawRecordCache,
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
        manifestKey: o.manifestKey,
      }));
      const iso = new Date(hour.start).toISOString();
      return {
        dataset,
        start: hour.start,
        label: `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`,
        objects,
        fingerprint: sha256Hex(objects.map((o) => `${o.key}:${o.etag}`).join('\n')),
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
      const inHour = manifest.objects
        .filter((o) => o.kind === 'raw' && partition.objects.some((p) => p.key === o.key))
        .reduce((sum, o) => sum + o.records, 0);
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
        const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const parsed = batchManifestSchema.safeParse(JSON.parse((await Body?.transformToString('utf8')) ?? 'null'));
        return parsed.success ? parsed.data : null;
      })();
      this.manifests.set(key, manifest);
    }
    return manifest;
  }
}

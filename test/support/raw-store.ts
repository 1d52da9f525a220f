// Test support: writes records into the raw store exactly as ingestion lays them out (gzip NDJSON
// per event hour, a manifest per batch, a commit per day), so compute tests do not depend on a connector.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, type Gzip, gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { hourPartition, manifestKey, rawObjectKey } from '../../src/contracts/raw-layout';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import type { TypedRecord } from '../../src/domain/records';

export type { RawBatch, RawStoreTarget } from '../../src/local/raw-import';
export { rawStoreOf } from '../../src/local/raw-import';

import type { RawBatch, RawStoreTarget } from '../../src/local/raw-import';

/** Writes one batch: a raw object per hour it touches, its manifest, then its commits, day by day. */
export async function putRawBatch(target: RawStoreTarget, batch: RawBatch): Promise<void> {
  const byHour = new Map<number, TypedRecord[]>();
  for (const record of batch.records) {
    const start = hourPartition(record[batch.eventTimeField] as number).start;
    byHour.set(start, [...(byHour.get(start) ?? []), record]);
  }
  const objects: HourObject[] = [];
  for (const [start, records] of [...byHour].sort(([a], [b]) => a - b)) {
    const body = gzipSync(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const times = records.map((r) => r[batch.eventTimeField] as number);
    objects.push(
      await putHourObject(target, batch, start, body, {
        records: records.length,
        minEventTime: Math.min(...times),
        maxEventTime: Math.max(...times),
      }),
    );
  }
  const times = batch.records.map((r) => r[batch.eventTimeField] as number);
  await commitBatch(target, batch, objects, {
    records: batch.records.length,
    minEventTime: Math.min(...times),
    maxEventTime: Math.max(...times),
  });
}

/**
 * Writes one batch of records in event-time order, as `putRawBatch` lays it out, without holding
 * more than an hour of it: each hour is gzip-compressed as it is read (for benchmarks of millions
 * of records).
 */
export async function putRawBatchStreamed(
  target: RawStoreTarget,
  batch: Omit<RawBatch, 'records'> & { readonly records: Iterable<TypedRecord>; readonly gzipLevel?: number },
): Promise<{ readonly records: number; readonly objects: number; readonly bytes: number }> {
  const objects: HourObject[] = [];
  const totals = { records: 0, minEventTime: Number.POSITIVE_INFINITY, maxEventTime: Number.NEGATIVE_INFINITY };
  let hour: { start: number; gzip: Gzip; chunks: Buffer[]; text: string; stats: HourStats } | null = null;
  const close = async () => {
    if (!hour) return;
    const open = hour;
    hour = null;
    const done = once(open.gzip, 'end');
    open.gzip.end(open.text);
    await done;
    objects.push(await putHourObject(target, batch, open.start, Buffer.concat(open.chunks), open.stats));
  };
  for (const record of batch.records) {
    const time = record[batch.eventTimeField] as number;
    const start = hourPartition(time).start;
    if (hour && hour.start !== start) {
      if (start < hour.start) throw new Error('putRawBatchStreamed needs records in event-time order');
      await close();
    }
    if (!hour) {
      const gzip = createGzip({ level: batch.gzipLevel ?? 6 });
      const chunks: Buffer[] = [];
      gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
      hour = { start, gzip, chunks, text: '', stats: { records: 0, minEventTime: time, maxEventTime: time } };
    }
    hour.text += `${JSON.stringify(record)}\n`;
    if (hour.text.length > 1 << 20) {
      hour.gzip.write(hour.text);
      hour.text = '';
    }
    hour.stats = {
      records: hour.stats.records + 1,
      minEventTime: Math.min(hour.stats.minEventTime as number, time),
      maxEventTime: Math.max(hour.stats.maxEventTime as number, time),
    };
    totals.records += 1;
    totals.minEventTime = Math.min(totals.minEventTime, time);
    totals.maxEventTime = Math.max(totals.maxEventTime, time);
  }
  await close();
  await commitBatch(target, batch, objects, totals);
  return { records: totals.records, objects: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0) };
}

interface HourStats {
  readonly records: number;
  readonly minEventTime: number | null;
  readonly maxEventTime: number | null;
}

type HourObject = BatchManifest['objects'][number] & { readonly hour: number };

async function putHourObject(
  target: RawStoreTarget,
  batch: Pick<RawBatch, 'dataset' | 'batchId'>,
  start: number,
  body: Buffer,
  stats: HourStats,
): Promise<HourObject> {
  const key = rawObjectKey(batch.dataset, hourPartition(start), batch.batchId, 0);
  // Large objects go up in parts, as ingestion uploads them.
  if (body.byteLength > 8 * 2 ** 20) {
    await new Upload({
      client: target.s3,
      params: { Bucket: target.bucket, Key: key, Body: body },
      partSize: 8 * 2 ** 20,
    }).done();
  } else {
    await target.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body }));
  }
  return {
    kind: 'raw' as const,
    bucket: target.bucket,
    key,
    dataset: batch.dataset,
    records: stats.records,
    bytes: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
    minEventTime: stats.minEventTime,
    maxEventTime: stats.maxEventTime,
    hour: start,
  };
}

/** The batch's manifest, then one commit per day it has objects on. */
async function commitBatch(
  target: RawStoreTarget,
  batch: Pick<RawBatch, 'dataset' | 'batchId' | 'quarantined' | 'ingestedAt'>,
  hourObjects: readonly HourObject[],
  totals: HourStats,
): Promise<void> {
  const { s3, bucket } = target;
  const byDay = new Map<string, HourObject[]>();
  for (const object of hourObjects) {
    const date = hourPartition(object.hour).date;
    byDay.set(date, [...(byDay.get(date) ?? []), object]);
  }
  const ingestedAt = batch.ingestedAt ?? (totals.maxEventTime as number);
  const quarantined = batch.quarantined ?? 0;
  const manifest: BatchManifest = {
    manifestVersion: 2,
    batchId: batch.batchId,
    dataset: batch.dataset,
    connector: 'drop_zone',
    outcome: 'ingested',
    problem: null,
    declarationVersion: null,
    replayOf: [],
    contentSha256: batch.batchId,
    replaces: null,
    ingestedAt,
    completedAt: ingestedAt,
    attempt: 1,
    codeVersion: 'test',
    declarationSha256: 'test',
    sources: [],
    counts: {
      read: totals.records + quarantined,
      valid: totals.records,
      quarantined,
      duplicate: 0,
      quarantinedByReason: quarantined ? { invalid_value: quarantined } : {},
    },
    warnings: [],
    newestEventTime: totals.maxEventTime,
    oldestEventTime: totals.minEventTime,
    latePartitions: [],
    days: [...byDay].map(([date, list]) => ({
      date,
      snapshotVersion: 0,
      records: list.reduce((n, o) => n + o.records, 0),
      duplicates: 0,
      keysKey: null,
    })),
    objects: hourObjects.map(({ hour: _hour, ...object }) => object),
  };
  const mKey = manifestKey(batch.dataset, hourPartition(ingestedAt), batch.batchId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: mKey, Body: JSON.stringify(manifest) }));
  for (const [date, list] of byDay) {
    const version =
      (await target.log.entries(batch.dataset, date, date)).reduce((n, e) => Math.max(n, e.version), 0) + 1;
    const committed = await target.log.append({
      dataset: batch.dataset,
      date,
      version,
      batchId: batch.batchId,
      source: batch.batchId,
      supersedes: [],
      objects: list.map(({ key, hour, records, bytes, sha256, minEventTime, maxEventTime }) => ({
        key,
        hour,
        records,
        bytes,
        sha256,
        minEventTime,
        maxEventTime,
      })),
      keysKey: null,
      keys: 0,
      manifestKey: mKey,
      committedAt: ingestedAt,
    });
    if (!committed) throw new Error(`version ${version} of ${batch.dataset} on ${date} was taken meanwhile`);
  }
}

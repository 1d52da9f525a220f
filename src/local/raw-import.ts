// Local runtime: records put into the raw store as ingestion lays them out (gzip NDJSON per event
// hour as for a large day, or with `dayObjects` a day object of hour members as for a small one; a
// manifest per batch, a commit per day), without a connector: what an operator does to
// migrate history of a dataset no connector may write (the governance dataset), and what compute
// tests do to stand on their own.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { commitRecordDay, DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { hourPartition, manifestKey, rawDayObjectKey, rawObjectKey } from '../contracts/raw-layout';
import type { CommittedObject } from '../domain/ingest/commit-log';
import type { WrittenObject } from '../domain/ingest/manifest';
import { recordBatchManifest } from '../domain/ingest/record-batch-manifest';
import type { TypedRecord } from '../domain/records';
import type { RawCommitLog } from '../ports/raw-commit-log';
import type { LocalCloud } from './local-cloud';

export interface RawBatch {
  readonly dataset: string;
  readonly batchId: string;
  readonly records: readonly TypedRecord[];
  readonly eventTimeField: string;
  /** Rows the batch quarantined (recorded in its manifest). @default 0 */
  readonly quarantined?: number;
  /** When it was ingested, epoch ms. @default the newest event time */
  readonly ingestedAt?: number;
  /** Recorded in the manifest as the code that wrote it. @default 'import' */
  readonly codeVersion?: string;
  /**
   * Each day as one object of hour members, as ingestion writes a small day; else one object per
   * hour, as it writes a large one. @default false
   */
  readonly dayObjects?: boolean;
}

/** Where a test writes raw data: the raw bucket and the commit log in the state table. */
export interface RawStoreTarget {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly log: RawCommitLog;
}

/** The raw store of a local cloud. */
export function rawStoreOf(cloud: LocalCloud): RawStoreTarget {
  return {
    s3: cloud.clients.s3,
    bucket: cloud.physicalName('RawBucket', 'AWS::S3::Bucket'),
    log: new DynamoDbRawCommitLog(cloud.clients.dynamodb, cloud.physicalName('StateTable')),
  };
}

/** One event hour's raw object, as the manifest lists it and the commit names it. */
export type HourObject = WrittenObject & { readonly date: string; readonly hour: number };

/** Records, event-time range, of an hour object. */
export interface HourStats {
  readonly records: number;
  readonly minEventTime: number;
  readonly maxEventTime: number;
}

/** Large objects go up in parts, as ingestion uploads them. */
const PART_BYTES = 8 * 2 ** 20;

/** Writes one batch: a raw object per hour it touches, its manifest, then its commits, day by day. */
export async function importRawBatch(target: RawStoreTarget, batch: RawBatch): Promise<void> {
  const byHour = new Map<number, TypedRecord[]>();
  for (const record of batch.records) {
    const start = hourPartition(record[batch.eventTimeField] as number).start;
    byHour.set(start, [...(byHour.get(start) ?? []), record]);
  }
  const objects: HourObject[] = [];
  const days = new Map<string, { body: Uint8Array; stats: HourStats; start: number }[]>();
  for (const [start, records] of [...byHour].sort(([a], [b]) => a - b)) {
    const body = gzipSync(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const times = records.map((r) => r[batch.eventTimeField] as number);
    const stats = { records: records.length, minEventTime: Math.min(...times), maxEventTime: Math.max(...times) };
    if (!batch.dayObjects) objects.push(await putHourObject(target, batch, start, body, stats));
    else days.set(hourPartition(start).date, [...(days.get(hourPartition(start).date) ?? []), { body, stats, start }]);
  }
  for (const [date, hours] of days) objects.push(...(await putDayObject(target, batch, date, hours)));
  await commitImportedBatch(target, batch, objects);
}

/** Puts a day's hours as the gzip members of one object; each member as the manifest and the commit name it. */
async function putDayObject(
  target: RawStoreTarget,
  batch: Pick<RawBatch, 'dataset' | 'batchId'>,
  date: string,
  hours: readonly { body: Uint8Array; stats: HourStats; start: number }[],
): Promise<HourObject[]> {
  const key = rawDayObjectKey(batch.dataset, date, batch.batchId);
  await target.s3.send(
    new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: Buffer.concat(hours.map((h) => h.body)) }),
  );
  let offset = 0;
  return hours.map(({ body, stats, start }) => {
    const member = { ...hourObject(target.bucket, key, batch.dataset, start, body, stats), offset };
    offset += body.byteLength;
    return member;
  });
}

/** An hour's object (or member) as the manifest lists it and the commit names it. */
function hourObject(
  bucket: string,
  key: string,
  dataset: string,
  start: number,
  body: Uint8Array,
  stats: HourStats,
): HourObject {
  return {
    kind: 'raw',
    bucket,
    key,
    dataset,
    records: stats.records,
    bytes: body.byteLength,
    sha256: createHash('sha256').update(body).digest('hex'),
    minEventTime: stats.minEventTime,
    maxEventTime: stats.maxEventTime,
    date: hourPartition(start).date,
    hour: start,
  };
}

/** Puts the gzip NDJSON object of one event hour of a batch (its first part) into the raw bucket. */
export async function putHourObject(
  target: RawStoreTarget,
  batch: Pick<RawBatch, 'dataset' | 'batchId'>,
  start: number,
  body: Uint8Array,
  stats: HourStats,
): Promise<HourObject> {
  const { s3, bucket } = target;
  const key = rawObjectKey(batch.dataset, hourPartition(start), batch.batchId, 0);
  if (body.byteLength > PART_BYTES) {
    await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: body }, partSize: PART_BYTES }).done();
  } else {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  return hourObject(bucket, key, batch.dataset, start, body, stats);
}

/**
 * The manifest of a batch whose hour objects are written, then one commit per day it has objects
 * on. Exactly once: a day the batch committed already (an import run again) is left as it is.
 */
export async function commitImportedBatch(
  target: RawStoreTarget,
  batch: Omit<RawBatch, 'records' | 'eventTimeField'>,
  hourObjects: readonly HourObject[],
): Promise<void> {
  const { s3, bucket } = target;
  const byDay = new Map<string, CommittedObject[]>();
  for (const { key, offset, hour, date, records, bytes, sha256, minEventTime, maxEventTime } of hourObjects) {
    const committed = {
      key,
      ...(offset === undefined ? {} : { offset }),
      hour,
      records,
      bytes,
      sha256,
      minEventTime,
      maxEventTime,
    };
    byDay.set(date, [...(byDay.get(date) ?? []), committed]);
  }
  const ingestedAt = batch.ingestedAt ?? Math.max(...hourObjects.map((o) => o.maxEventTime as number));
  const manifest = recordBatchManifest({
    dataset: batch.dataset,
    batchId: batch.batchId,
    contentSha256: batch.batchId,
    ingestedAt,
    codeVersion: batch.codeVersion ?? 'import',
    // A member names its hour (its key names the day only); a whole object's key names it.
    objects: hourObjects.map(({ hour, ...object }) => (object.offset === undefined ? object : { ...object, hour })),
    ...(batch.quarantined ? { quarantined: batch.quarantined } : {}),
  });
  const mKey = manifestKey(batch.dataset, hourPartition(ingestedAt), batch.batchId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: mKey, Body: JSON.stringify(manifest) }));
  for (const [date, list] of byDay) {
    await commitRecordDay(target.log, {
      dataset: batch.dataset,
      date,
      batchId: batch.batchId,
      source: batch.batchId,
      supersedes: [],
      objects: list,
      keysKey: null,
      keys: 0,
      manifestKey: mKey,
      committedAt: ingestedAt,
    });
  }
}

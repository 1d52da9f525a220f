// Local runtime: records put into the raw store exactly as ingestion lays them out (gzip NDJSON per
// event hour, a manifest per batch, a commit per day), without a connector: what an operator does to
// migrate history of a dataset no connector may write (the governance dataset), and what compute
// tests do to stand on their own.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { commitRecordDay, DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { hourPartition, manifestKey, rawObjectKey } from '../contracts/raw-layout';
import type { CommittedObject } from '../domain/ingest/commit-log';
import { recordBatchManifest, type WrittenObject } from '../domain/ingest/manifest';
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

/** Writes one batch: a raw object per hour it touches, its manifest, then its commits, day by day. */
export async function importRawBatch(target: RawStoreTarget, batch: RawBatch): Promise<void> {
  const { s3, bucket } = target;
  const byHour = new Map<number, TypedRecord[]>();
  for (const record of batch.records) {
    const start = hourPartition(record[batch.eventTimeField] as number).start;
    byHour.set(start, [...(byHour.get(start) ?? []), record]);
  }
  const objects: (WrittenObject & { date: string })[] = [];
  const byDay = new Map<string, CommittedObject[]>();
  for (const [start, records] of [...byHour].sort(([a], [b]) => a - b)) {
    const key = rawObjectKey(batch.dataset, hourPartition(start), batch.batchId, 0);
    const body = gzipSync(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const times = records.map((r) => r[batch.eventTimeField] as number);
    const written = {
      key,
      records: records.length,
      bytes: body.byteLength,
      sha256: createHash('sha256').update(body).digest('hex'),
      minEventTime: Math.min(...times),
      maxEventTime: Math.max(...times),
    };
    const date = hourPartition(start).date;
    objects.push({ ...written, kind: 'raw', bucket, dataset: batch.dataset, date });
    byDay.set(date, [...(byDay.get(date) ?? []), { ...written, hour: start }]);
  }
  const times = batch.records.map((r) => r[batch.eventTimeField] as number);
  const ingestedAt = batch.ingestedAt ?? Math.max(...times);
  const manifest = recordBatchManifest({
    dataset: batch.dataset,
    batchId: batch.batchId,
    contentSha256: batch.batchId,
    ingestedAt,
    codeVersion: batch.codeVersion ?? 'import',
    objects,
    ...(batch.quarantined ? { quarantined: batch.quarantined } : {}),
  });
  const mKey = manifestKey(batch.dataset, hourPartition(ingestedAt), batch.batchId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: mKey, Body: JSON.stringify(manifest) }));
  // Exactly once: a day the batch committed already (an import run again) is left as it is.
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

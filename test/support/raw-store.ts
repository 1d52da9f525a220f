// Test support: writes records into the raw store exactly as ingestion lays them out (gzip NDJSON
// per event hour, a manifest per batch), so compute tests do not depend on a connector.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPartition, manifestKey, rawObjectKey } from '../../src/domain/ingest/layout';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import type { TypedRecord } from '../../src/domain/records';

export interface RawBatch {
  readonly dataset: string;
  readonly batchId: string;
  readonly records: readonly TypedRecord[];
  readonly eventTimeField: string;
  /** Rows the batch quarantined (recorded in its manifest). @default 0 */
  readonly quarantined?: number;
  /** When it was ingested, epoch ms. @default the newest event time */
  readonly ingestedAt?: number;
}

/** Writes one batch: a raw object per hour it touches, then its manifest. */
export async function putRawBatch(s3: S3Client, bucket: string, batch: RawBatch): Promise<void> {
  const byHour = new Map<number, TypedRecord[]>();
  for (const record of batch.records) {
    const start = hourPartition(record[batch.eventTimeField] as number).start;
    byHour.set(start, [...(byHour.get(start) ?? []), record]);
  }
  const objects: BatchManifest['objects'] = [];
  for (const [start, records] of [...byHour].sort(([a], [b]) => a - b)) {
    const key = rawObjectKey(batch.dataset, hourPartition(start), batch.batchId, 0);
    const body = gzipSync(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const times = records.map((r) => r[batch.eventTimeField] as number);
    objects.push({
      kind: 'raw',
      bucket,
      key,
      dataset: batch.dataset,
      records: records.length,
      bytes: body.byteLength,
      sha256: createHash('sha256').update(body).digest('hex'),
      minEventTime: Math.min(...times),
      maxEventTime: Math.max(...times),
    });
  }
  const times = batch.records.map((r) => r[batch.eventTimeField] as number);
  const ingestedAt = batch.ingestedAt ?? Math.max(...times);
  const quarantined = batch.quarantined ?? 0;
  const manifest: BatchManifest = {
    manifestVersion: 1,
    batchId: batch.batchId,
    dataset: batch.dataset,
    connector: 'drop_zone',
    outcome: 'ingested',
    problem: null,
    ingestedAt,
    completedAt: ingestedAt,
    attempt: 1,
    codeVersion: 'test',
    declarationSha256: 'test',
    sources: [],
    counts: {
      read: batch.records.length + quarantined,
      valid: batch.records.length,
      quarantined,
      quarantinedByReason: quarantined ? { invalid_value: quarantined } : {},
    },
    newestEventTime: Math.max(...times),
    oldestEventTime: Math.min(...times),
    latePartitions: [],
    objects,
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKey(batch.dataset, hourPartition(ingestedAt), batch.batchId),
      Body: JSON.stringify(manifest),
    }),
  );
}

// AWS adapter helper: records the pipeline writes itself (audit events into `pipeline_governance`,
// the freshness check's records into `pipeline_ingest`) committed as ingestion commits a batch
// (docs/ingestion.md, "The commit protocol"): the batch's gzip NDJSON object and its manifest are
// put side by side under keys derived from the batch id, then one entry in the day's commit log
// makes them visible. Puts again after a crash write the same keys; the commit is put if absent.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPartition, manifestKey } from '../../contracts/raw-layout';
import { recordBatchManifest } from '../../domain/ingest/record-batch-manifest';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { commitRecordDay } from './dynamodb-raw-commit-log';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** One batch of records of one hour, written as a single raw object. */
export interface RecordBatch {
  readonly bucket: string;
  readonly dataset: string;
  readonly batchId: string;
  /** The raw object's key (the raw layout's, derived from the batch id). */
  readonly key: string;
  /** The records as NDJSON lines, without the last line's newline. */
  readonly text: string;
  readonly records: number;
  /** Event time of every record, and the instant the batch counts as ingested and committed. */
  readonly at: number;
  /** What the manifest names as the batch's content. */
  readonly contentSha256: string;
  /** Recorded in the manifest as the code that wrote it. */
  readonly codeVersion: string;
}

/** Puts the batch's object and manifest, then commits it in the day's log. */
export async function commitRecordBatch(s3: S3Client, commitLog: RawCommitLog, batch: RecordBatch): Promise<void> {
  const { bucket, dataset, batchId, key, at } = batch;
  const body = gzipSync(`${batch.text}\n`);
  const hour = hourPartition(at);
  const written = {
    key,
    records: batch.records,
    bytes: body.byteLength,
    sha256: sha256(body),
    minEventTime: at,
    maxEventTime: at,
  };
  const manifest = recordBatchManifest({
    dataset,
    batchId,
    contentSha256: batch.contentSha256,
    ingestedAt: at,
    codeVersion: batch.codeVersion,
    objects: [{ ...written, kind: 'raw', bucket, dataset, date: hour.date }],
  });
  const mKey = manifestKey(dataset, hour, batchId);
  // The object and its manifest go up side by side (neither is visible before the commit); the
  // commit waits for both, and a failure of either is thrown once both have settled.
  const puts = await Promise.allSettled([
    // As ingestion writes raw objects: the `.gz` key says how to read it, no Content-Encoding.
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' })),
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: mKey,
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    ),
  ]);
  for (const put of puts) if (put.status === 'rejected') throw put.reason;
  await commitRecordDay(commitLog, {
    dataset,
    date: hour.date,
    batchId,
    source: batchId,
    supersedes: [],
    objects: [{ ...written, hour: hour.start }],
    keysKey: null,
    keys: 0,
    manifestKey: mKey,
    committedAt: at,
  });
}

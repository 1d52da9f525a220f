// AWS adapter: records the pipeline writes itself into the `pipeline_ingest` dataset (the freshness
// check's), committed as ingestion commits a batch (docs/ingestion.md, "The commit protocol"): the
// gzip NDJSON object of the batch's hour and its manifest are put under keys derived from the batch
// id, then one entry in the day's commit log. A retry of a batch already committed writes nothing;
// one that died before its commit puts the same keys again and commits them once.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPartition, manifestKey, rawObjectKey } from '../../contracts/raw-layout';
import { PIPELINE_INGEST_DATASET } from '../../domain/ingest/data-quality';
import { recordBatchManifest } from '../../domain/ingest/manifest';
import type { TypedRecord } from '../../domain/records';
import type { PipelineRecordWriter } from '../../ports/dataset-freshness';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { commitRecordDay } from './dynamodb-raw-commit-log';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export class S3PipelineRecords implements PipelineRecordWriter {
  constructor(
    private readonly s3: S3Client,
    private readonly rawBucket: string,
    private readonly commitLog: RawCommitLog,
    /** Recorded in each batch's manifest as the code that wrote it. */
    private readonly codeVersion: string,
  ) {}

  /** All records land in the hour of `at`, their `ingested_at` (the dataset's event time). */
  async commitPipelineRecords(batchId: string, at: number, records: readonly TypedRecord[]): Promise<void> {
    const dataset = PIPELINE_INGEST_DATASET;
    const hour = hourPartition(at);
    // A retry after the commit leaves the committed object as it is (its SHA-256 is in the log).
    const day = await this.commitLog.entries(dataset, hour.date, hour.date);
    if (day.some((entry) => entry.batchId === batchId)) return;
    const key = rawObjectKey(dataset, hour, batchId, 0);
    const text = records.map((record) => JSON.stringify(record)).join('\n');
    const body = gzipSync(`${text}\n`);
    // As ingestion writes raw objects: the `.gz` key says how to read it, no Content-Encoding.
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.rawBucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }),
    );
    const written = {
      key,
      records: records.length,
      bytes: body.byteLength,
      sha256: sha256(body),
      minEventTime: at,
      maxEventTime: at,
    };
    const manifest = recordBatchManifest({
      dataset,
      batchId,
      contentSha256: sha256(text),
      ingestedAt: at,
      codeVersion: this.codeVersion,
      objects: [{ ...written, kind: 'raw', bucket: this.rawBucket, dataset, date: hour.date }],
    });
    const mKey = manifestKey(dataset, hour, batchId);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.rawBucket,
        Key: mKey,
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
    await commitRecordDay(this.commitLog, {
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
}

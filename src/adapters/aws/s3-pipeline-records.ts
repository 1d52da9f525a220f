// AWS adapter: records the pipeline writes itself into the `pipeline_ingest` dataset (the freshness
// check's), committed as ingestion commits a batch (docs/ingestion.md, "The commit protocol"): the
// gzip NDJSON object of the batch's hour and its manifest are put under keys derived from the batch
// id, then one entry in the day's commit log. A retry of a batch already committed writes nothing;
// one that died before its commit puts the same keys again and commits them once.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { hourPartition, rawObjectKey } from '../../contracts/raw-layout';
import { PIPELINE_INGEST_DATASET } from '../../domain/ingest/data-quality';
import type { TypedRecord } from '../../domain/records';
import type { PipelineRecordWriter } from '../../ports/dataset-freshness';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { commitRecordBatch } from './s3-record-batch';

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
    const text = records.map((record) => JSON.stringify(record)).join('\n');
    await commitRecordBatch(this.s3, this.commitLog, {
      bucket: this.rawBucket,
      dataset,
      batchId,
      key: rawObjectKey(dataset, hour, batchId, 0),
      text,
      records: records.length,
      at,
      contentSha256: createHash('sha256').update(text).digest('hex'),
      codeVersion: this.codeVersion,
    });
  }
}

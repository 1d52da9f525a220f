// AWS adapter: the read side of ingestion's recompute marks (`RECOMPUTE#<dataset>` items of the
// `state` table, written by DynamoDbIngestLedger), for the compute function, which reads them and
// writes nothing else of the ledger: its bundle carries this reader, not the whole ledger.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { IngestLedger, RecomputeMark } from '../../ports/ingest-ledger';
import { queryAll } from './dynamodb-query';

export const markItemSchema = z.object({
  dataset: z.string(),
  periodStart: z.number(),
  batchId: z.string(),
  records: z.number(),
  markedAt: z.number(),
});

/** The partition key of a dataset's recompute marks. */
export const recomputePk = (dataset: string) => `RECOMPUTE#${dataset}`;

export class DynamoDbRecomputeMarks implements Pick<IngestLedger, 'recomputeMarks'> {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** See {@link IngestLedger.recomputeMarks}. */
  async recomputeMarks(dataset: string, markedSince = Number.NEGATIVE_INFINITY): Promise<RecomputeMark[]> {
    const marks: RecomputeMark[] = [];
    for (const item of await queryAll(this.dynamodb, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': recomputePk(dataset) },
    })) {
      const mark = markItemSchema.parse(item);
      if (mark.markedAt >= markedSince) marks.push(mark);
    }
    return marks;
  }
}

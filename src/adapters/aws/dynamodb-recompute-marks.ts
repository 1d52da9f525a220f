// AWS adapter: the read side of ingestion's recompute marks (`RECOMPUTE#<dataset>` items of the
// `state` table, written by DynamoDbIngestLedger), for the compute function, which reads them and
// writes nothing else of the ledger: its bundle carries this reader, not the whole ledger.
//
// Items: one per dataset, day, batch and marking instant, listing the day's marked hours
// (`<YYYY-MM-DD>#<batch>#<digest of the hours>`): a first ingestion marks every hour it brings, and
// one item a day instead of one an hour is 24 times fewer items to write and to read back. The
// digest makes the key a function of the item's content: a batch that marks the same hours again
// (a rerun) overwrites its item, one that marks other hours of the day adds an item, so no mark is
// ever lost to an overwrite. Items of one mark an hour (`<YYYY-MM-DDTHH>#<batch>`, written before)
// are read as well.
import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type IngestLedger, RECOMPUTE_MARK_DAYS, type RecomputeMark } from '../../ports/ingest-ledger';
import { queryAll } from './dynamodb-query';

const HOUR = 3_600_000;

export const markItemSchema = z.object({
  dataset: z.string(),
  periodStart: z.number(),
  batchId: z.string(),
  records: z.number(),
  markedAt: z.number(),
});

/** An item of a day's marks: `[hour start, records]` pairs, oldest first. */
export const dayMarksItemSchema = z.object({
  dataset: z.string(),
  batchId: z.string(),
  markedAt: z.number(),
  hours: z.array(z.tuple([z.number(), z.number()])).min(1),
});

/** The items that hold `marks`: one per dataset, day, batch and marking instant. */
export function markItems(marks: readonly RecomputeMark[]): Record<string, unknown>[] {
  const groups = new Map<string, RecomputeMark[]>();
  for (const mark of marks) {
    const day = new Date(mark.periodStart).toISOString().slice(0, 10);
    const group = JSON.stringify([mark.dataset, day, mark.batchId, mark.markedAt]);
    groups.set(group, [...(groups.get(group) ?? []), mark]);
  }
  return [...groups.values()].map((group) => {
    const { dataset, batchId, markedAt, periodStart } = group[0] as RecomputeMark;
    const byHour = new Map<number, number>();
    for (const mark of group) byHour.set(mark.periodStart, (byHour.get(mark.periodStart) ?? 0) + mark.records);
    const hours = [...byHour].sort((a, b) => a[0] - b[0]);
    const day = new Date(periodStart).toISOString().slice(0, 10);
    const digest = createHash('sha256').update(JSON.stringify(hours)).digest('hex').slice(0, 16);
    const first = (hours[0] as [number, number])[0];
    const last = (hours.at(-1) as [number, number])[0];
    return {
      pk: recomputePk(dataset),
      sk: `${day}#${batchId}#${digest}`,
      gsi1pk: 'RECOMPUTE',
      gsi1sk: `${new Date(markedAt).toISOString()}#${dataset}#${day}`,
      dataset,
      batchId,
      markedAt,
      periodStart: first,
      periodEnd: last + HOUR,
      hours,
      // DynamoDB's TTL removes the marks (within days); queries skip them by `markedSince`.
      expiresAt: Math.ceil((markedAt + RECOMPUTE_MARK_DAYS * 86_400_000) / 1000),
    };
  });
}

/** The marks an item holds, in either form. */
function marksOf(item: Record<string, unknown>): RecomputeMark[] {
  if (!Array.isArray(item.hours)) return [markItemSchema.parse(item)];
  const { dataset, batchId, markedAt, hours } = dayMarksItemSchema.parse(item);
  return hours.map(([periodStart, records]) => ({ dataset, periodStart, batchId, records, markedAt }));
}

/** The partition key of a dataset's recompute marks. */
export const recomputePk = (dataset: string) => `RECOMPUTE#${dataset}`;

export class DynamoDbRecomputeMarks implements Pick<IngestLedger, 'recomputeMarks'> {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** See {@link IngestLedger.recomputeMarks}. */
  async recomputeMarks(dataset: string, markedSince = Number.NEGATIVE_INFINITY): Promise<RecomputeMark[]> {
    // One mark per hour and batch (the latest, when a batch marked an hour again), oldest hour first.
    const marks = new Map<string, RecomputeMark>();
    for (const item of await queryAll(this.dynamodb, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': recomputePk(dataset) },
    })) {
      for (const mark of marksOf(item)) {
        if (mark.markedAt < markedSince) continue;
        const key = `${mark.periodStart}#${mark.batchId}`;
        const held = marks.get(key);
        if (!held || held.markedAt < mark.markedAt) marks.set(key, mark);
      }
    }
    return [...marks.values()].sort((a, b) =>
      a.periodStart === b.periodStart ? (a.batchId < b.batchId ? -1 : 1) : a.periodStart - b.periodStart,
    );
  }
}

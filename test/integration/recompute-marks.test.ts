// Recompute marks on the emulator, through the SDK: a day's marks of a batch are one item, read back
// as one mark per hour and batch, oldest hour first; a batch marking again never loses a mark, and
// items of one mark an hour (the earlier form) are still read.
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { LocalCloud } from '../../src/local/local-cloud';
import type { RecomputeMark } from '../../src/ports/ingest-ledger';

const HOUR = 3_600_000;
const day = Date.parse('2026-11-02T00:00:00Z');
let cloud: LocalCloud;
let ledger: DynamoDbIngestLedger;
let table: string;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  table = String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
  ledger = new DynamoDbIngestLedger(cloud.clients.dynamodb, table);
});

afterAll(async () => {
  await cloud?.stop();
});

const mark = (dataset: string, hour: number, batchId: string, records: number, markedAt: number): RecomputeMark => ({
  dataset,
  periodStart: day + hour * HOUR,
  batchId,
  records,
  markedAt,
});

async function itemCount(dataset: string): Promise<number> {
  const { Items } = await cloud.clients.dynamodb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `RECOMPUTE#${dataset}` },
    }),
  );
  return Items?.length ?? 0;
}

describe('recompute marks', () => {
  it('keeps a batch’s marks of a day in one item and gives them back hour by hour, oldest first', async () => {
    const marks = [
      ...Array.from({ length: 24 }, (_, h) => mark('d1', 23 - h, 'b1', h + 1, 1_000)),
      mark('d1', 24 + 3, 'b1', 7, 1_000),
      mark('d1', 5, 'b0', 2, 1_000),
    ];
    await ledger.markForRecompute(marks);
    // Day 1 of b1, day 2 of b1, day 1 of b0.
    expect(await itemCount('d1')).toBe(3);
    const read = await ledger.recomputeMarks('d1');
    expect(read).toHaveLength(26);
    expect(read.map((m) => m.periodStart)).toEqual([...read.map((m) => m.periodStart)].sort((a, b) => a - b));
    expect(read.filter((m) => m.periodStart === day + 5 * HOUR).map((m) => m.batchId)).toEqual(['b0', 'b1']);
    expect(read).toContainEqual(mark('d1', 0, 'b1', 24, 1_000));
    expect(read).toContainEqual(mark('d1', 27, 'b1', 7, 1_000));
    expect(await ledger.recomputeMarks('d1', 1_001)).toEqual([]);
  });

  it('writes the same item again for the same marks, and adds one for other hours of the day (none lost)', async () => {
    await ledger.markForRecompute([mark('d2', 1, 'b', 3, 2_000), mark('d2', 2, 'b', 4, 2_000)]);
    await ledger.markForRecompute([mark('d2', 1, 'b', 3, 2_000), mark('d2', 2, 'b', 4, 2_000)]);
    expect(await itemCount('d2')).toBe(1);
    // A later attempt that marks fewer hours keeps the earlier hour; the hour marked again counts once, latest.
    await ledger.markForRecompute([mark('d2', 1, 'b', 3, 3_000)]);
    expect(await itemCount('d2')).toBe(2);
    expect(await ledger.recomputeMarks('d2')).toEqual([mark('d2', 1, 'b', 3, 3_000), mark('d2', 2, 'b', 4, 2_000)]);
    expect(await ledger.recomputeMarks('d2', 2_500)).toEqual([mark('d2', 1, 'b', 3, 3_000)]);
  });

  it('reads marks stored one an hour', async () => {
    const old = mark('d3', 4, 'old', 9, 4_000);
    await cloud.clients.dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'RECOMPUTE#d3', sk: `2026-11-02T04#old`, ...old, periodEnd: old.periodStart + HOUR },
      }),
    );
    await ledger.markForRecompute([mark('d3', 2, 'new', 1, 5_000)]);
    expect(await ledger.recomputeMarks('d3')).toEqual([mark('d3', 2, 'new', 1, 5_000), old]);
  });

  it('writes marks of more than 25 days (several batch writes) and reads every one', async () => {
    const marks = Array.from({ length: 60 }, (_, d) => mark('d4', d * 24 + 6, 'b', d + 1, 6_000));
    await ledger.markForRecompute(marks);
    expect(await itemCount('d4')).toBe(60);
    expect(await ledger.recomputeMarks('d4')).toEqual(marks);
  });
});

// AWS adapters: what the freshness check reads and keeps in the `state` table.
// - Arrivals come from the raw store's commit log (`COMMITS#<dataset>` / `<YYYY-MM-DD>#<version>`,
//   see dynamodb-raw-commit-log.ts): the newest `committedAt` of the entries of recent event days.
//   The log is ordered by event day, not by commit time, so the days read are bounded (a batch of
//   only old events does not make a dataset fresh) and the query is newest day first.
// - The check's state of a dataset: `FRESHNESS#<dataset>` / `state`, written with optimistic
//   locking on `stamp` (single-item conditional writes, as on the local emulator).
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { freshnessStatePartition } from '../../contracts/freshness-check';
import { commitLogPartition } from '../../contracts/raw-layout';
import { type FreshnessState, freshnessStateSchema } from '../../domain/dataset/freshness-state';
import { dayOf } from '../../domain/ingest/commit-log';
import type { DatasetArrivals, FreshnessStateStore } from '../../ports/dataset-freshness';
import { isConditionFailure, queryAll } from './dynamodb-query';

/** Entries read when no commit falls in the recent days: enough to find the newest of older ones. */
const OLDER_ENTRIES = 50;

export class DynamoDbDatasetArrivals implements DatasetArrivals {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async lastArrival(dataset: string, notBefore: number): Promise<number | null> {
    const query = (range: { from: string } | null, limit?: number) =>
      queryAll(
        this.dynamodb,
        {
          TableName: this.table,
          KeyConditionExpression: range ? 'pk = :pk AND sk >= :from' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': commitLogPartition(dataset), ...(range ? { ':from': range.from } : {}) },
          ProjectionExpression: 'committedAt',
          ScanIndexForward: false,
          ConsistentRead: true,
        },
        limit,
      );
    let entries = await query({ from: `${dayOf(notBefore)}#` });
    if (entries.length === 0) entries = await query(null, OLDER_ENTRIES);
    const times = entries.map((entry) => entry.committedAt).filter((t): t is number => typeof t === 'number');
    return times.length > 0 ? Math.max(...times) : null;
  }
}

export class DynamoDbFreshnessState implements FreshnessStateStore {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(dataset: string): Promise<FreshnessState | null> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.table, Key: this.key(dataset), ConsistentRead: true }),
    );
    if (!Item) return null;
    const { pk: _pk, sk: _sk, ...state } = Item;
    return freshnessStateSchema.parse(state);
  }

  async write(next: FreshnessState): Promise<boolean> {
    const first = next.stamp === 1;
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...this.key(next.dataset), ...freshnessStateSchema.parse(next) },
          ConditionExpression: first ? 'attribute_not_exists(pk)' : 'stamp = :previous',
          ...(first ? {} : { ExpressionAttributeValues: { ':previous': next.stamp - 1 } }),
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A put whose answer was lost is sent again by the SDK and fails its own condition: it is
      // ours when the item is exactly what it put.
      const stored = await this.read(next.dataset);
      return stored !== null && JSON.stringify(stored) === JSON.stringify(freshnessStateSchema.parse(next));
    }
  }

  private key(dataset: string) {
    return { pk: freshnessStatePartition(dataset), sk: 'state' };
  }
}

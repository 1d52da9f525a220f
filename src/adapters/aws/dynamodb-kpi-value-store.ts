// AWS adapter: KPI values on the `values` table. One item per KPI × dimensions × grain × period,
// keyed so that both access paths are single Queries:
//
//   pk  KPI#<kpiId>#<dimensionKey>   sk  <grain>#<periodStart ISO>       the series of one KPI and row
//   gsi1pk DATE#<YYYY-MM-DD>         gsi1sk <grain>#<periodStart>#<kpiId>#<dimensionKey>
//                                                                        every KPI for a date / period
//   pk  WRITER#<kpiId>               sk  lease                          who writes the KPI's values now
//
// A write reads the stored fingerprints first (BatchGetItem, strongly consistent) and writes only
// values whose content changed, in BatchWriteItem requests of 25. BatchWriteItem takes no condition,
// so writers of one KPI take turns through a lease item: a writer takes it with a conditional write
// that also checks the lease's version is the one it read beside the values (nobody wrote since),
// writes, and gives it back with the version raised. Two writers never lose each other's update,
// and a restatement is appended to the value's own item in the same write: with no transactions,
// one item is the only way the new value and the record of what it replaced land together.
// A writer that dies holding the lease holds it until it expires (a minute, renewed while a long
// write goes on); the others wait for it.
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { forEachConcurrently } from '../../domain/concurrency';
import { ConflictError } from '../../domain/errors';
import { dimensionKey } from '../../domain/values/dimension-key';
import { type KpiValue, kpiValueSchema, type ValueGrain } from '../../domain/values/kpi-value';
import {
  type Restatement,
  restatementOf,
  restatementSchema,
  type StoredKpiValue,
} from '../../domain/values/restatement';
import { valueFingerprint } from '../../domain/values/value-fingerprint';
import type { KpiValueStore, SeriesPoint, SeriesQuery, ValueWriteReport } from '../../ports/kpi-value-store';
import { queryAll } from './dynamodb-query';

const seriesPointSchema = z.object({ periodStart: z.string(), periodEnd: z.string(), value: z.number().nullable() });

export interface DynamoDbKpiValueStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** BatchWriteItem requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** How long a writer's lease lasts unless renewed, ms. @default 60000 */
  readonly leaseMillis?: number;
  /** How long a writer waits for another's lease before giving up with a ConflictError, ms. @default 180000 */
  readonly maxWaitMillis?: number;
}

const valueKey = (v: Pick<KpiValue, 'kpiId' | 'dimensions' | 'grain' | 'periodStart'>) => ({
  pk: `KPI#${v.kpiId}#${dimensionKey(v.dimensions)}`,
  sk: `${v.grain}#${v.periodStart}`,
});

const leaseKey = (kpiId: string) => ({ pk: `WRITER#${kpiId}`, sk: 'lease' });

type Outcome = { index: number; kind: 'created' | 'updated' | 'unchanged'; restatement: Restatement | null };

/** What a writer read of a lease: its version (writes committed under it) and who holds it until when. */
interface LeaseState {
  readonly version: number;
  readonly owner: string | null;
  readonly expiresAt: number;
}

export class DynamoDbKpiValueStore implements KpiValueStore {
  private readonly concurrency: number;
  private readonly leaseMillis: number;
  private readonly maxWaitMillis: number;

  constructor(private readonly options: DynamoDbKpiValueStoreOptions) {
    this.concurrency = options.concurrency ?? 4;
    this.leaseMillis = options.leaseMillis ?? 60_000;
    this.maxWaitMillis = options.maxWaitMillis ?? 180_000;
  }

  async write(values: readonly KpiValue[]): Promise<ValueWriteReport> {
    const parsed = values.map((v) => kpiValueSchema.parse(v));
    const byKpi = new Map<string, number[]>();
    parsed.forEach((value, index) => {
      byKpi.set(value.kpiId, [...(byKpi.get(value.kpiId) ?? []), index]);
    });
    const outcomes: Outcome[] = [];
    for (const [kpiId, indexes] of byKpi) {
      const written = await this.writeKpi(
        kpiId,
        indexes.map((i) => parsed[i] as KpiValue),
      );
      outcomes.push(...written.map((o) => ({ ...o, index: indexes[o.index] as number })));
    }
    return {
      created: outcomes.filter((o) => o.kind === 'created').length,
      updated: outcomes.filter((o) => o.kind === 'updated').length,
      unchanged: outcomes.filter((o) => o.kind === 'unchanged').length,
      written: outcomes
        .filter((o) => o.kind !== 'unchanged')
        .sort((a, b) => a.index - b.index)
        .map((o) => parsed[o.index] as KpiValue),
      restatements: outcomes.flatMap((o) => (o.restatement ? [o.restatement] : [])),
    };
  }

  async history(query: SeriesQuery): Promise<StoredKpiValue[]> {
    const { pk } = valueKey({ ...query, periodStart: query.from });
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': `${query.grain}#${query.from}`,
        ':to': `${query.grain}#${query.to}`,
      },
    });
    // BETWEEN includes its upper bound; periods are half-open.
    return items.map(toStored).filter((v) => v.periodStart < query.to);
  }

  async series(query: SeriesQuery): Promise<SeriesPoint[]> {
    const { pk } = valueKey({ ...query, periodStart: query.from });
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      // Only what drift detection reads: lineage makes a full item a hundred times larger.
      ProjectionExpression: 'periodStart, periodEnd, #value',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: {
        ':pk': pk,
        ':from': `${query.grain}#${query.from}`,
        ':to': `${query.grain}#${query.to}`,
      },
    });
    return items.map((item) => seriesPointSchema.parse(item)).filter((p) => p.periodStart < query.to);
  }

  async forDate(date: string): Promise<StoredKpiValue[]> {
    const items = await this.query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :d',
      ExpressionAttributeValues: { ':d': `DATE#${date}` },
    });
    return items.map(toStored);
  }

  async forPeriod(grain: ValueGrain, periodStart: string): Promise<StoredKpiValue[]> {
    const items = await this.query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :d AND begins_with(gsi1sk, :p)',
      ExpressionAttributeValues: { ':d': `DATE#${periodStart.slice(0, 10)}`, ':p': `${grain}#${periodStart}#` },
    });
    return items.map(toStored);
  }

  /**
   * Writes the values of one KPI that changed, under the KPI's lease: read (values and lease
   * together), take the lease if nobody wrote since, write in batches, give the lease back.
   */
  private async writeKpi(kpiId: string, values: readonly KpiValue[]): Promise<Outcome[]> {
    const fingerprints = values.map(valueFingerprint);
    const waitUntil = Date.now() + this.maxWaitMillis;
    for (let attempt = 0; ; attempt += 1) {
      const { stored, lease } = await this.readForWrite(kpiId, values.map(valueKey));
      const outcomes: Outcome[] = [];
      const items: Record<string, unknown>[] = [];
      values.forEach((value, index) => {
        const { pk, sk } = valueKey(value);
        const current = stored.get(`${pk}|${sk}`) ?? null;
        const fingerprint = fingerprints[index] as string;
        if (current && current.fingerprint === fingerprint) {
          outcomes.push({ index, kind: 'unchanged', restatement: null });
          return;
        }
        const revision = (current?.revision ?? 0) + 1;
        const restatement = restatementOf(current, value, revision);
        const restatements = [...(current?.restatements ?? []), ...(restatement ? [restatement] : [])];
        items.push({ ...this.item(value), fingerprint, revision, restatements });
        outcomes.push({ index, kind: current ? 'updated' : 'created', restatement });
      });
      if (items.length === 0) return outcomes;
      // Values read while another writer held the lease may be half-written: they are read again
      // once it is free. Read while it was free, they hold unless someone writes before we take it,
      // which the version the lease is taken at tells.
      const held = lease.owner !== null && lease.expiresAt > Date.now();
      if (!held) {
        const owner = randomUUID();
        if (await this.takeLease(kpiId, owner, lease)) {
          await this.writeUnderLease(kpiId, owner, items);
          await this.releaseLease(kpiId, owner, lease.version);
          return outcomes;
        }
      }
      if (Date.now() > waitUntil) {
        throw new ConflictError(`${kpiId}: another writer kept the values' lease for ${this.maxWaitMillis / 1000} s`);
      }
      if (held) await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6), Math.max(1, lease.expiresAt - Date.now())));
    }
  }

  /** The stored values at `keys` and the KPI's lease, in one strongly consistent read. */
  private async readForWrite(
    kpiId: string,
    keys: { pk: string; sk: string }[],
  ): Promise<{ stored: Map<string, StoredKpiValue>; lease: LeaseState }> {
    const lease = leaseKey(kpiId);
    const items = await this.batchGet([lease, ...keys]);
    const leaseItem = items.get(`${lease.pk}|${lease.sk}`);
    items.delete(`${lease.pk}|${lease.sk}`);
    const stored = new Map<string, StoredKpiValue>();
    for (const [key, item] of items) stored.set(key, toStored(item));
    return { stored, lease: leaseStateOf(leaseItem) };
  }

  /** Takes the lease if it is free (or expired) and still at the version read; false otherwise. */
  private async takeLease(kpiId: string, owner: string, seen: LeaseState): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: leaseKey(kpiId),
          UpdateExpression: 'SET #owner = :owner, expiresAt = :expires',
          ConditionExpression:
            '(attribute_not_exists(#owner) OR expiresAt < :now) AND ' +
            (seen.version === 0 ? 'attribute_not_exists(version)' : 'version = :version'),
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':expires': Date.now() + this.leaseMillis,
            ':now': Date.now(),
            ...(seen.version === 0 ? {} : { ':version': seen.version }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A retry of a take whose answer was lost fails its own condition: the lease is ours then.
      return (await this.readLease(kpiId)).owner === owner;
    }
  }

  /** The lease as it is now (a strongly consistent read). */
  private async readLease(kpiId: string): Promise<LeaseState> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: leaseKey(kpiId), ConsistentRead: true }),
    );
    return leaseStateOf(Item);
  }

  /** Extends the lease while it is still ours. @throws ConflictError when it was lost */
  private async renewLease(kpiId: string, owner: string): Promise<number> {
    const expiresAt = Date.now() + this.leaseMillis;
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: leaseKey(kpiId),
          UpdateExpression: 'SET expiresAt = :expires',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner, ':expires': expiresAt },
        }),
      );
      return expiresAt;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`${kpiId}: the values' lease expired during a write`, { cause: error });
      }
      throw error;
    }
  }

  /** Gives the lease back with its version raised: readers of the old version know something changed. */
  private async releaseLease(kpiId: string, owner: string, version: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: leaseKey(kpiId),
          UpdateExpression: 'SET version = :next REMOVE #owner, expiresAt',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner, ':next': version + 1 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A retry of a release whose answer was lost fails its own condition; the raised version says
      // the release was applied (whoever holds the lease since took it after it).
      const now = await this.readLease(kpiId);
      if (now.owner !== owner && now.version >= version + 1) return;
      throw new ConflictError(`${kpiId}: the values' lease expired during a write`, { cause: error });
    }
  }

  /** BatchWriteItem in requests of 25, a few at once, renewing the lease before it runs short. */
  private async writeUnderLease(kpiId: string, owner: string, items: readonly Record<string, unknown>[]) {
    let expiresAt = Date.now() + this.leaseMillis;
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
    await forEachConcurrently(chunks, this.concurrency, async (chunk) => {
      if (expiresAt - Date.now() < this.leaseMillis / 2) expiresAt = await this.renewLease(kpiId, owner);
      await this.batchWrite(chunk);
    });
  }

  private async batchWrite(items: readonly Record<string, unknown>[]): Promise<void> {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = items.map((Item) => ({
      PutRequest: { Item },
    }));
    for (let round = 0; pending && pending.length > 0; round += 1) {
      const response = await this.options.client.send(
        new BatchWriteCommand({ RequestItems: { [this.options.tableName]: pending } }),
      );
      pending = response.UnprocessedItems?.[this.options.tableName] as typeof pending;
      if (pending?.length) await sleep(Math.min(1000, 20 * 2 ** round));
    }
  }

  private item(value: KpiValue): Record<string, unknown> {
    const key = valueKey(value);
    return {
      ...key,
      gsi1pk: `DATE#${value.periodStart.slice(0, 10)}`,
      gsi1sk: `${value.grain}#${value.periodStart}#${value.kpiId}#${dimensionKey(value.dimensions)}`,
      ...value,
    };
  }

  private async batchGet(keys: { pk: string; sk: string }[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const unique = [...new Map(keys.map((k) => [`${k.pk}|${k.sk}`, k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = unique.slice(i, i + 100);
      for (let round = 0; pending && pending.length > 0; round += 1) {
        const response = await this.options.client.send(
          new BatchGetCommand({
            RequestItems: { [this.options.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          found.set(`${item.pk}|${item.sk}`, item);
        }
        pending = response.UnprocessedKeys?.[this.options.tableName]?.Keys as Record<string, unknown>[] | undefined;
        if (pending?.length) await sleep(Math.min(1000, 20 * 2 ** round));
      }
    }
    return found;
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items = await queryAll(this.options.client, {
      TableName: this.options.tableName,
      ...input,
    });
    return items;
  }
}

/** A stored item back into a value, validated. */
function toStored(item: Record<string, unknown>): StoredKpiValue {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, fingerprint, revision, restatements, ...rest } = item;
  return {
    ...kpiValueSchema.parse(rest),
    fingerprint: String(fingerprint),
    revision: Number(revision),
    restatements: restatementSchema.array().parse(restatements ?? []),
  };
}

function leaseStateOf(item: Record<string, unknown> | undefined): LeaseState {
  return {
    version: typeof item?.version === 'number' ? item.version : 0,
    owner: typeof item?.owner === 'string' ? item.owner : null,
    expiresAt: typeof item?.expiresAt === 'number' ? item.expiresAt : 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

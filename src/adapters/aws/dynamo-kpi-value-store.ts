// AWS adapter: KPI values on the `values` table. One item per KPI × dimensions × grain × period,
// keyed so that both access paths are single Queries:
//
//   pk  KPI#<kpiId>#<dimensionKey>   sk  <grain>#<periodStart ISO>       the series of one KPI and row
//   gsi1pk DATE#<YYYY-MM-DD>         gsi1sk <grain>#<periodStart>#<kpiId>#<dimensionKey>
//                                                                        every KPI for a date / period
//
// A write reads the stored fingerprints first (BatchGetItem) and puts only values whose content
// changed, conditioned on the fingerprint it read, so two writers cannot lose each other's update.
// A restatement is appended to the value's own list in that same put: with no transactions, one
// item is the only way the new value and the record of what it replaced land together or not at all.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
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
import { queryAll } from './dynamo-query';

const seriesPointSchema = z.object({ periodStart: z.string(), periodEnd: z.string(), value: z.number().nullable() });

export interface DynamoKpiValueStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Conditional puts in flight at once. @default 16 */
  readonly concurrency?: number;
}

const valueKey = (v: Pick<KpiValue, 'kpiId' | 'dimensions' | 'grain' | 'periodStart'>) => ({
  pk: `KPI#${v.kpiId}#${dimensionKey(v.dimensions)}`,
  sk: `${v.grain}#${v.periodStart}`,
});

type Outcome = { index: number; kind: 'created' | 'updated' | 'unchanged'; restatement: Restatement | null };

export class DynamoKpiValueStore implements KpiValueStore {
  private readonly concurrency: number;

  constructor(private readonly options: DynamoKpiValueStoreOptions) {
    this.concurrency = options.concurrency ?? 16;
  }

  async write(values: readonly KpiValue[]): Promise<ValueWriteReport> {
    const parsed = values.map((v) => kpiValueSchema.parse(v));
    const stored = await this.batchGet(parsed.map(valueKey));
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < parsed.length) {
        const index = next++;
        const value = parsed[index] as KpiValue;
        const { pk, sk } = valueKey(value);
        outcomes.push({ index, ...(await this.writeOne(value, stored.get(`${pk}|${sk}`) ?? null)) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, parsed.length) }, worker));
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

  /** Writes one value unless unchanged; retries when another writer changed it in between. */
  private async writeOne(value: KpiValue, previous: StoredKpiValue | null): Promise<Omit<Outcome, 'index'>> {
    const fingerprint = valueFingerprint(value);
    let current = previous;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      if (current && current.fingerprint === fingerprint) return { kind: 'unchanged', restatement: null };
      const revision = (current?.revision ?? 0) + 1;
      const restatement = restatementOf(current, value, revision);
      const restatements = [...(current?.restatements ?? []), ...(restatement ? [restatement] : [])];
      try {
        await this.options.client.send(
          new PutCommand({
            TableName: this.options.tableName,
            Item: { ...this.item(value), fingerprint, revision, restatements },
            ...(current
              ? { ConditionExpression: 'fingerprint = :fp', ExpressionAttributeValues: { ':fp': current.fingerprint } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        return { kind: current ? 'updated' : 'created', restatement };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const { Item } = await this.options.client.send(
          new GetCommand({ TableName: this.options.tableName, Key: valueKey(value), ConsistentRead: true }),
        );
        current = Item ? toStored(Item) : null;
      }
    }
    throw new ConflictError(`${value.kpiId} ${value.periodStart}: too many concurrent writes of one value`);
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

  private async batchGet(keys: { pk: string; sk: string }[]): Promise<Map<string, StoredKpiValue>> {
    const found = new Map<string, StoredKpiValue>();
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
          found.set(`${item.pk}|${item.sk}`, toStored(item));
        }
        pending = response.UnprocessedKeys?.[this.options.tableName]?.Keys as Record<string, unknown>[] | undefined;
        if (pending?.length) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
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

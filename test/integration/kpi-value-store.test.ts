import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { LocalCloud } from '../../src/local/local-cloud';
import { RequestMeter, servicePortsOf } from '../../src/local/request-meter';
import { computedAt, sampleValue, withLateBatch } from '../support/kpi-values';

let cloud: LocalCloud;
let store: DynamoDbKpiValueStore;

beforeAll(async () => {
  // On this thread: the request meter sees the emulators' requests.
  cloud = await LocalCloud.start({ emulatorThread: false });
  store = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') });
});

afterAll(async () => {
  await cloud?.stop();
});

const day = (n: number) => new Date(Date.UTC(2024, 2, n)).toISOString();

describe('DynamoDbKpiValueStore', () => {
  it('serves the history of one KPI and dimension between two dates, half-open and oldest first', async () => {
    const values = [4, 5, 6, 7].flatMap((n) => [
      sampleValue({ kpiId: 'history_kpi', periodStart: day(n), value: n }),
      sampleValue({ kpiId: 'history_kpi', periodStart: day(n), dimensions: { campaign: 'autumn' }, value: -n }),
    ]);
    await store.write(values.reverse());
    const history = await store.history({
      kpiId: 'history_kpi',
      dimensions: { campaign: 'spring' },
      grain: 'day',
      from: day(5),
      to: day(7),
    });
    expect(history.map((v) => [v.periodStart, v.value])).toEqual([
      [day(5), 5],
      [day(6), 6],
    ]);
  });

  it('serves every KPI of a date, and every KPI of one period of a grain', async () => {
    const date = '2024-04-01';
    await store.write([
      sampleValue({ kpiId: 'a', periodStart: `${date}T00:00:00.000Z` }),
      sampleValue({ kpiId: 'b', periodStart: `${date}T00:00:00.000Z`, dimensions: {} }),
      sampleValue({
        kpiId: 'c',
        grain: 'hour',
        periodStart: `${date}T05:00:00.000Z`,
        periodEnd: `${date}T06:00:00.000Z`,
      }),
    ]);
    expect((await store.forDate(date)).map((v) => v.kpiId).sort()).toEqual(['a', 'b', 'c']);
    expect((await store.forPeriod('day', `${date}T00:00:00.000Z`)).map((v) => v.kpiId).sort()).toEqual(['a', 'b']);
  });

  it('writes nothing when a recomputation gives the same value from the same inputs', async () => {
    const value = sampleValue({ kpiId: 'same' });
    expect(await store.write([value])).toMatchObject({ created: 1 });
    const again = await store.write([computedAt(value, '2024-03-06T00:00:00.000Z')]);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const [stored] = await store
      .forPeriod('day', value.periodStart)
      .then((all) => all.filter((v) => v.kpiId === 'same'));
    expect(stored).toMatchObject({ revision: 1, lineage: { computedAt: value.lineage.computedAt } });
  });

  it('rewrites a value whose lineage changed, without calling it a restatement when the value held', async () => {
    const value = sampleValue({ kpiId: 'lineage_only' });
    await store.write([value]);
    const report = await store.write([withLateBatch(value)]);
    expect(report).toMatchObject({ updated: 1, restatements: [] });
  });

  it('records a restatement when a final value changes, and keeps it on the value', async () => {
    const value = sampleValue({ kpiId: 'restated' });
    await store.write([value]);
    const late = {
      ...computedAt(withLateBatch(value), '2024-03-06T03:00:00.000Z'),
      value: 0.027,
      status: 'yellow' as const,
    };
    const report = await store.write([late]);
    expect(report.restatements).toEqual([
      expect.objectContaining({
        cause: 'input_change',
        previous: expect.objectContaining({ value: 0.031 }),
        revision: 2,
      }),
    ]);
    const [stored] = await store.history({
      kpiId: 'restated',
      dimensions: value.dimensions,
      grain: 'day',
      from: day(4),
      to: day(5),
    });
    expect(stored).toMatchObject({
      value: 0.027,
      revision: 2,
      restatements: [expect.objectContaining({ revision: 2 })],
    });
  });

  it('lets a provisional value move without recording a restatement', async () => {
    const value = sampleValue({ kpiId: 'provisional', provisional: true });
    await store.write([value]);
    const report = await store.write([{ ...withLateBatch(value), value: 0.02, provisional: false }]);
    expect(report).toMatchObject({ updated: 1, restatements: [] });
  });

  it('keeps a row with a missing dimension value apart from one with an empty value', async () => {
    await store.write([
      sampleValue({ kpiId: 'nulls', dimensions: { agent: null }, value: 1 }),
      sampleValue({ kpiId: 'nulls', dimensions: { agent: '' }, value: 2 }),
    ]);
    const all = (await store.forDate('2024-03-04')).filter((v) => v.kpiId === 'nulls');
    expect(all.map((v) => [v.dimensions.agent, v.value]).sort((x, y) => Number(x[1]) - Number(y[1]))).toEqual([
      [null, 1],
      ['', 2],
    ]);
  });

  it('loses neither of two concurrent writers of one value', async () => {
    const value = sampleValue({ kpiId: 'race' });
    await store.write([value]);
    const a = { ...withLateBatch(value, 'from-a'), provisional: true };
    const b = { ...withLateBatch(value, 'from-b'), provisional: true };
    const reports = await Promise.all([store.write([a]), store.write([b])]);
    expect(reports.map((r) => r.updated)).toEqual([1, 1]);
    const [stored] = await store.history({
      kpiId: 'race',
      dimensions: value.dimensions,
      grain: 'day',
      from: day(4),
      to: day(5),
    });
    expect(stored?.revision).toBe(3);
  });

  it('writes many values in few requests, and every one of them', async () => {
    const values = Array.from({ length: 120 }, (_, n) =>
      sampleValue({ kpiId: 'many', dimensions: { campaign: `c${n}` }, value: n }),
    );
    const meter = RequestMeter.attach(servicePortsOf(cloud));
    const report = await store.write(values);
    meter.detach();
    expect(report).toMatchObject({ created: 120, updated: 0, unchanged: 0 });
    expect(report.written).toHaveLength(120);
    // One read of values and lease, the lease taken, five batches of 25, the lease given back.
    expect(meter.reading()).toMatchObject({
      'dynamodb:BatchGetItem': { requests: 2 },
      'dynamodb:UpdateItem': { requests: 2 },
      'dynamodb:BatchWriteItem': { requests: 5 },
    });
    expect(RequestMeter.total(meter.reading())).toBe(9);
    const stored = await store.forDate('2024-03-04');
    expect(
      stored
        .filter((v) => v.kpiId === 'many')
        .map((v) => v.value)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(values.map((v) => v.value));
  });

  it('waits for the lease of a writer that died holding it, then writes', async () => {
    const table = cloud.physicalName('ValuesTable');
    const short = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: table, leaseMillis: 1000 });
    const value = sampleValue({ kpiId: 'orphan' });
    await short.write([value]);
    // A writer took the lease and never came back.
    await cloud.clients.dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'WRITER#orphan', sk: 'lease', version: 1, owner: 'dead', expiresAt: Date.now() + 800 },
      }),
    );
    const started = Date.now();
    const report = await short.write([{ ...withLateBatch(value), provisional: true }]);
    expect(report.updated).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('gives up with a ConflictError when another writer keeps the lease', async () => {
    const table = cloud.physicalName('ValuesTable');
    const impatient = new DynamoDbKpiValueStore({
      client: cloud.clients.dynamodb,
      tableName: table,
      maxWaitMillis: 300,
    });
    await cloud.clients.dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'WRITER#stuck', sk: 'lease', version: 1, owner: 'other', expiresAt: Date.now() + 60_000 },
      }),
    );
    await expect(impatient.write([sampleValue({ kpiId: 'stuck' })])).rejects.toMatchObject({ name: 'ConflictError' });
  });
});

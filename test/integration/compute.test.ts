import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { S3InputArchive } from '../../src/adapters/aws/s3-input-archive';
import { S3PartialCache } from '../../src/adapters/aws/s3-partial-cache';
import type { ComputeSummary } from '../../src/contracts/compute-function';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { PARTIALS_PREFIX } from '../../src/contracts/work-layout';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import { compileKpi } from '../../src/domain/engine/kpi';
import type { KpiPartialState } from '../../src/domain/engine/state';
import type { TypedRecord } from '../../src/domain/records';
import { summarizeInputs } from '../../src/domain/values/kpi-value';
import { sha256Hex } from '../../src/domain/versioning/sha256';
import { LocalCloud } from '../../src/local/local-cloud';
import type { KeptPartition, PartialIndex, WantedState } from '../../src/ports/partial-cache';
import { generateSampleData } from '../../src/sample/generate';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 1);
const DAYS = 6;
const from = new Date(START).toISOString();
const to = new Date(START + DAYS * DAY).toISOString();
const asOf = new Date(START + (DAYS + 2) * DAY).toISOString();
const dayAfter = (iso: string) => new Date(Date.parse(iso) + DAY).toISOString();

let cloud: LocalCloud;
let values: DynamoDbKpiValueStore;
let records: TypedRecord[];
/** The last hour of the range, ingested only later: a new hour for the refresh. */
let newHour: TypedRecord[];
let definition: KpiDefinition;

const compute = (event: Record<string, unknown>) => cloud.functions.invoke('compute', event) as Promise<ComputeSummary>;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  const _rawBucket = cloud.physicalName('RawBucket', 'AWS::S3::Bucket');
  values = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') });
  definition = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
  const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
    now: () => START,
  });
  await store.publish(definition, { author: 'paid-media@example.com', reason: 'first version' });
  const all = generateSampleData({ start: '2026-06-01', days: DAYS }).ad_performance;
  const lastHour = START + DAYS * DAY - 3_600_000;
  newHour = all.filter((r) => (r.ts as number) >= lastHour);
  records = all.filter((r) => (r.ts as number) < lastHour);
  for (let day = 0; day < DAYS; day += 1) {
    const batch = records.filter((r) => Math.floor(((r.ts as number) - START) / DAY) === day);
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: `day-${day}`,
      records: batch,
      eventTimeField: 'ts',
      quarantined: day === 2 ? Math.round(batch.length / 4) : 0,
    });
  }
});

afterAll(async () => {
  await cloud?.stop();
});

describe('compute function', () => {
  it('computes every period of a range from the raw store, reading each hour once', async () => {
    const summary = await compute({ kpiId: 'ctr', from, to, asOf });
    expect(summary).toMatchObject({
      outcome: 'computed',
      version: 1,
      periods: { inRange: DAYS, finalized: DAYS },
      partitions: { read: DAYS * 24 - 1, aggregated: DAYS * 24 - 1, reused: 0 },
    });
    expect(summary.values.created).toBeGreaterThan(DAYS);
  });

  it('stores the same values a one-pass computation over all the records gives', async () => {
    const kpi = compileKpi(definition);
    const expected = kpi
      .finalize(kpi.partial('ad_performance', records), {
        asOf: Date.parse(asOf),
        from: START,
        to: START + DAYS * DAY,
        version: 1,
      })
      .values.map((v) => [v.periodStart, JSON.stringify(v.dimensions), v.value, v.status, v.sampleSize]);
    const stored = [];
    for (let day = 0; day < DAYS; day += 1) {
      stored.push(...(await values.forPeriod('day', new Date(START + day * DAY).toISOString())));
    }
    const actual = stored
      .filter((v) => v.kpiId === 'ctr')
      .map((v) => [v.periodStart, JSON.stringify(v.dimensions), v.value, v.status, v.sampleSize]);
    const order = (a: unknown[], b: unknown[]) => String(a.slice(0, 2)).localeCompare(String(b.slice(0, 2)));
    expect(actual.sort(order)).toEqual(expected.sort(order));
  });

  it('computes a KPI over all time on its schedule, reading every partition, as one pass over all the records does', async () => {
    const overAllTime: KpiDefinition = { ...definition, id: 'ctr_all_time', grain: 'all_time' };
    const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
      now: () => START,
    });
    await store.publish(overAllTime, { author: 'paid-media@example.com', reason: 'CTR since the first ad' });
    const summary = await compute({ kpiId: 'ctr_all_time', scheduledTime: asOf });
    expect(summary).toMatchObject({
      outcome: 'computed',
      periods: { inRange: 1, finalized: 1 },
      partitions: { read: DAYS * 24 - 1 },
    });
    const kpi = compileKpi(overAllTime);
    const expected = kpi
      .finalize(kpi.partial('ad_performance', records), { asOf: Date.parse(asOf), version: 1 })
      .values.map((v) => [JSON.stringify(v.dimensions), v.value, v.sampleSize, v.provisional]);
    const stored = (await values.forPeriod('all_time', '1970-01-01T00:00:00.000Z'))
      .filter((v) => v.kpiId === 'ctr_all_time')
      .map((v) => [JSON.stringify(v.dimensions), v.value, v.sampleSize, v.provisional]);
    expect(stored.sort()).toEqual(expected.sort());
    expect(stored.length).toBeGreaterThan(1);
  });

  it('records the lineage of every value: definition, input partitions with manifests, code, confidence', async () => {
    const [value] = await values.history({
      kpiId: 'ctr',
      dimensions: {},
      grain: 'day',
      from: new Date(START + 2 * DAY).toISOString(),
      to: new Date(START + 3 * DAY).toISOString(),
    });
    expect(value?.lineage.definition).toMatchObject({ id: 'ctr', version: 1 });
    expect(value?.lineage.inputs).toEqual([
      expect.objectContaining({
        dataset: 'ad_performance',
        partitions: 24,
        first: 'date=2026-06-03/hour=00',
        last: 'date=2026-06-03/hour=23',
        objects: 24,
        manifests: [expect.stringMatching(/^raw\/_manifests\/dataset=ad_performance\/.*day-2\.json$/)],
        manifestCount: 1,
      }),
    ]);
    // The full per-partition list is archived, and its digest is the one the summary carries.
    const archived = await new S3InputArchive(
      cloud.clients.s3,
      cloud.physicalName('WorkBucket', 'AWS::S3::Bucket'),
    ).get(value?.lineage.inputsRef ?? '');
    expect(archived).toHaveLength(24);
    expect(archived?.[0]).toMatchObject({
      dataset: 'ad_performance',
      partition: 'date=2026-06-03/hour=00',
      objects: 1,
    });
    expect(summarizeInputs(archived ?? [], sha256Hex)).toEqual(value?.lineage.inputs);
    expect(value?.lineage.codeVersion).toMatch(/^0\.1\.0/);
    // The batch quarantined a quarter as many rows as it kept, attributed to each hour by its share.
    const day = records.filter((r) => Math.floor(((r.ts as number) - START) / DAY) === 2);
    const quarantined = Math.round(day.length / 4);
    const perHour = new Map<number, number>();
    for (const r of day)
      perHour.set(
        Math.floor((r.ts as number) / 3_600_000),
        (perHour.get(Math.floor((r.ts as number) / 3_600_000)) ?? 0) + 1,
      );
    const attributed = [...perHour.values()].reduce((sum, n) => sum + Math.round((quarantined * n) / day.length), 0);
    expect(value?.confidence).toBe(Math.round((day.length / (day.length + attributed)) * 10_000) / 10_000);
  });

  it('does nothing on a rerun over unchanged inputs', async () => {
    const summary = await compute({ kpiId: 'ctr', from, to, asOf });
    expect(summary).toMatchObject({
      periods: { finalized: 0 },
      partitions: { aggregated: 0, reused: DAYS * 24 - 1 },
      values: { created: 0, updated: 0 },
    });
  });

  it('writes no value when a period is computed again from scratch on its own (its input list then in an object of its own)', async () => {
    // The first run archived the lists of all its periods in one pack; without the kept states, one
    // day is finalized again and its list archived alone: the same list, so the same value.
    const work = cloud.physicalName('WorkBucket', 'AWS::S3::Bucket');
    const { Contents = [] } = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: work, Prefix: PARTIALS_PREFIX }),
    );
    expect(Contents.length).toBeGreaterThan(0);
    await cloud.clients.s3.send(
      new DeleteObjectsCommand({ Bucket: work, Delete: { Objects: Contents.map(({ Key }) => ({ Key })) } }),
    );
    const [before] = await values.history({ kpiId: 'ctr', dimensions: {}, grain: 'day', from, to: dayAfter(from) });
    expect(before?.lineage.inputsRef).toContain('/pack-');
    const summary = await compute({ kpiId: 'ctr', from, to: dayAfter(from), asOf });
    expect(summary).toMatchObject({ periods: { finalized: 1 }, values: { created: 0, updated: 0 } });
    const [after] = await values.history({ kpiId: 'ctr', dimensions: {}, grain: 'day', from, to: dayAfter(from) });
    expect(after).toEqual(before);
    // Later tests start from kept states again.
    await compute({ kpiId: 'ctr', from, to, asOf });
  });

  it('recomputes only the period a late batch lands in, and records the restatement', async () => {
    const late = records
      .filter(
        (r) =>
          (r.ts as number) >= START + 3 * DAY + 5 * 3_600_000 && (r.ts as number) < START + 3 * DAY + 6 * 3_600_000,
      )
      .map((r) => ({ ...r, clicks: (r.clicks as number) * 40 }));
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: 'late-correction',
      records: late,
      eventTimeField: 'ts',
    });
    const summary = await compute({ kpiId: 'ctr', from, to, asOf });
    expect(summary).toMatchObject({ periods: { finalized: 1 }, partitions: { aggregated: 1 } });
    expect(summary.restatements).toBeGreaterThan(0);
    const [overall] = await values.history({
      kpiId: 'ctr',
      dimensions: {},
      grain: 'day',
      from: new Date(START + 3 * DAY).toISOString(),
      to: new Date(START + 4 * DAY).toISOString(),
    });
    expect(overall?.restatements).toEqual([expect.objectContaining({ cause: 'input_change', revision: 2 })]);
  });

  it('merges a new hour into the stored state of its period and stores the one-pass values', async () => {
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: 'new-hour',
      records: newHour,
      eventTimeField: 'ts',
    });
    const summary = await compute({ kpiId: 'ctr', from, to, asOf });
    expect(summary).toMatchObject({ periods: { finalized: 1 }, partitions: { aggregated: 1 } });
    const lastDay = START + (DAYS - 1) * DAY;
    const kpi = compileKpi(definition);
    const expected = kpi
      .finalize(kpi.partial('ad_performance', [...records, ...newHour]), {
        asOf: Date.parse(asOf),
        from: lastDay,
        to: lastDay + DAY,
        version: 1,
      })
      .values.map((v) => [JSON.stringify(v.dimensions), v.value, v.sampleSize]);
    const stored = (await values.forPeriod('day', new Date(lastDay).toISOString()))
      .filter((v) => v.kpiId === 'ctr')
      .map((v) => [JSON.stringify(v.dimensions), v.value, v.sampleSize]);
    expect(stored.sort()).toEqual(expected.sort());
  });

  it('refreshes on its schedule: the recent periods, as of the scheduled time', async () => {
    const summary = await compute({
      kpiId: 'ctr',
      scheduledTime: new Date(START + (DAYS - 1) * DAY + 3_600_000).toISOString(),
    });
    expect(summary).toMatchObject({ outcome: 'computed', periods: { inRange: 8 } });
  });

  it('recomputes, on a later schedule, the old period late data was marked for, and nothing else', async () => {
    const _rawBucket = cloud.physicalName('RawBucket', 'AWS::S3::Bucket');
    const ledger = new DynamoDbIngestLedger(cloud.clients.dynamodb, cloud.physicalName('StateTable'));
    // Three weeks on, far beyond the refresh's seven-day lookback, a correction for day 1 arrives.
    const scheduledTime = START + 21 * DAY + 3_600_000;
    const hour = START + DAY + 9 * 3_600_000;
    const late = records
      .filter((r) => (r.ts as number) >= hour && (r.ts as number) < hour + 3_600_000)
      .map((r) => ({ ...r, clicks: (r.clicks as number) * 25 }));
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: 'late-correction-day-1',
      records: late,
      eventTimeField: 'ts',
    });
    const [before] = await values.history({
      kpiId: 'ctr',
      dimensions: {},
      grain: 'day',
      from: new Date(START + DAY).toISOString(),
      to: new Date(START + 2 * DAY).toISOString(),
    });
    // A mark from before the retention of marks is no longer acted on.
    await ledger.markForRecompute([
      {
        dataset: 'ad_performance',
        periodStart: START + 4 * DAY,
        batchId: 'long-ago',
        records: 1,
        markedAt: scheduledTime - 10 * DAY,
      },
      {
        dataset: 'ad_performance',
        periodStart: hour,
        batchId: 'late-correction-day-1',
        records: late.length,
        markedAt: scheduledTime - 3_600_000,
      },
    ]);
    const refresh = await compute({ kpiId: 'ctr', scheduledTime: new Date(scheduledTime).toISOString() });
    expect(refresh.late).toEqual({ periods: 1, restatements: expect.any(Number) });
    expect(refresh.late.restatements).toBeGreaterThan(0);
    const [after] = await values.history({
      kpiId: 'ctr',
      dimensions: {},
      grain: 'day',
      from: new Date(START + DAY).toISOString(),
      to: new Date(START + 2 * DAY).toISOString(),
    });
    expect(after?.value).toBeGreaterThan(before?.value ?? Number.POSITIVE_INFINITY);
    expect(after?.restatements.at(-1)).toMatchObject({ cause: 'input_change', previous: { value: before?.value } });
    // The next schedule finds the same mark, and nothing changed since: nothing is written.
    const again = await compute({ kpiId: 'ctr', scheduledTime: new Date(scheduledTime + DAY).toISOString() });
    expect(again.late).toEqual({ periods: 0, restatements: 0 });
  });

  it('skips a KPI that was never published', async () => {
    expect(await compute({ kpiId: 'nothing', from, to, asOf })).toMatchObject({ outcome: 'inactive' });
  });
});

describe('partial cache in the work bucket', () => {
  const state = (n: number) => ({ probe: n }) as unknown as KpiPartialState;
  const hourKey = (h: number) => `ds/date=2026-01-01/hour=${String(h).padStart(2, '0')}`;
  const entry = (fingerprint: string) => ({
    fingerprint,
    rows: 1,
    quarantined: 0,
    newestEventAt: null,
    manifests: [],
    objects: 1,
  });
  const listKeys = async (prefix: string) => {
    const bucket = cloud.physicalName('WorkBucket', 'AWS::S3::Bucket');
    const { Contents = [] } = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return Contents.map((c) => c.Key);
  };
  const cacheOf = () => new S3PartialCache(cloud.clients.s3, cloud.physicalName('WorkBucket', 'AWS::S3::Bucket'));

  it('keeps the states of a day (hours of every dataset, periods starting then) in one object, and a later hour beside them', async () => {
    const cache = cacheOf();
    const index: PartialIndex = { partitions: {}, periods: {} };
    const partitions = new Map(
      Array.from({ length: 23 }, (_, h) => [hourKey(h), { fingerprint: `f${h}`, state: state(h) }]),
    );
    for (const [key, kept] of partitions) index.partitions[key] = entry(kept.fingerprint);
    index.periods['2026-01-01T00:00:00.000Z'] = {
      inputs: 'd1',
      definitionHash: 'h',
      codeVersion: 'c',
      provisional: false,
    };
    await cache.write('probe', 'sig', {
      partitions,
      periods: new Map([['2026-01-01T00:00:00.000Z', { inputs: 'd1', state: state(100) }]]),
      index,
      months: ['2026-01'],
    });
    index.partitions[hourKey(23)] = entry('f23');
    await cache.write('probe', 'sig', {
      partitions: new Map([[hourKey(23), { fingerprint: 'f23', state: state(23) }]]),
      periods: new Map(),
      index,
      months: ['2026-01'],
    });
    expect(await listKeys('partials/kpi=probe/')).toEqual([
      'partials/kpi=probe/sig=sig/day=2026-01-01.json.gz',
      'partials/kpi=probe/sig=sig/index/2026-01.json.gz',
    ]);
    expect(index.partitions[hourKey(0)]?.location).toBe('day=2026-01-01');
    const index2 = await cacheOf().readIndex('probe', 'sig', ['2026-01']);
    const wanted = new Map<string, WantedState>([
      ...[...partitions].map(
        ([key, kept]) =>
          [key, { made: kept.fingerprint, location: index2.partitions[key]?.location }] as [string, WantedState],
      ),
      [hourKey(23), { made: 'f23', location: index2.partitions[hourKey(23)]?.location }],
      [
        'period/2026-01-01T00:00:00.000Z',
        { made: 'd1', location: index2.periods['2026-01-01T00:00:00.000Z']?.location },
      ],
    ]);
    const read = await cache.readStates('probe', 'sig', wanted);
    expect(read.size).toBe(25);
    expect(read.get(hourKey(23))).toEqual(state(23));
    expect(read.get('period/2026-01-01T00:00:00.000Z')).toEqual(state(100));
    expect(Object.keys((await cacheOf().readIndex('probe', 'sig', ['2026-01'])).partitions)).toHaveLength(24);
  });

  it('keeps the states of a run that writes most of a month in one object, and finds them there', async () => {
    const cache = cacheOf();
    const index: PartialIndex = { partitions: {}, periods: {} };
    const partitions = new Map<string, KeptPartition>();
    for (let day = 1; day <= 10; day += 1) {
      const key = `ds/date=2026-02-${String(day).padStart(2, '0')}/hour=00`;
      partitions.set(key, { fingerprint: `f${day}`, state: state(day) });
      index.partitions[key] = entry(`f${day}`);
    }
    await cache.write('probe3', 'sig', { partitions, periods: new Map(), index, months: ['2026-02'] });
    expect(await listKeys('partials/kpi=probe3/')).toEqual([
      'partials/kpi=probe3/sig=sig/index/2026-02.json.gz',
      'partials/kpi=probe3/sig=sig/month=2026-02.json.gz',
    ]);
    // A later run rewrites one day: it goes to a day object; the others are still read from the month.
    const later = await cacheOf().readIndex('probe3', 'sig', ['2026-02']);
    const changed = 'ds/date=2026-02-03/hour=00';
    later.partitions[changed] = entry('g3');
    await cache.write('probe3', 'sig', {
      partitions: new Map([[changed, { fingerprint: 'g3', state: state(33) }]]),
      periods: new Map(),
      index: later,
      months: ['2026-02'],
    });
    const final = await cacheOf().readIndex('probe3', 'sig', ['2026-02']);
    const wanted = new Map<string, WantedState>(
      Object.entries(final.partitions).map(([key, e]) => [key, { made: e.fingerprint, location: e.location }]),
    );
    const read = await cache.readStates('probe3', 'sig', wanted);
    expect(read.size).toBe(10);
    expect(read.get(changed)).toEqual(state(33));
    expect(final.partitions[changed]?.location).toBe('day=2026-02-03');
    expect(final.partitions['ds/date=2026-02-04/hour=00']?.location).toBe('month=2026-02');
  });

  it('gives a kept state only for what it was made of: another fingerprint or digest reads as nothing', async () => {
    const cache = cacheOf();
    await cache.write('probe2', 'sig', {
      partitions: new Map([[hourKey(1), { fingerprint: 'old', state: state(1) }]]),
      periods: new Map([['2026-01-01T00:00:00.000Z', { inputs: 'old', state: state(2) }]]),
      index: { partitions: { [hourKey(1)]: entry('old') }, periods: {} },
      months: ['2026-01'],
    });
    const read = await cache.readStates(
      'probe2',
      'sig',
      new Map([
        [hourKey(1), { made: 'new' }],
        ['period/2026-01-01T00:00:00.000Z', { made: 'new' }],
      ]),
    );
    expect(read.size).toBe(0);
  });
});

// A KPI's computation fanned out over raw partitions, on the local cloud: planned, aggregated in
// parts (one of them dying mid-way and retried), finalized from what the parts kept; against one
// invocation computing the same range, byte for byte.
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultInjection, SimulatedCrash } from '../../src/adapters/aws/fault-injection';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import type { ComputeSummary, PartPlanSummary, PartSummary } from '../../src/contracts/compute-function';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { FANOUT_PREFIX, LINEAGE_PREFIX, PARTIALS_PREFIX } from '../../src/contracts/work-layout';
import { LocalCloud } from '../../src/local/local-cloud';
import { generateSampleData } from '../../src/sample/generate';
import { type ComputeSnapshot, clearComputed, computeSnapshot } from '../support/compute-snapshot';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 1);
const DAYS = 4;
const RANGE = {
  kpiId: 'ctr',
  from: new Date(START).toISOString(),
  to: new Date(START + DAYS * DAY).toISOString(),
};
const asOf = new Date(START + (DAYS + 2) * DAY).toISOString();
/** Hour partitions of the range: 24 a day, one dataset. */
const PARTITIONS = DAYS * 24;
const PER_PART = 20;
/** Records: the range holds about a thousand. */
const REFRESH_THRESHOLD = 500;

let cloud: LocalCloud;
let single: ComputeSnapshot;
let plan: PartPlanSummary;
/** The raw objects as ingested, while the finalizer test has them unreadable. */
const rawBodies = new Map<string, Uint8Array>();

const invoke = <T>(event: Record<string, unknown>) => cloud.functions.invoke('compute', event) as Promise<T>;
const workBucket = () => cloud.physicalName('WorkBucket', 'AWS::S3::Bucket');
const rawBucket = () => cloud.physicalName('RawBucket', 'AWS::S3::Bucket');

beforeAll(async () => {
  // No raw object kept in memory between invocations: a finalizer that read the raw store would read it.
  // Crash plans need the fault injector in the clients (at rate 0: no other fault).
  cloud = await LocalCloud.start({
    faults: { rate: 0 },
    timeScale: 0.01,
    functionEnvironment: {
      FANOUT_PARTITIONS_PER_PART: String(PER_PART),
      FANOUT_REFRESH_THRESHOLD_RECORDS: String(REFRESH_THRESHOLD),
      RAW_CACHE_MIB: '0',
    },
  });
  const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
    now: () => START,
  });
  const definition = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
  await store.publish(definition, { author: 'paid-media@example.com', reason: 'first version' });
  const records = generateSampleData({ start: '2026-06-01', days: DAYS }).ad_performance;
  // Two batches a day, the second on odd hours only: partitions of one object and of two.
  for (let day = 0; day < DAYS; day += 1) {
    const ofDay = records.filter((r) => Math.floor(((r.ts as number) - START) / DAY) === day);
    const late = (r: (typeof ofDay)[number]) => new Date(r.ts as number).getUTCHours() % 2 === 1 && r.campaign_id;
    const second = ofDay.filter((r, i) => late(r) && i % 3 === 0);
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: `day-${day}`,
      records: ofDay.filter((r) => !second.includes(r)),
      eventTimeField: 'ts',
      quarantined: 0,
    });
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: `day-${day}-late`,
      records: second,
      eventTimeField: 'ts',
      quarantined: day,
    });
  }
  const summary = await invoke<ComputeSummary>({ ...RANGE, asOf });
  expect(summary.partitions.aggregated).toBe(PARTITIONS);
  single = await computeSnapshot(cloud);
  await clearComputed(cloud);
});

afterAll(async () => {
  faultInjection.setCrash(null);
  await cloud?.stop();
});

describe('a computation fanned out over raw partitions', () => {
  it('plans one part per 20 stale partitions and writes their item list for the Distributed Map', async () => {
    plan = await invoke<PartPlanSummary>({ ...RANGE, planParts: { name: 'split-run' } });
    const parts = Math.ceil(PARTITIONS / PER_PART);
    expect(plan).toMatchObject({ kpiId: 'ctr', stale: PARTITIONS, parts, fannedOut: true });
    expect(plan.items).toEqual({ bucket: workBucket(), key: `${FANOUT_PREFIX}kpi=ctr/plans/split-run.json` });
    const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: workBucket(), Key: plan.items?.key }));
    const items = JSON.parse(await (Body as { transformToString(): Promise<string> }).transformToString());
    expect(items).toEqual(Array.from({ length: parts }, (_, index) => ({ index, of: parts })));
  });

  it('aggregates every part; a part that died after two states is retried and aggregates only the rest', async () => {
    const of = plan.parts;
    faultInjection.setCrash({ entry: 'compute', atWrite: 2, when: 'after' });
    await expect(invoke({ ...RANGE, part: { index: 1, of } })).rejects.toBeInstanceOf(SimulatedCrash);
    faultInjection.setCrash(null);
    const results: PartSummary[] = [];
    for (let index = 0; index < of; index += 1)
      results.push(await invoke<PartSummary>({ ...RANGE, part: { index, of } }));
    expect(results.reduce((n, r) => n + r.partitions.assigned, 0)).toBe(PARTITIONS);
    expect(results[1]?.partitions).toMatchObject({ aggregated: (results[1]?.partitions.assigned ?? 0) - 2, kept: 2 });
    for (const result of results.filter((r) => r.part.index !== 1)) {
      expect(result.partitions.kept).toBe(0);
      expect(result.partitions.aggregated).toBe(result.partitions.assigned);
    }
    const { KeyCount } = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: workBucket(), Prefix: `${FANOUT_PREFIX}kpi=ctr/sig=` }),
    );
    expect(KeyCount).toBe(PARTITIONS);
  });

  it('rejects a part outside its fan-out', async () => {
    await expect(invoke({ ...RANGE, part: { index: 5, of: 5 } })).rejects.toThrow(/index must be below of/);
  });

  it('finalizes from the states the parts kept, without reading a raw object, as one invocation does', async () => {
    // Every raw object is now unreadable: reading one would fail the finalizer.
    const { Contents } = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket: rawBucket(), Prefix: 'raw/' }));
    const objects = (Contents ?? []).filter((o) => o.Key?.endsWith('.gz'));
    expect(objects.length).toBeGreaterThan(PARTITIONS);
    for (const { Key } of objects) {
      const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: rawBucket(), Key }));
      rawBodies.set(
        Key as string,
        await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      await cloud.clients.s3.send(new PutObjectCommand({ Bucket: rawBucket(), Key, Body: 'not gzip' }));
    }
    const summary = await invoke<ComputeSummary>({ ...RANGE, asOf, takeParts: true });
    expect(summary).toMatchObject({ periods: { inRange: DAYS, finalized: DAYS } });
    expect(summary.partitions).toEqual({ read: PARTITIONS, aggregated: PARTITIONS, reused: 0 });
    const split = await computeSnapshot(cloud);
    expect(split.values.length).toBeGreaterThan(DAYS);
    // The comparison covers the kept partial states and the archived lineage (one object for the run).
    expect(Object.keys(split.work).filter((k) => k.startsWith(PARTIALS_PREFIX)).length).toBeGreaterThan(0);
    expect(Object.keys(split.work).filter((k) => k.startsWith(LINEAGE_PREFIX))).toHaveLength(1);
    expect(split).toEqual(single);
  });

  it('plans nothing once the partial cache holds every partition of the range', async () => {
    const again = await invoke<PartPlanSummary>({ ...RANGE, planParts: { name: 'after-the-split-run' } });
    expect(again).toEqual({ kpiId: 'ctr', stale: 0, parts: 0, fannedOut: false });
  });
});

describe('the backfill state machine', () => {
  it('plans, aggregates the parts in its Distributed Map (retrying one that died) and finalizes, as one invocation does', async () => {
    for (const [Key, Body] of rawBodies) {
      await cloud.clients.s3.send(new PutObjectCommand({ Bucket: rawBucket(), Key, Body }));
    }
    await clearComputed(cloud);
    const backfill = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('ComputationBackfill'));
    if (!backfill) throw new Error('no backfill state machine');
    // The plan writes one object; the crash takes the first part that writes its second state.
    faultInjection.setCrash({ entry: 'compute', atWrite: 3, when: 'before' });
    const execution = await cloud.stepFunctions.startExecution(backfill.arn, {
      ...RANGE,
      asOf,
      periods: [{ from: RANGE.from, to: RANGE.to }],
    }).done;
    faultInjection.setCrash(null);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    const parts = execution.history.filter((h) => h.state === 'ComputePart');
    expect(parts.filter((h) => h.outcome === 'failed').map((h) => h.detail)).toEqual([
      expect.stringMatching(/^Lambda\.Unknown: /),
    ]);
    expect(parts.filter((h) => h.outcome === 'succeeded')).toHaveLength(Math.ceil(PARTITIONS / PER_PART));
    expect(execution.history.map((h) => h.state)).toEqual(
      expect.arrayContaining(['PlanParts', 'EachPart', 'ComputePeriods']),
    );
    const output = execution.output as { plan: PartPlanSummary; chunks: ComputeSummary[] };
    expect(output.plan).toMatchObject({ stale: PARTITIONS, fannedOut: true });
    expect(output.chunks[0]?.partitions).toEqual({ read: PARTITIONS, aggregated: PARTITIONS, reused: 0 });
    expect(await computeSnapshot(cloud)).toEqual(single);
  });
});

describe('a scheduled refresh with more new data than one invocation should read', () => {
  const scheduledTime = new Date(START + DAYS * DAY + 3_600_000).toISOString();

  it('hands its range to the fan-out, which runs the refresh once the parts are kept: what the refresh computes itself', async () => {
    await clearComputed(cloud);
    const handedOff = await invoke<ComputeSummary>({ kpiId: 'ctr', scheduledTime });
    expect(handedOff).toMatchObject({ outcome: 'handed-off', values: { created: 0, updated: 0 } });
    const execution = cloud.stepFunctions.listExecutions().find((e) => e.name.startsWith('refresh-'));
    if (!execution) throw new Error('the refresh started no execution');
    const done = await execution.done;
    expect(done.status, `${done.error}: ${done.cause}`).toBe('SUCCEEDED');
    const output = done.output as { plan: PartPlanSummary; refresh: ComputeSummary };
    expect(output.plan).toMatchObject({ stale: PARTITIONS, fannedOut: true, parts: Math.ceil(PARTITIONS / PER_PART) });
    expect(output.refresh).toMatchObject({ outcome: 'computed', partitions: { aggregated: PARTITIONS } });
    expect(done.history.filter((h) => h.state === 'ComputePart')).toHaveLength(output.plan.parts);
    const fannedOut = await computeSnapshot(cloud);
    // The same schedule again (a retried invocation) finds the new data computed: nothing handed on.
    expect(await invoke<ComputeSummary>({ kpiId: 'ctr', scheduledTime })).toMatchObject({ outcome: 'computed' });
    expect(cloud.stepFunctions.listExecutions().filter((e) => e.name.startsWith('refresh-'))).toHaveLength(1);

    await clearComputed(cloud);
    const itself = await invoke<ComputeSummary>({ kpiId: 'ctr', scheduledTime, takeParts: true });
    expect(itself).toMatchObject({ outcome: 'computed', partitions: { aggregated: PARTITIONS } });
    expect(fannedOut).toEqual(await computeSnapshot(cloud));
  });
});

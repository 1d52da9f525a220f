import { describe, expect, it } from 'vitest';
import { type DatasetDeclaration, validateDatasetDeclaration } from '../../../src/domain/dataset';
import type { FreshnessState } from '../../../src/domain/dataset/freshness-state';
import type { TypedRecord } from '../../../src/domain/records';
import type { DatasetOwnerNotice, FreshnessStateStore } from '../../../src/ports/dataset-freshness';
import {
  checkDatasetFreshness,
  type FreshnessCheckDependencies,
  FreshnessCheckError,
} from '../../../src/usecases/check-dataset-freshness';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-06-10T00:00:00Z');

const declared = (id: string, freshness?: object): DatasetDeclaration =>
  validateDatasetDeclaration(
    {
      id,
      description: id,
      owner: `${id}-owner@example.com`,
      ...(freshness ? { freshness } : {}),
      format: { type: 'csv' },
      fields: { at: { type: 'timestamp', required: true } },
      eventTime: 'at',
    },
    `${id}.yaml`,
  );

class MemoryFreshnessState implements FreshnessStateStore {
  readonly items = new Map<string, FreshnessState>();
  async read(dataset: string) {
    return structuredClone(this.items.get(dataset) ?? null);
  }
  async write(next: FreshnessState) {
    if ((this.items.get(next.dataset)?.stamp ?? 0) !== next.stamp - 1) return false;
    this.items.set(next.dataset, structuredClone(next));
    return true;
  }
}

function harness(declarations: DatasetDeclaration[]) {
  const arrivals = new Map<string, number>();
  const sent: DatasetOwnerNotice[] = [];
  const batches = new Map<string, TypedRecord[]>();
  const state = new MemoryFreshnessState();
  let wall = T0;
  let failNext = 0;
  const deps: FreshnessCheckDependencies = {
    declarations: async () => declarations,
    arrivals: { lastArrival: async (dataset) => arrivals.get(dataset) ?? null },
    state,
    notifier: {
      notifyDatasetOwner: async (notice) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('SNS throttled');
        }
        sent.push(notice);
      },
    },
    records: {
      commitPipelineRecords: async (batchId, _at, records) => {
        if (!batches.has(batchId)) batches.set(batchId, [...records]);
      },
    },
    clock: { now: () => wall },
  };
  const run = (at: number) => {
    wall = Math.max(wall, at);
    return checkDatasetFreshness(deps, { at });
  };
  return {
    arrivals,
    sent,
    batches,
    state,
    run,
    deps,
    failPublishes: (n: number) => {
      failNext = n;
    },
    advanceWall: (ms: number) => {
      wall += ms;
    },
  };
}

const hourly = { expectedEvery: '1h', warnAfter: '2h', failAfter: '6h' };

describe('checkDatasetFreshness', () => {
  it('notifies the owner once when a dataset turns warn, once when it fails, once when it recovers', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0);
    for (let minutes = 15; minutes <= 8 * 60; minutes += 15) await h.run(T0 + minutes * MINUTE);
    h.arrivals.set('ads', T0 + 8 * HOUR + 20 * MINUTE);
    await h.run(T0 + 8 * HOUR + 30 * MINUTE);
    await h.run(T0 + 8 * HOUR + 45 * MINUTE);
    expect(h.sent.map((n) => [n.transition, n.status, n.owner, n.noticeId])).toEqual([
      ['warned', 'warn', 'ads-owner@example.com', 'ads#1'],
      ['failed', 'fail', 'ads-owner@example.com', 'ads#2'],
      ['recovered', 'fresh', 'ads-owner@example.com', 'ads#3'],
    ]);
    expect(h.sent[0]?.subject).toBe('[warn] ads is late: no data for 2h 15m');
  });

  it('sends nothing again when a run of the same time is retried', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0);
    await h.run(T0 + 3 * HOUR);
    await h.run(T0 + 3 * HOUR);
    expect(h.sent).toHaveLength(1);
    expect(h.batches.size).toBe(1);
  });

  it('lets a late retry of an earlier run change nothing a later run decided', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0);
    await h.run(T0 + 7 * HOUR);
    const report = await h.run(T0 + 3 * HOUR);
    expect(h.sent.map((n) => n.transition)).toEqual(['failed']);
    expect(report.datasets[0]).toMatchObject({ status: 'warn', transition: null, noticesSent: [] });
    expect(h.state.items.get('ads')?.level).toBe('fail');
  });

  it('sends a notice whose publish failed on the next run, under the same id', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0);
    h.failPublishes(1);
    await expect(h.run(T0 + 3 * HOUR)).rejects.toThrow(FreshnessCheckError);
    expect(h.sent).toEqual([]);
    const retried = await h.run(T0 + 3 * HOUR);
    expect(h.sent.map((n) => n.noticeId)).toEqual(['ads#1']);
    expect(retried.datasets[0]?.noticesSent).toEqual(['ads#1']);
    await h.run(T0 + 3 * HOUR + 15 * MINUTE);
    expect(h.sent).toHaveLength(1);
  });

  it('leaves a notice another run claimed to it until its lease is over, then sends it', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0);
    // A run claimed the change and died before publishing it.
    h.advanceWall(3 * HOUR + 14 * MINUTE);
    const dying = {
      ...h.deps,
      notifier: { notifyDatasetOwner: () => new Promise<void>(() => undefined) },
    };
    void checkDatasetFreshness(dying, { at: T0 + 3 * HOUR });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.state.items.get('ads')?.notice?.delivery).toBe('pending');
    await h.run(T0 + 3 * HOUR + 15 * MINUTE);
    expect(h.sent).toEqual([]);
    h.advanceWall(6 * MINUTE);
    await h.run(T0 + 3 * HOUR + 30 * MINUTE);
    expect(h.sent.map((n) => [n.noticeId, n.transition])).toEqual([['ads#1', 'warned']]);
    expect(h.state.items.get('ads')?.notice?.delivery).toBe('sent');
  });

  it('finds a dataset that never arrived late only once it has been watched for longer than its limits', async () => {
    const h = harness([declared('leads', { expectedEvery: '1d', warnAfter: '26h', failAfter: '2d' })]);
    await h.run(T0);
    await h.run(T0 + 25 * HOUR);
    expect(h.sent).toEqual([]);
    await h.run(T0 + 27 * HOUR);
    await h.run(T0 + 49 * HOUR);
    expect(h.sent.map((n) => [n.transition, n.status])).toEqual([
      ['warned', 'never_arrived'],
      ['failed', 'never_arrived'],
    ]);
  });

  it('counts a batch committed after the scheduled time, while the run was on its way, as arrived', async () => {
    const h = harness([declared('ads', hourly)]);
    h.arrivals.set('ads', T0 + 30_000);
    const report = await h.run(T0);
    expect(report.datasets[0]).toMatchObject({ status: 'fresh', silentMillis: 0, lastArrivalAt: T0 + 30_000 });
  });

  it('writes one freshness record per watched dataset and lists the unwatched ones', async () => {
    const h = harness([declared('ads', hourly), declared('static_export'), declared('web', hourly)]);
    h.arrivals.set('ads', T0);
    const report = await h.run(T0 + 90 * MINUTE);
    expect(report.unchecked).toEqual(['static_export']);
    const records = h.batches.get(report.batchId) ?? [];
    expect(records.map((r) => [r.dataset, r.freshness_status])).toEqual([
      ['ads', 'fresh'],
      ['web', 'never_arrived'],
    ]);
  });

  it('checks the other datasets when one fails, then reports the failure', async () => {
    const h = harness([declared('ads', hourly), declared('web', hourly)]);
    h.arrivals.set('ads', T0);
    h.arrivals.set('web', T0);
    const broken = {
      ...h.deps,
      arrivals: { lastArrival: async (d: string) => (d === 'ads' ? Promise.reject(new Error('throttled')) : T0) },
    };
    const error = await checkDatasetFreshness(broken, { at: T0 + 3 * HOUR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FreshnessCheckError);
    expect((error as FreshnessCheckError).failures).toEqual([{ dataset: 'ads', error: 'throttled' }]);
    expect(h.sent.map((n) => n.dataset)).toEqual(['web']);
  });
});

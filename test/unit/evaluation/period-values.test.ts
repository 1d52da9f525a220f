import { describe, expect, it } from 'vitest';
import type { KpiValue as EngineValue } from '../../../src/domain/engine/value';
import { keptPeriodEntry, periodLineage, periodValues } from '../../../src/domain/evaluation/period-values';

const HOUR = 3_600_000;
const MONDAY = Date.UTC(2024, 2, 4);
const hour = (h: number, fingerprint = `f${h}`) => ({
  dataset: 'ad_events',
  start: MONDAY + h * HOUR,
  label: `date=2024-03-04/hour=${String(h).padStart(2, '0')}`,
  fingerprint,
  objects: [{}, {}],
});
const facts = (rows: number) => ({
  rows,
  quarantined: 0,
  newestEventAt: '2024-03-04T23:59:00.000Z',
  manifests: ['m1'],
});
const run = {
  definition: { id: 'ctr', version: 3, hash: 'sha256:abc' },
  codeVersion: '0.1.0+abc1234',
  computedAt: '2024-03-05T00:20:00.000Z',
  asOf: Date.UTC(2024, 2, 5, 0, 20),
};
const engineValue = (provisional: boolean): EngineValue => ({
  kpiId: 'ctr',
  version: 3,
  periodStart: '2024-03-04T00:00:00.000Z',
  periodEnd: '2024-03-05T00:00:00.000Z',
  grain: 'day',
  dimensions: {},
  value: 0.031,
  status: 'green',
  sampleSize: 1000,
  reason: null,
  provisional,
  components: { numerator: 31, denominator: 1000 },
});

describe('period values', () => {
  it('lists each input partition with what the cache knows of it', () => {
    expect(periodLineage([hour(0), hour(1)], (key) => (key.endsWith('00') ? facts(10) : facts(20)))).toEqual([
      { dataset: 'ad_events', partition: 'date=2024-03-04/hour=00', objects: 2, etag: 'f0', ...facts(10) },
      { dataset: 'ad_events', partition: 'date=2024-03-04/hour=01', objects: 2, etag: 'f1', ...facts(20) },
    ]);
  });

  it('refuses a period input that was never aggregated, naming it', () => {
    expect(() => periodLineage([hour(3)], () => undefined)).toThrow('ad_events/date=2024-03-04/hour=03');
  });

  it('stores the engine values with lineage and confidence, drift and forecast still to come', () => {
    const lineage = periodLineage([hour(0)], () => facts(10));
    const [value] = periodValues([engineValue(false)], { start: MONDAY, end: MONDAY + 24 * HOUR }, lineage, 'ref', run);
    expect(value).toMatchObject({ value: 0.031, confidence: 1, drift: null, forecast: null });
    expect(value?.lineage).toMatchObject({ definition: run.definition, inputsRef: 'ref', computedAt: run.computedAt });
    expect(value?.lineage.inputs).toMatchObject([{ dataset: 'ad_events', partitions: 1, rows: 10 }]);
    expect(value).not.toHaveProperty('components');
  });

  it('keeps a period as provisional when any of its values is', () => {
    const plan = { digest: 'd', inputs: [hour(0)] };
    expect(keptPeriodEntry(plan, [{ provisional: false }, { provisional: true }], null, run)).toEqual({
      inputs: 'd',
      definitionHash: 'sha256:abc',
      codeVersion: run.codeVersion,
      provisional: true,
      partitions: { 'ad_events/date=2024-03-04/hour=00': 'f0' },
      inputsRef: null,
    });
    expect(keptPeriodEntry(plan, [{ provisional: false }], null, run).provisional).toBe(false);
  });
});

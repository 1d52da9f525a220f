// Test support: KPI values with complete lineage, varied per test through overrides.
import type { KpiValue } from '../../src/domain/values/kpi-value';

const HOUR = 3_600_000;

/** A daily value of `ctr` for 2024-03-04 (a Monday), by campaign, final, computed from two hours of ads data. */
export function sampleValue(overrides: Partial<KpiValue> = {}): KpiValue {
  const periodStart = overrides.periodStart ?? '2024-03-04T00:00:00.000Z';
  const start = Date.parse(periodStart);
  return {
    kpiId: 'ctr',
    grain: 'day',
    periodStart,
    periodEnd: new Date(start + 24 * HOUR).toISOString(),
    dimensions: { campaign: 'spring' },
    value: 0.031,
    status: 'green',
    reason: null,
    sampleSize: 12_000,
    provisional: false,
    confidence: 0.98,
    drift: null,
    forecast: null,
    lineage: {
      definition: { id: 'ctr', version: 3, hash: 'sha256:abc' },
      inputs: [
        {
          dataset: 'ad_events',
          partitions: 2,
          first: `date=${periodStart.slice(0, 10)}/hour=00`,
          last: `date=${periodStart.slice(0, 10)}/hour=01`,
          objects: 3,
          digest: 'd1',
          manifests: [],
          manifestCount: 0,
          rows: 12000,
          quarantined: 10,
          newestEventAt: null,
        },
      ],
      inputsRef: null,
      codeVersion: '0.1.0+abc1234',
      computedAt: '2024-03-05T00:20:00.000Z',
    },
    ...overrides,
  };
}

/** The same value after a late batch landed in one of its input partitions: another digest. */
export function withLateBatch(value: KpiValue, digest = 'd1-late'): KpiValue {
  const [first, ...rest] = value.lineage.inputs;
  return {
    ...value,
    lineage: {
      ...value.lineage,
      inputs: [
        { ...(first as KpiValue['lineage']['inputs'][number]), digest, objects: (first?.objects ?? 0) + 1 },
        ...rest,
      ],
    },
  };
}

/** The same value computed at another time. */
export function computedAt(value: KpiValue, at: string): KpiValue {
  return { ...value, lineage: { ...value.lineage, computedAt: at } };
}

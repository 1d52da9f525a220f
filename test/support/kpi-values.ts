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
    lineage: {
      definition: { id: 'ctr', version: 3, hash: 'sha256:abc' },
      inputs: [
        {
          dataset: 'ad_events',
          partition: `date=${periodStart.slice(0, 10)}/hour=00`,
          objects: 2,
          etag: 'e1',
          manifests: [],
          rows: 6000,
          quarantined: 10,
          newestEventAt: null,
        },
        {
          dataset: 'ad_events',
          partition: `date=${periodStart.slice(0, 10)}/hour=01`,
          objects: 1,
          etag: 'e2',
          manifests: [],
          rows: 6000,
          quarantined: 0,
          newestEventAt: null,
        },
      ],
      codeVersion: '0.1.0+abc1234',
      computedAt: '2024-03-05T00:20:00.000Z',
    },
    ...overrides,
  };
}

/** The same value with one input partition's ETag replaced (a late batch). */
export function withLateBatch(value: KpiValue, etag = 'e2-late'): KpiValue {
  const [first, second] = value.lineage.inputs;
  return {
    ...value,
    lineage: {
      ...value.lineage,
      inputs: [
        first as KpiValue['lineage']['inputs'][number],
        { ...(second as KpiValue['lineage']['inputs'][number]), etag, objects: 2 },
      ],
    },
  };
}

/** The same value computed at another time. */
export function computedAt(value: KpiValue, at: string): KpiValue {
  return { ...value, lineage: { ...value.lineage, computedAt: at } };
}

// Test support: a valid violation to start from, with overrides.
import { type Violation, type ViolationInput, violationSchema } from '../../src/domain/guardrails/violation';

/** A red p95 lead handoff time for one agent, level of decision high. */
export const BASE_VIOLATION: ViolationInput = {
  kind: 'red_status',
  kpi: {
    id: 'lead_handoff_cycle_time_p95',
    name: 'Lead handoff cycle time (p95)',
    version: 3,
    hash: 'sha256:5f1c0a',
    unit: 'minutes',
  },
  period: { start: '2026-11-20T14:00:00Z', end: '2026-11-20T15:00:00Z' },
  grain: 'hour',
  dimensions: { agent: 'lead-router-1', channel: 'web' },
  value: 7.4,
  target: { direction: 'lower_is_better', value: 5, thresholds: { green: 5, yellow: 6 } },
  status: 'red',
  sampleSize: 312,
  levelOfDecision: 'high',
  governs: { agentId: 'lead-router-1', useCase: 'lead_handoff' },
  owner: { name: 'Revenue operations', email: 'revops@example.com' },
  detectedAt: '2026-11-20T15:02:00Z',
  evidence: {
    summary: 'p95 7.4 min is above the red threshold 6 min',
    trend: [
      { periodStart: '2026-11-20T11:00:00Z', value: 4.1 },
      { periodStart: '2026-11-20T12:00:00Z', value: 4.6 },
      { periodStart: '2026-11-20T13:00:00Z', value: 5.8 },
      { periodStart: '2026-11-20T14:00:00Z', value: 7.4 },
    ],
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

/** A parsed violation: BASE_VIOLATION with top-level fields (and nested objects, shallowly) replaced. */
export function violation(overrides: DeepPartial<ViolationInput> = {}): Violation {
  const merged: Record<string, unknown> = { ...BASE_VIOLATION };
  for (const [key, value] of Object.entries(overrides)) {
    const base = (BASE_VIOLATION as Record<string, unknown>)[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object'
        ? { ...base, ...value }
        : value;
  }
  return violationSchema.parse(merged);
}

/** The forecast evidence of an at-risk violation: 6.6 min expected by the end of the day, 70 % for red. */
export const AT_RISK_EVIDENCE = {
  summary: 'p95 5.4 min (yellow), but the forecast gives 70 % for red by 2026-11-21',
  trend: [],
  forecast: {
    horizonEnd: '2026-11-21T00:00:00Z',
    point: 6.6,
    lower80: 5.9,
    upper80: 7.3,
    lower95: 5.5,
    upper95: 7.7,
    probabilityRed: 0.7,
    atRiskProbability: 0.5,
    model: 'mstl(24)+auto_ets',
  },
};

/** An at-risk violation of BASE_VIOLATION's KPI, with overrides. */
export function atRiskViolation(overrides: DeepPartial<ViolationInput> = {}): Violation {
  return violation({ kind: 'at_risk', status: 'at_risk', value: 5.4, evidence: AT_RISK_EVIDENCE, ...overrides });
}

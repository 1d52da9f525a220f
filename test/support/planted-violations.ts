// Test support: violations shaped exactly as the evaluate stage hands them over
// (src/domain/guardrails/violation.ts), one per level of decision, on KPIs and agents of the pack.
import type { ViolationInput } from '../../src/domain/guardrails/violation';

const HOUR = 3_600_000;

/** A critical, a high and a low violation, detected at `now`, on the last full hour. */
export function plantedViolations(now: number): ViolationInput[] {
  const end = Math.floor(now / HOUR) * HOUR;
  const iso = (t: number) => new Date(t).toISOString();
  const trend = (values: number[], grain: number) =>
    values.map((value, i) => ({ periodStart: iso(end - (values.length - i) * grain), value }));
  const period = { start: iso(end - HOUR), end: iso(end) };
  const owner = { name: 'Marketing governance', email: 'governance@example.com' };
  return [
    {
      kind: 'red_status',
      kpi: {
        id: 'lead_handoff_cycle_time_p95',
        name: 'Lead handoff cycle time (p95)',
        version: 1,
        hash: 'planted',
        unit: 'minutes',
      },
      period,
      grain: 'hour',
      dimensions: { agent_id: 'lead-router' },
      value: 9.2,
      target: { direction: 'lower_is_better', value: 5, thresholds: { green: 5, yellow: 7 } },
      status: 'red',
      sampleSize: 184,
      levelOfDecision: 'critical',
      governs: { agentId: 'lead-router', useCase: 'lead_management' },
      owner: { name: 'Revenue operations', email: 'revops@example.com' },
      detectedAt: iso(now),
      evidence: {
        summary: 'p95 handoff 9.2 min is above the red threshold 7 min (SLA 5 min)',
        trend: trend([3.9, 4.2, 4.4, 5.1, 6.8, 9.2], HOUR),
      },
    },
    {
      kind: 'drift',
      kpi: { id: 'ctr_lift', name: 'CTR lift', version: 1, hash: 'planted', unit: 'percent' },
      period,
      grain: 'hour',
      dimensions: { agent_id: 'campaign-optimizer' },
      value: 0.021,
      target: { direction: 'higher_is_better', value: 0.1, thresholds: { green: 0.1, yellow: 0.05 } },
      status: 'red',
      sampleSize: 5230,
      levelOfDecision: 'high',
      governs: { agentId: 'campaign-optimizer', useCase: 'campaign_optimization' },
      owner,
      detectedAt: iso(now),
      evidence: {
        summary: 'CTR lift fell to 2.1 %, 4.8 robust standard deviations under its baseline',
        trend: trend([0.12, 0.118, 0.11, 0.09, 0.05, 0.021], HOUR),
        drift: { method: 'robust_z', score: -4.8, threshold: 3.5, baseline: 0.115 },
      },
    },
    {
      kind: 'red_status',
      kpi: {
        id: 'content_relevance_score',
        name: 'Content relevance score',
        version: 1,
        hash: 'planted',
        unit: 'score',
      },
      period,
      grain: 'hour',
      dimensions: { agent_id: 'content-personalizer' },
      value: 0.61,
      target: { direction: 'higher_is_better', value: 0.8, thresholds: { green: 0.8, yellow: 0.7 } },
      status: 'red',
      sampleSize: 940,
      levelOfDecision: 'low',
      governs: { agentId: 'content-personalizer', useCase: 'content_personalization' },
      owner,
      detectedAt: iso(now),
      evidence: {
        summary: 'relevance 0.61 is under the red threshold 0.7',
        trend: trend([0.82, 0.79, 0.74, 0.61], HOUR),
      },
    },
  ];
}

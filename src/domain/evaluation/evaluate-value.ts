// Domain (evaluate): drift of a computed value against its own history, and the violations it
// raises for the guardrail stage: a red status, a drift, a data-quality failure, each only when the
// definition's guardrail triggers on it, and an at-risk forecast when it triggers on red.
import type { KpiDefinition } from '../definition/schema';
import type { Annotation } from '../drift/annotations';
import { type AdverseDirection, assessDrift, type DriftAssessment } from '../drift/assess-drift';
import type { DriftGrain } from '../drift/seasonality';
import type { ViolationInput } from '../guardrails/violation';
import type { DriftSummary, KpiValue } from '../values/kpi-value';

/** Below this data-quality confidence, a value raises a `data_quality` violation. */
export const MIN_CONFIDENCE = 0.9;

/** The moves that are bad news for a KPI of this direction. */
export function adverseDirection(direction: KpiDefinition['target']['direction']): AdverseDirection {
  if (direction === 'higher_is_better') return 'down';
  if (direction === 'lower_is_better') return 'up';
  return 'both';
}

/** How many earlier periods drift detection looks at (baseline seasons plus the CUSUM window). */
export function driftLookbackPeriods(definition: KpiDefinition): number {
  const season = { day: 7, hour: 24 } as Record<string, number>;
  const cycle = definition.drift.seasonality === 'none' ? 1 : (season[definition.grain] ?? 1);
  const length = definition.drift.seasonality === 'hour_of_week' ? 168 : cycle;
  return definition.drift.baselinePeriods * length + definition.drift.cusum.window + 1;
}

/** Drift of `value` given the earlier values of its series. */
export function driftOf(
  definition: KpiDefinition,
  value: Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>,
  history: readonly Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>[],
  annotations: readonly Annotation[],
): { assessment: DriftAssessment; summary: DriftSummary } {
  const point = (v: Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>) => ({
    periodStart: Date.parse(v.periodStart),
    periodEnd: Date.parse(v.periodEnd),
    value: v.value,
  });
  const assessment = assessDrift({
    kpiId: definition.id,
    grain: driftGrainOf(definition.grain),
    current: point(value),
    history: history.map(point),
    settings: definition.drift,
    adverse: adverseDirection(definition.target.direction),
    annotations,
  });
  return {
    assessment,
    summary: {
      verdict: assessment.verdict,
      signals: assessment.signals.map((s) =>
        s.method === 'robust_z'
          ? { method: s.method, direction: s.direction, score: s.score, threshold: s.threshold }
          : { method: s.method, direction: s.direction, score: s.statistic, threshold: s.threshold },
      ),
      baseline: assessment.baseline?.center ?? null,
      message: assessment.message,
      annotations: [...assessment.explainedBy, ...assessment.suppressedBy].map((a) => a.id),
    },
  };
}

/** The definition fields a violation names, with the version in force. */
export interface EvaluatedDefinition {
  readonly definition: KpiDefinition;
  readonly version: number;
  readonly hash: string;
}

/**
 * The violations one value raises. Values that could not be computed raise none here (their
 * inputs' confidence does, when it is low).
 */
export function violationsOf(
  evaluated: EvaluatedDefinition,
  value: KpiValue,
  trend: readonly { periodStart: string; value: number | null }[],
  detectedAt: number,
): ViolationInput[] {
  const { definition } = evaluated;
  const triggers = new Set(definition.guardrail.triggers);
  const agentDimension = definition.guardrail.agentFromDimension;
  const agentFromValue = agentDimension ? value.dimensions[agentDimension] : undefined;
  const base = {
    kpi: {
      id: definition.id,
      name: definition.name,
      version: evaluated.version,
      hash: evaluated.hash,
      unit: definition.unit,
      ...(definition.currency ? { currency: definition.currency } : {}),
      category: definition.category,
    },
    period: { start: value.periodStart, end: value.periodEnd },
    grain: value.grain,
    dimensions: value.dimensions,
    value: value.value,
    target: {
      direction: definition.target.direction,
      value: definition.target.value,
      thresholds: definition.target.thresholds,
    },
    status: value.status === 'not_computable' ? ('insufficient_data' as const) : value.status,
    provisional: value.provisional,
    sampleSize: value.sampleSize,
    levelOfDecision: definition.guardrail.levelOfDecision,
    governs: {
      agentId:
        definition.guardrail.agent ??
        (agentFromValue === null || agentFromValue === undefined ? null : String(agentFromValue)),
      useCase: definition.guardrail.useCase,
    },
    owner: { name: definition.owner.name, email: definition.owner.email },
    detectedAt: new Date(detectedAt).toISOString(),
  } satisfies Omit<ViolationInput, 'kind' | 'evidence'>;
  const shown = (n: number | null) => (n === null ? 'no value' : Number(n.toPrecision(4)).toString());
  const recent = trend.slice(-30);
  const violations: ViolationInput[] = [];

  if (triggers.has('red_status') && value.status === 'red' && value.value !== null) {
    violations.push({
      ...base,
      kind: 'red_status',
      evidence: {
        summary: `${definition.name} is ${shown(value.value)}, red against the target: ${definition.target.description}`,
        trend: recent,
      },
    });
  }
  const forecast = value.forecast;
  const horizon = forecast?.steps.at(-1);
  if (triggers.has('red_status') && value.status === 'at_risk' && forecast && horizon) {
    violations.push({
      ...base,
      kind: 'at_risk',
      evidence: {
        summary:
          `${definition.name} is ${shown(value.value)} (${forecast.baseStatus}), but the forecast gives ${Math.round(forecast.probabilityRed * 100)} % for red by ${forecast.horizonEnd.slice(0, 10)}: ${definition.target.description}`.slice(
            0,
            500,
          ),
        trend: recent,
        forecast: {
          horizonEnd: forecast.horizonEnd,
          point: horizon.point,
          lower80: horizon.lower80,
          upper80: horizon.upper80,
          lower95: horizon.lower95,
          upper95: horizon.upper95,
          probabilityRed: forecast.probabilityRed,
          atRiskProbability: forecast.atRiskProbability,
          model: forecast.model,
        },
      },
    });
  }
  const drift = value.drift;
  const signal = drift?.signals[0];
  if (triggers.has('drift') && drift?.verdict === 'drift' && signal) {
    violations.push({
      ...base,
      kind: 'drift',
      evidence: {
        summary: `${definition.name} drifted: ${drift.message}`.slice(0, 500),
        trend: recent,
        drift: { method: signal.method, score: signal.score, threshold: signal.threshold, baseline: drift.baseline },
      },
    });
  }
  if (triggers.has('data_quality') && value.confidence !== null && value.confidence < MIN_CONFIDENCE) {
    violations.push({
      ...base,
      kind: 'data_quality',
      evidence: {
        summary: `${definition.name} rests on inputs with data-quality confidence ${value.confidence} (below ${MIN_CONFIDENCE}): quarantined rows or stale data`,
        trend: recent,
        dataQuality: { check: 'input_confidence', observed: value.confidence, expected: MIN_CONFIDENCE },
      },
    });
  }
  return violations;
}

/** The grain drift seasonality is chosen by: grains longer than a month have no season of their own. */
function driftGrainOf(grain: KpiDefinition['grain']): DriftGrain {
  return grain === 'quarter' || grain === 'year' || grain === 'all_time' ? 'month' : grain;
}

// Domain (evaluate): the violations a computed value raises for the guardrail stage: a red status,
// a drift, a data-quality failure, each only when the definition's guardrail triggers on it, and an
// at-risk forecast when it triggers on red. (Its drift is assessed before, in ./drift-pass.)
import type { KpiDefinition } from '../definition/schema';
import type { ViolationInput } from '../guardrails/violation';
import type { KpiValue } from '../values/kpi-value';

/** Below this data-quality confidence, a value raises a `data_quality` violation. */
export const MIN_CONFIDENCE = 0.9;

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

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

/** What a violation says beyond the fields every violation of the value shares. */
type Breach = Pick<ViolationInput, 'kind' | 'evidence'>;

/** The last values of the series, oldest first. */
type Trend = readonly { periodStart: string; value: number | null }[];

/** One kind of breach: what it says of the value (`trend`: the last 30 values), or null when the value does not breach it. */
type BreachCheck = (definition: KpiDefinition, value: KpiValue, trend: Trend[number][]) => Breach | null;

/**
 * The violations one value raises. Values that could not be computed raise none here (their
 * inputs' confidence does, when it is low).
 */
export function violationsOf(
  evaluated: EvaluatedDefinition,
  value: KpiValue,
  trend: Trend,
  detectedAt: number,
): ViolationInput[] {
  const { definition } = evaluated;
  const triggers = new Set(definition.guardrail.triggers);
  const recent = trend.slice(-30);
  const breaches = BREACHES.filter(([trigger]) => triggers.has(trigger))
    .map(([, check]) => check(definition, value, recent))
    .filter((breach) => breach !== null);
  if (breaches.length === 0) return [];
  const base = violationBase(evaluated, value, detectedAt);
  return breaches.map((breach) => ({ ...base, ...breach }));
}

/** The fields every violation of `value` shares: the KPI, the period and value, who is governed. */
function violationBase(
  { definition, version, hash }: EvaluatedDefinition,
  value: KpiValue,
  detectedAt: number,
): Omit<ViolationInput, 'kind' | 'evidence'> {
  const agentFromValue = definition.guardrail.agentFromDimension
    ? value.dimensions[definition.guardrail.agentFromDimension]
    : undefined;
  return {
    kpi: {
      id: definition.id,
      name: definition.name,
      version,
      hash,
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
  };
}

/** A number as a violation's summary shows it: four significant digits. */
function shown(n: number | null): string {
  return n === null ? 'no value' : Number(n.toPrecision(4)).toString();
}

const redStatus: BreachCheck = (definition, value, trend) =>
  value.status === 'red' && value.value !== null
    ? {
        kind: 'red_status',
        evidence: {
          summary: `${definition.name} is ${shown(value.value)}, red against the target: ${definition.target.description}`,
          trend,
        },
      }
    : null;

const atRisk: BreachCheck = (definition, value, trend) => {
  const forecast = value.forecast;
  const horizon = forecast?.steps.at(-1);
  if (value.status !== 'at_risk' || !forecast || !horizon) return null;
  const chance = Math.round(forecast.probabilityRed * 100);
  return {
    kind: 'at_risk',
    evidence: {
      summary:
        `${definition.name} is ${shown(value.value)} (${forecast.baseStatus}), but the forecast gives ${chance} % for red by ${forecast.horizonEnd.slice(0, 10)}: ${definition.target.description}`.slice(
          0,
          500,
        ),
      trend,
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
  };
};

const drift: BreachCheck = (definition, value, trend) => {
  const found = value.drift;
  const signal = found?.signals[0];
  if (found?.verdict !== 'drift' || !signal) return null;
  return {
    kind: 'drift',
    evidence: {
      summary: `${definition.name} drifted: ${found.message}`.slice(0, 500),
      trend,
      drift: { method: signal.method, score: signal.score, threshold: signal.threshold, baseline: found.baseline },
    },
  };
};

const dataQuality: BreachCheck = (definition, value, trend) =>
  value.confidence !== null && value.confidence < MIN_CONFIDENCE
    ? {
        kind: 'data_quality',
        evidence: {
          summary: `${definition.name} rests on inputs with data-quality confidence ${value.confidence} (below ${MIN_CONFIDENCE}): quarantined rows or stale data`,
          trend,
          dataQuality: { check: 'input_confidence', observed: value.confidence, expected: MIN_CONFIDENCE },
        },
      }
    : null;

/** Each breach with the guardrail trigger it needs, in the order violations are raised. */
const BREACHES: readonly (readonly [KpiDefinition['guardrail']['triggers'][number], BreachCheck])[] = [
  ['red_status', redStatus],
  // An at-risk forecast is the early warning of a red status: the same trigger.
  ['red_status', atRisk],
  ['drift', drift],
  ['data_quality', dataQuality],
];

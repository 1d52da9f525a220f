// Domain (evaluate): what a new version would have done to values already computed, when it changes
// only how they are evaluated (target, thresholds, minimum sample, guardrail, forecast level): each
// value is re-evaluated under both versions, and the statuses and violations compared.
import * as z from 'zod';
import type { KpiDefinition } from '../definition/schema';
import type { ViolationKind } from '../guardrails/violation';
import type { KpiValue, ValueStatus } from '../values/kpi-value';
import { isAtRisk, redProbability } from './at-risk';
import { violationsOf } from './evaluate-value';
import { forecastSettingsOf } from './forecast-settings';
import { evaluateStatus } from './status';

export interface ImpactSide {
  readonly value: number | null;
  readonly status: ValueStatus;
  /** Violations the value raises under this version. */
  readonly violations: readonly ViolationKind[];
}

export interface ImpactRow {
  readonly periodStart: string;
  readonly before: ImpactSide;
  readonly after: ImpactSide;
  readonly statusChanged: boolean;
  readonly appeared: readonly ViolationKind[];
  readonly disappeared: readonly ViolationKind[];
}

export const impactSummarySchema = z
  .object({
    /** Periods compared (overall row), first and last. */
    periods: z.number().int().nonnegative(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    statusChanges: z.number().int().nonnegative(),
    violationsAppeared: z.number().int().nonnegative(),
    violationsDisappeared: z.number().int().nonnegative(),
  })
  .strict();
export type ImpactSummary = z.infer<typeof impactSummarySchema>;

/** The status and forecast of a stored value under `definition` (its value unchanged). */
export function reevaluate(definition: KpiDefinition, value: KpiValue): KpiValue {
  if (value.value === null || value.status === 'not_computable') return value;
  const base = evaluateStatus(definition.target, value.value, value.sampleSize ?? 0, definition.minimumSample);
  const horizon = value.forecast?.steps.at(-1);
  if (!value.forecast || !horizon) return { ...value, status: base };
  const settings = forecastSettingsOf(definition);
  const probabilityRed = redProbability(definition.target, horizon);
  const forecast = {
    ...value.forecast,
    probabilityRed,
    atRiskProbability: settings.atRiskProbability,
    baseStatus: base,
  };
  const atRisk = settings.enabled && isAtRisk(base, probabilityRed, settings.atRiskProbability);
  return { ...value, status: atRisk ? 'at_risk' : base, forecast };
}

function side(definition: KpiDefinition, value: KpiValue): ImpactSide {
  const evaluated = reevaluate(definition, value);
  const raised = violationsOf({ definition, version: 0, hash: 'impact' }, evaluated, [], 0).map((v) => v.kind);
  return { value: evaluated.value, status: evaluated.status, violations: raised };
}

/** Each value under `before` and `after`, oldest first. */
export function evaluationImpact(
  before: KpiDefinition,
  after: KpiDefinition,
  values: readonly KpiValue[],
): { rows: ImpactRow[]; summary: ImpactSummary } {
  const rows = [...values]
    .sort((a, b) => (a.periodStart < b.periodStart ? -1 : 1))
    .map((value): ImpactRow => {
      const a = side(before, value);
      const b = side(after, value);
      return {
        periodStart: value.periodStart,
        before: a,
        after: b,
        statusChanged: a.status !== b.status,
        appeared: b.violations.filter((k) => !a.violations.includes(k)),
        disappeared: a.violations.filter((k) => !b.violations.includes(k)),
      };
    });
  return {
    rows,
    summary: {
      periods: rows.length,
      from: rows[0]?.periodStart ?? null,
      to: rows.at(-1)?.periodStart ?? null,
      statusChanges: rows.filter((r) => r.statusChanged).length,
      violationsAppeared: rows.reduce((n, r) => n + r.appeared.length, 0),
      violationsDisappeared: rows.reduce((n, r) => n + r.disappeared.length, 0),
    },
  };
}

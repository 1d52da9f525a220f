// Use case: a scheduled refresh of one KPI: compute the recent periods incrementally, then hand the
// violations among the values that changed (red, drift, data quality) to the guardrail stage.
// Backfills compute without evaluating: history must not wake approvers.
import type { Grain } from '../domain/definition/schema';
import { periodEnd, periodStart, shiftPeriod } from '../domain/engine/time';
import { violationsOf } from '../domain/evaluation/evaluate-value';
import type { ViolationInput } from '../domain/guardrails/violation';
import type { ViolationSink } from '../ports/violation-sink';
import { type ComputeKpiDependencies, type ComputeKpiResult, computeKpi } from './compute-kpi';

/** Periods before the current one that a scheduled refresh recomputes when their inputs changed. */
export const REFRESH_LOOKBACK: Readonly<Record<Grain, number>> = {
  minute: 180,
  hour: 48,
  day: 7,
  week: 4,
  month: 2,
  quarter: 1,
};

/** The range a refresh at `time` covers: the period containing it and the lookback before it. */
export function refreshRange(grain: Grain, time: number): { from: number; to: number } {
  const current = periodStart(grain, time);
  return { from: shiftPeriod(grain, current, -REFRESH_LOOKBACK[grain]), to: periodEnd(grain, current) };
}

export interface RefreshKpiResult {
  readonly compute: ComputeKpiResult;
  readonly violations: readonly ViolationInput[];
}

export async function refreshKpi(
  deps: ComputeKpiDependencies & { readonly violations: ViolationSink | null },
  request: { kpiId: string; scheduledTime: number },
): Promise<RefreshKpiResult> {
  const state = await deps.definitions.get(request.kpiId);
  const grain = state?.definition.grain ?? 'day';
  const compute = await computeKpi(deps, {
    kpiId: request.kpiId,
    asOf: request.scheduledTime,
    ...refreshRange(grain, request.scheduledTime),
  });
  if (compute.outcome !== 'computed' || !compute.state) return { compute, violations: [] };
  const evaluated = { definition: compute.state.definition, version: compute.state.version, hash: compute.state.hash };
  const violations: ViolationInput[] = [];
  for (const value of compute.written) {
    const raised = violationsOf(evaluated, value, [], request.scheduledTime);
    if (raised.length === 0) continue;
    const history = await deps.values.history({
      kpiId: value.kpiId,
      dimensions: value.dimensions,
      grain: value.grain,
      from: new Date(shiftPeriod(value.grain, Date.parse(value.periodStart), -30)).toISOString(),
      to: value.periodEnd,
    });
    const trend = history.map((v) => ({ periodStart: v.periodStart, value: v.value }));
    violations.push(...violationsOf(evaluated, value, trend, request.scheduledTime));
  }
  if (violations.length > 0 && deps.violations) await deps.violations.hand(violations);
  return { compute, violations };
}

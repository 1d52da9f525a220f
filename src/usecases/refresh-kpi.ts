// Use case: a scheduled refresh of one KPI: compute the recent periods incrementally, forecast the
// latest final value of each series, then hand the violations among the values that changed (red,
// at risk, drift, data quality) to the guardrail stage.
// Backfills compute without evaluating: history must not wake approvers.
import type { Grain, KpiDefinition } from '../domain/definition/schema';
import { periodEnd, periodStart, shiftPeriod } from '../domain/engine/time';
import { violationsOf } from '../domain/evaluation/evaluate-value';
import type { ViolationInput } from '../domain/guardrails/violation';
import { type IngestLedger, RECOMPUTE_MARK_DAYS } from '../ports/ingest-ledger';
import type { CachedPartition } from '../ports/partial-cache';
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
  year: 1,
  // One period: the refresh recomputes it whenever a partition it reads has changed.
  all_time: 0,
};

/** The range a refresh at `time` covers: the period containing it and the lookback before it. */
export function refreshRange(grain: Grain, time: number): { from: number; to: number } {
  const current = periodStart(grain, time);
  return { from: shiftPeriod(grain, current, -REFRESH_LOOKBACK[grain]), to: periodEnd(grain, current) };
}

export interface RefreshKpiResult {
  readonly compute: ComputeKpiResult;
  /** The computations of older periods that late data was marked for, one per run of periods. */
  readonly late: readonly ComputeKpiResult[];
  readonly violations: readonly ViolationInput[];
}

export interface RefreshKpiDependencies extends ComputeKpiDependencies {
  readonly violations: ViolationSink | null;
  /** Where ingestion marks the hours that got late data; without it, only the lookback is refreshed. */
  readonly lateData?: Pick<IngestLedger, 'recomputeMarks'>;
}

export async function refreshKpi(
  deps: RefreshKpiDependencies,
  request: { kpiId: string; scheduledTime: number },
): Promise<RefreshKpiResult> {
  const state = await deps.definitions.get(request.kpiId);
  const grain = state?.definition.grain ?? 'day';
  const range = refreshRange(grain, request.scheduledTime);
  const compute = await computeKpi(deps, { kpiId: request.kpiId, asOf: request.scheduledTime, ...range });
  if (compute.outcome !== 'computed' || !compute.state) return { compute, late: [], violations: [] };
  // Late data older than the lookback: recompute the periods it was marked for (a period whose
  // inputs did not change since writes nothing). A change is a restatement, not a new violation:
  // like a backfill, the past wakes nobody.
  const late: ComputeKpiResult[] = [];
  const kept = compute.keptPartitions ?? {};
  // Older periods are computed here, never handed on: a hand-off is for the refresh's own range.
  const { forecasting: _forecasting, handOff: _handOff, ...pastOnly } = deps;
  for (const run of await latePeriodRuns(deps, compute.state.definition, kept, range.from, request.scheduledTime)) {
    late.push(await computeKpi(pastOnly, { kpiId: request.kpiId, asOf: request.scheduledTime, ...run }));
  }
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
  return { compute, late, violations };
}

/**
 * The periods before `before` that hold hours marked for recomputation (by ingestion, when late
 * records landed) in the last {@link RECOMPUTE_MARK_DAYS} days and not yet computed with them, as
 * runs of consecutive periods. A mark is spent for this KPI once the partial it keeps of that hour
 * (`kept`: the KPI's partial cache index, keyed `<dataset>/date=…/hour=…`) lists the marked batch
 * among its manifests: other KPIs reading the dataset still see it, and a refresh that failed
 * sees it again on the next schedule.
 * The marked hours are event-time partitions of the raw store: a KPI that places records by the
 * same field recomputes exactly the periods that changed.
 */
export async function latePeriodRuns(
  deps: Pick<RefreshKpiDependencies, 'lateData'>,
  definition: Pick<KpiDefinition, 'grain' | 'datasets'>,
  kept: Readonly<Record<string, CachedPartition>>,
  before: number,
  now: number,
): Promise<{ from: number; to: number }[]> {
  if (!deps.lateData) return [];
  const since = now - RECOMPUTE_MARK_DAYS * 86_400_000;
  const starts = new Set<number>();
  for (const dataset of new Set(definition.datasets.map((d) => d.id))) {
    for (const mark of await deps.lateData.recomputeMarks(dataset, since)) {
      const start = periodStart(definition.grain, mark.periodStart);
      if (start >= before) continue;
      const hour = new Date(mark.periodStart).toISOString();
      const cached = kept[`${dataset}/date=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}`];
      if (!cached?.manifests.some((key) => key.endsWith(`/${mark.batchId}.json`))) starts.add(start);
    }
  }
  const runs: { from: number; to: number }[] = [];
  for (const start of [...starts].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last.to === start) last.to = periodEnd(definition.grain, start);
    else runs.push({ from: start, to: periodEnd(definition.grain, start) });
  }
  return runs;
}

// Domain (evaluate): drift of computed values against their own history. The pass runs in time
// order over the periods a run finalized: each value is judged against the stored values of its
// series and the values of the run before it, then joins that history for the next period.
import type { KpiDefinition } from '../definition/schema';
import { isoTime, shiftPeriod } from '../engine/time';
import { type DimensionValue, dimensionKey } from '../values/dimension-key';
import type { DriftSummary, KpiValue } from '../values/kpi-value';
import type { Annotation } from './drift/annotations';
import { type AdverseDirection, assessDrift, type DriftAssessment } from './drift/assess-drift';
import type { DriftGrain } from './drift/seasonality';
import { forecastLookbackPeriods } from './forecast-value';

/** One earlier value of a series, as drift and forecasts read it. */
export type SeriesPoint = Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>;

/** The values of one finalized period, in the order the engine gave them. */
export interface FinalizedPeriod {
  readonly start: number;
  readonly values: readonly KpiValue[];
}

/** Which stored history a run reads before its drift pass: every series it touches, over [from, to). */
export interface SeriesRead {
  readonly from: string;
  readonly to: string;
  /** Series key (see `dimensionKey`) → the series' dimensions, one per series, first seen first. */
  readonly series: ReadonlyMap<string, Readonly<Record<string, DimensionValue>>>;
}

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

/** How many earlier periods a run reads: drift's lookback, or a forecast's when it forecasts and reads further. */
export function historyLookbackPeriods(definition: KpiDefinition, forecasting: boolean): number {
  return Math.max(driftLookbackPeriods(definition), forecasting ? forecastLookbackPeriods(definition) : 0);
}

/** The stored history to read before assessing `periods` (null when there are none). */
export function seriesToRead(
  definition: KpiDefinition,
  periods: readonly FinalizedPeriod[],
  lookback: number,
): SeriesRead | null {
  const first = periods[0];
  if (first === undefined) return null;
  const series = new Map(periods.flatMap((p) => p.values.map((v) => [dimensionKey(v.dimensions), v.dimensions])));
  return {
    from: isoTime(shiftPeriod(definition.grain, first.start, -lookback)),
    to: isoTime(first.start),
    series,
  };
}

/** Drift of `value` given the earlier values of its series. */
export function driftOf(
  definition: KpiDefinition,
  value: SeriesPoint,
  history: readonly SeriesPoint[],
  annotations: readonly Annotation[],
): { assessment: DriftAssessment; summary: DriftSummary } {
  const point = (v: SeriesPoint) => ({
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

/**
 * The drift pass: each value of `periods` (in time order) with its drift set, judged against the
 * values of its series within the drift lookback before its period. Returns the values, and each
 * series' history (`stored`, left as it is, plus the values of the run), which forecasts read next.
 */
export function assessDriftInOrder(
  definition: KpiDefinition,
  periods: readonly FinalizedPeriod[],
  stored: ReadonlyMap<string, readonly SeriesPoint[]>,
  annotations: readonly Annotation[],
): { values: KpiValue[]; series: Map<string, SeriesPoint[]> } {
  const series = new Map([...stored].map(([key, points]) => [key, [...points]]));
  const lookback = driftLookbackPeriods(definition);
  const values: KpiValue[] = [];
  for (const period of periods) {
    const from = isoTime(shiftPeriod(definition.grain, period.start, -lookback));
    const before = isoTime(period.start);
    for (const value of period.values) {
      const key = dimensionKey(value.dimensions);
      const known = series.get(key) ?? [];
      const history = known.filter((p) => p.periodStart >= from && p.periodStart < before);
      const { summary } = driftOf(definition, value, history, annotations);
      values.push({ ...value, drift: summary });
      known.push({ periodStart: value.periodStart, periodEnd: value.periodEnd, value: value.value });
      series.set(key, known);
    }
  }
  return { values, series };
}

/** The grain drift seasonality is chosen by: grains longer than a month have no season of their own. */
function driftGrainOf(grain: KpiDefinition['grain']): DriftGrain {
  return grain === 'quarter' || grain === 'year' || grain === 'all_time' ? 'month' : grain;
}

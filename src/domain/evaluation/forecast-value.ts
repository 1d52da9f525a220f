// Domain (evaluate): the forecast a refresh attaches to the latest final value of a series, and the
// status it gives: `at_risk` when a green or yellow value is likely to end its horizon in red.
import type { Grain, KpiDefinition } from '../definition/schema';
import { isoTime, periodEnd, periodStart, shiftPeriod } from '../engine/time';
import type { KpiValue, ValueForecast } from '../values/kpi-value';
import { isAtRisk, redProbability } from './at-risk';
import { resolveSeasonality } from './drift/seasonality';
import { type ForecastModel, forecastSeries, historyCap } from './forecast';
import { DEFAULT_FORECAST_HORIZON, forecastSettingsOf } from './forecast-defaults';

/** Longest horizon forecast, in periods. */
const MAX_HORIZON = 400;

/**
 * Periods ahead to forecast from a value of the period starting at `origin`:
 * - a period-over-period target (`change`): to the end of the period that holds `asOf` (the current
 *   quarter of a quarter-over-quarter KPI), at least one;
 * - a streak: the next period;
 * - otherwise the definition's `forecast.horizon`, by default {@link DEFAULT_FORECAST_HORIZON}.
 */
export function forecastHorizon(
  definition: Pick<KpiDefinition, 'calculation' | 'grain' | 'forecast'>,
  origin: number,
  asOf: number,
): number {
  switch (definition.calculation.type) {
    case 'change': {
      const current = periodStart(definition.grain, asOf);
      let steps = 0;
      for (
        let start = origin;
        start < current && steps < MAX_HORIZON;
        start = shiftPeriod(definition.grain, start, 1)
      ) {
        steps += 1;
      }
      return Math.max(1, steps);
    }
    case 'streak':
      return 1;
    default:
      return forecastSettingsOf(definition).horizon ?? DEFAULT_FORECAST_HORIZON[definition.grain];
  }
}

/** The seasonality a KPI's forecast uses, in periods of its grain (1: none), from its drift settings. */
export function seasonLengthOf(definition: Pick<KpiDefinition, 'grain' | 'drift'>): number {
  const grain = definition.grain;
  if (grain !== 'hour' && grain !== 'day') return 1;
  switch (resolveSeasonality(definition.drift.seasonality, grain)) {
    case 'day_of_week':
      return grain === 'day' ? 7 : 168;
    case 'hour_of_day':
      return grain === 'hour' ? 24 : 1;
    case 'hour_of_week':
      return grain === 'hour' ? 168 : 1;
    case 'none':
      return 1;
  }
}

/** How many earlier periods a forecast may read: the most its model is fitted on. */
export function forecastLookbackPeriods(definition: Pick<KpiDefinition, 'grain' | 'drift'>): number {
  return historyCap(seasonLengthOf(definition));
}

/**
 * The values a forecast from `origin` is fitted on: the run of consecutive periods with a value
 * that ends at `origin` (a gap or a missing value ends it), oldest first.
 */
export function trainingValues(
  grain: Grain,
  points: readonly { periodStart: string; value: number | null }[],
  origin: number,
): number[] {
  const byStart = new Map(points.map((p) => [Date.parse(p.periodStart), p.value]));
  const values: number[] = [];
  for (let start = origin; ; start = shiftPeriod(grain, start, -1)) {
    const value = byStart.get(start);
    if (value === undefined || value === null) break;
    values.push(value);
  }
  return values.reverse();
}

/**
 * Forecasts the series of `value` from its history (earlier periods, any order) and re-evaluates the
 * value: its `forecast`, and `at_risk` when it was green or yellow and red at the horizon is more
 * likely than the definition's level. Unchanged when forecasts are off or the history is too short.
 */
export function forecastValue(
  model: ForecastModel,
  definition: Pick<KpiDefinition, 'calculation' | 'grain' | 'forecast' | 'drift' | 'target'>,
  value: KpiValue,
  history: readonly { periodStart: string; value: number | null }[],
  asOf: number,
): KpiValue {
  const settings = forecastSettingsOf(definition);
  if (!settings.enabled || value.value === null || definition.grain === 'all_time') return value;
  const origin = Date.parse(value.periodStart);
  const horizon = forecastHorizon(definition, origin, asOf);
  const training = trainingValues(definition.grain, [...history, value], origin);
  const forecast = forecastSeries(model, training, { seasonLength: seasonLengthOf(definition), horizon });
  if (!forecast?.steps.every((s) => Object.values(s).every(Number.isFinite))) return value;
  const steps = forecast.steps.map((step, i) => ({
    periodStart: isoTime(shiftPeriod(definition.grain, origin, i + 1)),
    ...step,
  }));
  const last = steps.at(-1) as (typeof steps)[number];
  const probabilityRed = redProbability(definition.target, last);
  const baseStatus = value.status === 'at_risk' ? (value.forecast?.baseStatus ?? 'green') : value.status;
  const summary: ValueForecast = {
    model: forecast.model,
    seasonLength: forecast.seasonLength,
    trainedOn: forecast.trainedOn,
    calibration: forecast.calibration,
    steps,
    horizonEnd: isoTime(periodEnd(definition.grain, Date.parse(last.periodStart))),
    probabilityRed,
    atRiskProbability: settings.atRiskProbability,
    baseStatus,
  };
  const status = isAtRisk(baseStatus, probabilityRed, settings.atRiskProbability) ? 'at_risk' : baseStatus;
  return { ...value, status, forecast: summary };
}

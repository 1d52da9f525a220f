// Use case (evaluate): the forecasts a refresh attaches. For each series, the latest final value the
// run computed is forecast from the series' history (the model is loaded only when there is one)
// and re-evaluated: `at_risk` when red at the horizon is likely. Older and provisional values keep
// no forecast: a backfill or a late-data recompute never forecasts the past.
import { forecastSettingsOf } from '../domain/evaluation/forecast-defaults';
import { forecastValue } from '../domain/evaluation/forecast-value';
import { dimensionKey } from '../domain/values/dimension-key';
import type { KpiValue } from '../domain/values/kpi-value';
import type { Forecaster, ForecastModelSource, ForecastValuesInput } from '../ports/forecast-model';

/**
 * The start of the period a refresh forecasts: the latest final value the run computed, unless the
 * KPI does not forecast or a later final period is already stored. Null when nothing is forecast.
 */
export function forecastPeriod(
  input: Pick<ForecastValuesInput, 'definition' | 'values' | 'latestStoredFinal'>,
): string | null {
  const { definition, values } = input;
  if (!forecastSettingsOf(definition).enabled || definition.grain === 'all_time') return null;
  const finals = values.filter((v) => !v.provisional && v.value !== null);
  const latest = finals.reduce<string | null>(
    (max, v) => (max === null || v.periodStart > max ? v.periodStart : max),
    null,
  );
  if (latest === null || (input.latestStoredFinal !== null && input.latestStoredFinal > latest)) return null;
  return latest;
}

/** The run's values, the latest final one of each series forecast and re-evaluated. */
export async function forecastValues(source: ForecastModelSource, input: ForecastValuesInput): Promise<KpiValue[]> {
  const { definition, values } = input;
  const latest = forecastPeriod(input);
  if (latest === null) return [...values];
  const model = await source.load();
  return values.map((value) =>
    value.periodStart === latest && !value.provisional && value.value !== null
      ? forecastValue(model, definition, value, input.history(dimensionKey(value.dimensions)), input.asOf)
      : value,
  );
}

/** A forecaster on `source`: forecastValues with that model. */
export function modelForecaster(source: ForecastModelSource): Forecaster {
  return { forecast: (input) => forecastValues(source, input) };
}

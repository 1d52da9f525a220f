// Use case (evaluate): the forecasts a refresh attaches. For each series, the latest final value the
// run computed is forecast from the series' history (the model is loaded only when there is one)
// and re-evaluated: `at_risk` when red at the horizon is likely. Older and provisional values keep
// no forecast: a backfill or a late-data recompute never forecasts the past.
import type { KpiDefinition } from '../domain/definition/schema';
import { forecastSettingsOf } from '../domain/evaluation/forecast-settings';
import { forecastValue } from '../domain/evaluation/forecast-value';
import { dimensionKey } from '../domain/values/dimension-key';
import type { KpiValue } from '../domain/values/kpi-value';
import type { ForecastModelSource } from '../ports/forecast-model';
import type { SeriesPoint } from '../ports/kpi-value-store';

export interface ForecastValuesInput {
  readonly definition: KpiDefinition;
  /** The values the run computed, in time order. */
  readonly values: readonly KpiValue[];
  /** Start (ISO) of the latest period already stored as final and not recomputed by the run, if any. */
  readonly latestStoredFinal: string | null;
  /** Each series' earlier values, by dimension key. */
  readonly history: (dimensionKey: string) => readonly SeriesPoint[];
  readonly asOf: number;
}

/** The run's values, the latest final one of each series forecast and re-evaluated. */
export async function forecastValues(source: ForecastModelSource, input: ForecastValuesInput): Promise<KpiValue[]> {
  const { definition, values } = input;
  if (!forecastSettingsOf(definition).enabled || definition.grain === 'all_time') return [...values];
  const finals = values.filter((v) => !v.provisional && v.value !== null);
  const latest = finals.reduce<string | null>(
    (max, v) => (max === null || v.periodStart > max ? v.periodStart : max),
    null,
  );
  if (latest === null || (input.latestStoredFinal !== null && input.latestStoredFinal > latest)) return [...values];
  const model = await source.load();
  return values.map((value) =>
    value.periodStart === latest && !value.provisional && value.value !== null
      ? forecastValue(model, definition, value, input.history(dimensionKey(value.dimensions)), input.asOf)
      : value,
  );
}

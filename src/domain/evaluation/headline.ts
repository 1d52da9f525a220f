// Domain (evaluate): the figures a refresh reports for a KPI's dashboard: the overall value of the
// latest period written, and the overall forecast at its horizon.
import type { KpiValue } from '../values/kpi-value';

/** The overall row (no dimensions) of the latest period among `values` that has a value, or null. */
export function latestOverallValue(values: readonly KpiValue[]): (KpiValue & { readonly value: number }) | null {
  const latest = values
    .filter((v) => Object.keys(v.dimensions).length === 0 && v.value !== null)
    .sort((a, b) => (a.periodStart < b.periodStart ? -1 : 1))
    .at(-1);
  return latest && latest.value !== null ? { ...latest, value: latest.value } : null;
}

/** The last overall forecast among `values` and its horizon step, or null when none was forecast. */
export function latestOverallForecast(values: readonly KpiValue[]): {
  readonly forecast: NonNullable<KpiValue['forecast']>;
  readonly horizon: NonNullable<KpiValue['forecast']>['steps'][number];
} | null {
  const forecast = values.findLast((v) => Object.keys(v.dimensions).length === 0 && v.forecast)?.forecast;
  const horizon = forecast?.steps.at(-1);
  return forecast && horizon ? { forecast, horizon } : null;
}

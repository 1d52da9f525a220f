// Ports: forecasting. The model is loaded on first use (a WebAssembly library is compiled then, not
// at cold start), the same instance afterwards; a Forecaster attaches forecasts to the values of a
// run and may load its own code on first use too (the compute function's forecasting code is not in
// its bundle).
import type { KpiDefinition } from '../domain/definition/schema';
import type { ForecastModel } from '../domain/evaluation/forecast';
import type { KpiValue } from '../domain/values/kpi-value';
import type { SeriesPoint } from './kpi-value-store';

export interface ForecastModelSource {
  /** The model; the first call loads it. */
  load(): Promise<ForecastModel>;
}

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

export interface Forecaster {
  /** The run's values, the latest final one of each series forecast and re-evaluated. */
  forecast(input: ForecastValuesInput): Promise<KpiValue[]>;
}

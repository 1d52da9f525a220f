// Port: the forecasting model, loaded on first use (a WebAssembly library is compiled then, not at
// cold start), the same instance afterwards.
import type { ForecastModel } from '../domain/evaluation/forecast';

export interface ForecastModelSource {
  /** The model; the first call loads it. */
  load(): Promise<ForecastModel>;
}

// Runtime: the forecaster of the compute function, on the augurs model. This module is the entry of
// its own bundle (`forecasting.mjs` beside the compute function's bundle, see lazy-forecaster.ts), so
// the forecasting code is read from disk only when a refresh forecasts.

import { augursForecastModel } from '../adapters/forecasting/augurs-forecast-model';
import type { Forecaster } from '../ports/forecast-model';
import { modelForecaster } from '../usecases/forecast-values';

/** Forecasts with augurs, compiled on the first forecast. */
export function augursForecaster(): Forecaster {
  return modelForecaster(augursForecastModel());
}

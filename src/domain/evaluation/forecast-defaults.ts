// Domain (evaluate): the forecast settings in force when a definition does not say, without the
// schema (forecast-settings.ts), so that the forecasting code that needs only these carries no zod.
import type { Grain } from '../definition/schema';
import type { ForecastSettings } from './forecast-settings';

/** What `forecastSettingsSchema` gives for an empty block (a test holds them equal). */
export const DEFAULT_FORECAST_SETTINGS: Readonly<ForecastSettings> = Object.freeze({
  enabled: true,
  atRiskProbability: 0.5,
});

/** Periods ahead a forecast looks when the definition does not say. */
export const DEFAULT_FORECAST_HORIZON: Readonly<Record<Grain, number>> = {
  minute: 60,
  hour: 24,
  day: 7,
  week: 4,
  month: 3,
  quarter: 1,
  year: 1,
  // One period, never complete: nothing to forecast.
  all_time: 0,
};

/** The settings in force for a definition: its own block, defaults filled in. */
export function forecastSettingsOf(definition: { readonly forecast?: ForecastSettings | undefined }): ForecastSettings {
  return definition.forecast ?? DEFAULT_FORECAST_SETTINGS;
}

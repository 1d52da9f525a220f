// Domain (evaluate): how a KPI's series is forecast on each refresh, and when the forecast makes a
// value `at_risk`. The block is optional: a definition that says nothing is forecast with the
// defaults (forecast-defaults.ts), and its stored content (and so its hash) does not change.
import * as z from 'zod';

export const forecastSettingsSchema = z
  .strictObject({
    /** Turn forecasts (and so `at_risk`) off for this KPI. @default true */
    enabled: z.boolean().default(true).meta({ description: 'Forecast this KPI on each refresh. @default true' }),
    horizon: z.number().int().min(1).max(400).optional().meta({
      description:
        'Periods ahead to forecast when the target is not period-over-period (a `change` calculation forecasts to the end of the current period, a `streak` one period). @default minute 60, hour 24, day 7, week 4, month 3, quarter 1',
    }),
    atRiskProbability: z.number().gt(0).lt(1).default(0.5).meta({
      description:
        'A green or yellow value becomes at_risk when the forecast gives more than this probability of ending the horizon in red. @default 0.5',
    }),
  })
  .meta({
    id: 'ForecastSettings',
    description:
      'Forecasts of the KPI on each refresh (MSTL with an AutoETS trend, 80 % and 95 % prediction intervals), and the probability of red at the horizon that makes a value at_risk.',
  });

export type ForecastSettings = z.output<typeof forecastSettingsSchema>;

export { DEFAULT_FORECAST_HORIZON, DEFAULT_FORECAST_SETTINGS, forecastSettingsOf } from './forecast-defaults';

// Test support: forecasting models whose forecasts a test can work out by hand.
import type { ForecastModel } from '../../src/domain/evaluation/forecast';

/**
 * The naive model: every step forecasts the last value; the interval at level L is ± `halfWidths[L]`
 * (by default ±1 at 80 % and ±2 at 95 %). Records each fit's length in `fits`.
 */
export function naiveModel(halfWidths: Record<number, number> = { 0.8: 1, 0.95: 2 }): ForecastModel & {
  fits: number[];
} {
  const fits: number[] = [];
  return {
    fits,
    describe: (seasonLength) => (seasonLength > 1 ? `naive(${seasonLength})` : 'naive'),
    forecast(values, _seasonLength, horizon, levels) {
      fits.push(values.length);
      const last = values.at(-1) as number;
      const point = Array.from({ length: horizon }, () => last);
      return {
        point,
        intervals: levels.map((level) => ({
          level,
          lower: point.map((p) => p - (halfWidths[level] ?? 1)),
          upper: point.map((p) => p + (halfWidths[level] ?? 1)),
        })),
      };
    },
  };
}

/** A model that forecasts a straight line through the last two values, with intervals ± `halfWidth` × level's z. */
export function trendModel(halfWidth: number): ForecastModel {
  return {
    describe: () => 'trend',
    forecast(values, _seasonLength, horizon, levels) {
      const last = values.at(-1) as number;
      const slope = last - (values.at(-2) as number);
      const point = Array.from({ length: horizon }, (_, i) => last + slope * (i + 1));
      const z = (level: number) => (level === 0.8 ? 1.2815515655446004 : 1.959963984540054);
      return {
        point,
        intervals: levels.map((level) => ({
          level,
          lower: point.map((p) => p - halfWidth * z(level)),
          upper: point.map((p) => p + halfWidth * z(level)),
        })),
      };
    },
  };
}

import { describe, expect, it } from 'vitest';
import {
  conformalQuantile,
  errorRatio,
  forecastPlan,
  forecastSeries,
  historyCap,
  withoutSpikes,
} from '../../../src/domain/evaluation/forecast';
import { naiveModel } from '../../support/forecast-models';

describe('forecast plan', () => {
  it('uses a weekly season only with three full weeks of history', () => {
    expect(forecastPlan(20, 7, 7)?.seasonLength).toBe(1);
    expect(forecastPlan(21, 7, 7)?.seasonLength).toBe(7);
  });

  it('needs eight points without a season and refuses fewer', () => {
    expect(forecastPlan(7, 1, 1)).toBeNull();
    expect(forecastPlan(8, 1, 1)).toEqual({ seasonLength: 1, trainOn: 8, minFit: 8, origins: 0 });
  });

  it('calibrates on as many origins, one horizon apart, as leave a minimal fit before them (four at most)', () => {
    // 30 points, weekly season: fits need 14 points; (30 - 14) / 7 = 2 origins.
    expect(forecastPlan(30, 7, 7)).toEqual({ seasonLength: 7, trainOn: 30, minFit: 14, origins: 2 });
    expect(forecastPlan(100, 7, 7)?.origins).toBe(4);
  });

  it('fits on at most sixteen seasons (112 days for a weekly season, 112 points without one)', () => {
    expect(historyCap(7)).toBe(112);
    expect(historyCap(24)).toBe(384);
    expect(historyCap(1)).toBe(112);
    expect(forecastPlan(500, 7, 7)?.trainOn).toBe(112);
  });
});

describe('interval calibration', () => {
  it('takes the ⌈(n + 1)·level⌉-th smallest score as the conformal quantile', () => {
    const scores = [7, 3, 9, 1, 10, 2, 8, 4, 6, 5];
    expect(conformalQuantile(scores, 0.8)).toBe(9); // rank ⌈11 × 0.8⌉ = 9
    expect(conformalQuantile(scores, 0.5)).toBe(6); // rank ⌈5.5⌉ = 6
    expect(conformalQuantile(scores, 0.95)).toBe(10); // rank 11 is past the end: the largest
  });

  it('measures an error in half-widths of the side it fell on', () => {
    expect(errorRatio(13, 10, 9, 12)).toBe(1.5); // above: (13 - 10) / (12 - 10)
    expect(errorRatio(8, 10, 9, 12)).toBe(2); // below: (10 - 8) / (10 - 9)
  });

  it('scales the final intervals by the conformal quantile of the backtest errors', () => {
    // Sixteen points, horizon 2, no season: four origins (cuts at 14, 12, 10, 8). The naive model
    // forecasts the last value with half-widths 1 (80 %) and 2 (95 %). Its backtest errors:
    // cut 8: 10 → 11, 13 (1, 3); cut 10: 13 → 10, 10 (3, 3); cut 12: 10 → 10, 10 (0, 0);
    // cut 14: 10 → 12, 16 (2, 6). At 80 %: rank ⌈9 × 0.8⌉ = 8 of [0 0 1 2 3 3 3 6] → 6.
    // At 95 % (errors / 2): rank 8 of [0 0 .5 1 1.5 1.5 1.5 3] → 3.
    const values = [0, 0, 0, 0, 0, 0, 0, 10, 11, 13, 10, 10, 10, 10, 12, 16];
    const model = naiveModel();
    const forecast = forecastSeries(model, values, { seasonLength: 1, horizon: 2 });
    expect(model.fits).toEqual([14, 12, 10, 8, 16]);
    expect(forecast?.calibration).toEqual({ origins: 4, factor80: 6, factor95: 3 });
    expect(forecast?.steps[0]).toEqual({ point: 16, lower80: 10, upper80: 22, lower95: 10, upper95: 22 });
    expect(forecast?.model).toBe('naive');
    expect(forecast?.trainedOn).toBe(16);
  });

  it('keeps the model intervals when no origin fits before the horizon', () => {
    const forecast = forecastSeries(naiveModel(), [1, 2, 3, 4, 5, 6, 7, 8, 9], { seasonLength: 1, horizon: 2 });
    expect(forecast?.calibration).toEqual({ origins: 0, factor80: 1, factor95: 1 });
    expect(forecast?.steps).toEqual([
      { point: 9, lower80: 8, upper80: 10, lower95: 7, upper95: 11 },
      { point: 9, lower80: 8, upper80: 10, lower95: 7, upper95: 11 },
    ]);
  });

  it('keeps the 95 % interval around the 80 % one even when the model gives it narrower', () => {
    const model = naiveModel({ 0.8: 2, 0.95: 1 });
    const forecast = forecastSeries(model, [1, 2, 3, 4, 5, 6, 7, 8, 9], { seasonLength: 1, horizon: 2 });
    expect(forecast?.steps[0]).toEqual({ point: 9, lower80: 7, upper80: 11, lower95: 7, upper95: 11 });
  });

  it('gives no forecast from too short a history', () => {
    expect(forecastSeries(naiveModel(), [1, 2, 3], { seasonLength: 1, horizon: 1 })).toBeNull();
  });
});

describe('spikes in the training values', () => {
  const flat = [10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9];

  it('replaces a one-off spike by its season median', () => {
    const spiked = [...flat];
    spiked[5] = 100;
    expect(withoutSpikes(spiked, 1)).toEqual(flat.map((v, i) => (i === 5 ? 10 : v)));
  });

  it('replaces runs of up to three outliers, keeps longer ones (a change of level)', () => {
    const three = [...flat];
    three.splice(4, 3, 90, 95, 90);
    expect(withoutSpikes(three, 1).slice(4, 7)).toEqual([10, 10, 10]);
    const four = [...flat];
    four.splice(4, 4, 90, 95, 90, 95);
    expect(withoutSpikes(four, 1).slice(4, 8)).toEqual([90, 95, 90, 95]);
  });

  it('keeps two outlying last values (a new level may be starting) but not a lone one', () => {
    expect(withoutSpikes([...flat, 90, 95], 1).slice(-2)).toEqual([90, 95]);
    expect(withoutSpikes([...flat, 95], 1).at(-1)).toBe(10);
  });

  it('measures each value against its own season', () => {
    // A weekly pattern with weekends at 2: a weekend is no outlier, a weekday at 2 is.
    const week = [10, 10, 10, 10, 10, 2, 2];
    const weeks = [...week, ...week, ...week].map((v, i) => v + (i % 3) * 0.1);
    const cleaned = withoutSpikes(weeks, 7);
    expect(cleaned).toEqual(weeks);
    const dipped = [...weeks];
    dipped[8] = 2;
    expect(withoutSpikes(dipped, 7)[8]).not.toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import {
  forecastHorizon,
  forecastValue,
  seasonLengthOf,
  trainingValues,
} from '../../../src/domain/evaluation/forecast-value';
import { at, definition } from '../../support/definitions';
import { naiveModel, trendModel } from '../../support/forecast-models';
import { sampleValue } from '../../support/kpi-values';

const ratio = {
  type: 'ratio' as const,
  numerator: { dataset: 'ads', aggregate: 'sum' as const, field: 'clicks' },
  denominator: { dataset: 'ads', aggregate: 'sum' as const, field: 'impressions' },
};
const datasets = [{ id: 'ads', timeField: 'ts' }];
const daily = definition({ calculation: ratio, datasets });

describe('forecast horizon', () => {
  it('forecasts a quarter-over-quarter KPI to the end of the current quarter', () => {
    const qoq = definition({ calculation: { type: 'change', of: ratio }, datasets, grain: 'quarter' });
    // From Q3 (the last final quarter) on 20 November: Q4 is one step.
    expect(forecastHorizon(qoq, at('2026-07-01'), at('2026-11-20'))).toBe(1);
    // From Q2: Q3 and Q4.
    expect(forecastHorizon(qoq, at('2026-04-01'), at('2026-11-20'))).toBe(2);
  });

  it('forecasts a streak one period ahead', () => {
    const streak = definition({
      calculation: { type: 'streak', of: ratio, direction: 'decreasing' },
      datasets,
      grain: 'month',
    });
    expect(forecastHorizon(streak, at('2026-10-01'), at('2026-11-20'))).toBe(1);
  });

  it('forecasts other KPIs the configured number of periods, a week of days by default', () => {
    expect(forecastHorizon(daily, at('2026-11-19'), at('2026-11-20'))).toBe(7);
    const weekly = definition({ calculation: ratio, datasets, grain: 'week' });
    expect(forecastHorizon(weekly, at('2026-11-16'), at('2026-11-20'))).toBe(4);
    const configured = definition({ calculation: ratio, datasets, forecast: { horizon: 14 } });
    expect(forecastHorizon(configured, at('2026-11-19'), at('2026-11-20'))).toBe(14);
  });
});

describe('forecast seasonality', () => {
  it('follows the drift seasonality: a week of days, a day of hours, none for coarser grains', () => {
    expect(seasonLengthOf(daily)).toBe(7);
    expect(seasonLengthOf(definition({ calculation: ratio, datasets, grain: 'hour' }))).toBe(24);
    expect(
      seasonLengthOf(
        definition({ calculation: ratio, datasets, grain: 'hour', drift: { seasonality: 'day_of_week' } }),
      ),
    ).toBe(168);
    expect(seasonLengthOf(definition({ calculation: ratio, datasets, drift: { seasonality: 'none' } }))).toBe(1);
    expect(seasonLengthOf(definition({ calculation: ratio, datasets, grain: 'month' }))).toBe(1);
  });
});

describe('training values', () => {
  it('takes the run of consecutive values ending at the origin, stopping at a gap or a missing value', () => {
    const points = [
      { periodStart: '2026-11-10T00:00:00.000Z', value: 1 },
      { periodStart: '2026-11-12T00:00:00.000Z', value: 2 },
      { periodStart: '2026-11-13T00:00:00.000Z', value: null },
      { periodStart: '2026-11-14T00:00:00.000Z', value: 3 },
      { periodStart: '2026-11-15T00:00:00.000Z', value: 4 },
    ];
    expect(trainingValues('day', points, at('2026-11-15'))).toEqual([3, 4]);
    expect(trainingValues('day', points, at('2026-11-12'))).toEqual([2]);
  });
});

describe('forecast of a value', () => {
  const history = (values: number[], last: string) =>
    values.map((value, i) => ({
      periodStart: new Date(Date.parse(last) - (values.length - i) * 86_400_000).toISOString(),
      value,
    }));
  const origin = '2026-11-19T00:00:00.000Z';
  const value = (v: number) =>
    sampleValue({ periodStart: origin, periodEnd: '2026-11-20T00:00:00.000Z', value: v, status: 'green' });

  it('marks a green value at risk when the forecast ends the horizon below the yellow threshold', () => {
    // Higher is better, red below 0.5: falling by 0.15 a day from 1.2, seven days ahead is 0.15.
    const falling = history([2.4, 2.25, 2.1, 1.95, 1.8, 1.65, 1.5, 1.35], origin);
    const result = forecastValue(trendModel(0.05), daily, value(1.2), falling, at('2026-11-20T06:00'));
    expect(result.status).toBe('at_risk');
    expect(result.forecast?.baseStatus).toBe('green');
    expect(result.forecast?.steps).toHaveLength(7);
    expect(result.forecast?.steps[0]?.periodStart).toBe('2026-11-20T00:00:00.000Z');
    expect(result.forecast?.steps.at(-1)?.point).toBeCloseTo(0.15, 9);
    expect(result.forecast?.horizonEnd).toBe('2026-11-27T00:00:00.000Z');
    expect(result.forecast?.probabilityRed).toBeGreaterThan(0.5);
    expect(result.forecast?.atRiskProbability).toBe(0.5);
    expect(result.forecast?.model).toBe('trend');
  });

  it('keeps the status of a value whose forecast stays clear of red', () => {
    const steady = history([1, 1, 1, 1, 1, 1, 1, 1], origin);
    const result = forecastValue(naiveModel({ 0.8: 0.01, 0.95: 0.02 }), daily, value(1), steady, at('2026-11-20'));
    expect(result.status).toBe('green');
    expect(result.forecast?.probabilityRed).toBe(0);
  });

  it('uses the definition level of probability', () => {
    const strict = definition({ calculation: ratio, datasets, forecast: { atRiskProbability: 0.95 } });
    // Seven days ahead 0.15 with a spread of 0.5: P(below 0.5) = Φ(0.7) ≈ 0.76.
    const falling = history([2.4, 2.25, 2.1, 1.95, 1.8, 1.65, 1.5, 1.35], origin);
    const result = forecastValue(trendModel(0.5), strict, value(1.2), falling, at('2026-11-20'));
    expect(result.forecast?.probabilityRed).toBeCloseTo(0.758, 3);
    expect(result.forecast?.probabilityRed).toBeGreaterThan(0.5);
    expect(result.forecast?.probabilityRed).toBeLessThan(0.95);
    expect(result.status).toBe('green');
  });

  it('leaves the value alone when forecasts are off, the value is missing or the history is short', () => {
    const off = definition({ calculation: ratio, datasets, forecast: { enabled: false } });
    const long = history([1, 1, 1, 1, 1, 1, 1, 1], origin);
    expect(forecastValue(naiveModel(), off, value(1), long, at('2026-11-20')).forecast).toBeNull();
    expect(
      forecastValue(naiveModel(), daily, { ...value(1), value: null }, long, at('2026-11-20')).forecast,
    ).toBeNull();
    expect(forecastValue(naiveModel(), daily, value(1), long.slice(-3), at('2026-11-20')).forecast).toBeNull();
  });
});

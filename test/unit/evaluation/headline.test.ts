import { describe, expect, it } from 'vitest';
import { latestOverallForecast, latestOverallValue } from '../../../src/domain/evaluation/headline';
import type { ValueForecast } from '../../../src/domain/values/kpi-value';
import { sampleValue } from '../../support/kpi-values';

const day = (date: string, overrides = {}) =>
  sampleValue({ periodStart: `${date}T00:00:00.000Z`, dimensions: {}, ...overrides });
const forecast = (point: number): ValueForecast => ({
  model: 'auto_ets',
  seasonLength: 1,
  trainedOn: 20,
  calibration: { origins: 5, factor80: 1, factor95: 1 },
  steps: [
    { periodStart: '2024-03-06T00:00:00.000Z', point: point - 1, lower80: 0, upper80: 1, lower95: 0, upper95: 1 },
    { periodStart: '2024-03-07T00:00:00.000Z', point, lower80: 0, upper80: 1, lower95: 0, upper95: 1 },
  ],
  horizonEnd: '2024-03-08T00:00:00.000Z',
  probabilityRed: 0.4,
  atRiskProbability: 0.3,
  baseStatus: 'green',
});

describe('headline figures', () => {
  it('takes the overall value of the latest period that has one, whatever the order written', () => {
    const values = [
      day('2024-03-05', { value: 0.02 }),
      day('2024-03-06', { value: null }),
      day('2024-03-04', { value: 0.03 }),
      day('2024-03-07', { value: 0.5, dimensions: { campaign: 'spring' } }),
    ];
    expect(latestOverallValue(values)).toMatchObject({ periodStart: '2024-03-05T00:00:00.000Z', value: 0.02 });
    expect(latestOverallValue([day('2024-03-05', { value: null })])).toBeNull();
  });

  it('takes the last overall forecast and its horizon step', () => {
    const values = [
      day('2024-03-04', { forecast: forecast(1) }),
      day('2024-03-05', { forecast: forecast(2) }),
      day('2024-03-05', { forecast: forecast(9), dimensions: { campaign: 'spring' } }),
    ];
    expect(latestOverallForecast(values)?.horizon.point).toBe(2);
    expect(latestOverallForecast([day('2024-03-05')])).toBeNull();
  });
});

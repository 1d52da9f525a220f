import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { augursForecastModel, locateAsset } from '../../../src/adapters/forecasting/augurs-forecast-model';

// Four weeks of a weekly pattern (high on weekdays, low at weekends) on a slow rise, with a fixed wobble.
const weekly = Array.from({ length: 56 }, (_, i) => 100 + i * 0.5 + (i % 7 >= 5 ? -30 : 0) + ((i * 7) % 5) - 2);

describe('the augurs forecasting model', () => {
  it('forecasts a weekly series with MSTL, following its weekly pattern', async () => {
    const model = await augursForecastModel().load();
    const forecast = model.forecast(weekly, 7, 7, [0.8, 0.95]);
    expect(model.describe(7)).toBe('mstl(7)+auto_ets');
    expect(forecast.point).toHaveLength(7);
    // Day 56 is a weekday, days 61 and 62 the weekend: the forecast keeps the weekend dip.
    const weekday = forecast.point[0] as number;
    const weekend = forecast.point[5] as number;
    expect(weekday - weekend).toBeGreaterThan(20);
    const [i80, i95] = forecast.intervals;
    expect(i80?.level).toBe(0.8);
    forecast.point.forEach((p, i) => {
      expect(i95?.lower[i] as number).toBeLessThanOrEqual(i80?.lower[i] as number);
      expect(i80?.lower[i] as number).toBeLessThanOrEqual(p);
      expect(p).toBeLessThanOrEqual(i80?.upper[i] as number);
      expect(i80?.upper[i] as number).toBeLessThanOrEqual(i95?.upper[i] as number);
    });
  });

  it('forecasts a series without seasonality with AutoETS', async () => {
    const model = await augursForecastModel().load();
    const forecast = model.forecast([10, 11, 10, 12, 11, 10, 11, 12, 11, 10], 1, 3, [0.8, 0.95]);
    expect(model.describe(1)).toBe('auto_ets');
    expect(forecast.point.every((p) => p > 9 && p < 13)).toBe(true);
  });

  it('gives the same forecast for the same series (refreshes must not rewrite values)', async () => {
    const model = await augursForecastModel().load();
    expect(model.forecast(weekly, 7, 7, [0.8])).toEqual(model.forecast(weekly, 7, 7, [0.8]));
  });

  it('loads once and hands out the same model', async () => {
    const source = augursForecastModel();
    expect(await source.load()).toBe(await source.load());
  });

  it('prefers the files beside the bundle and falls back on the installed package', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasm-'));
    writeFileSync(path.join(dir, 'mstl_bg.wasm'), '');
    expect(locateAsset('mstl_bg.wasm', dir)).toBe(path.join(dir, 'mstl_bg.wasm'));
    expect(locateAsset('ets_bg.wasm', dir)).toMatch(/node_modules\/@bsull\/augurs\/ets_bg\.wasm$/);
  });
});

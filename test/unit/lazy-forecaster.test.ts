import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { FORECASTER_BUNDLE } from '../../src/contracts/forecast-assets';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { DEFAULT_FORECAST_SETTINGS, forecastSettingsSchema } from '../../src/domain/evaluation/forecast-settings';
import type { ForecastValuesInput } from '../../src/ports/forecast-model';
import { forecasterModuleUrl, lazyForecaster } from '../../src/runtime/lazy-forecaster';
import { sampleValue } from '../support/kpi-values';

const dir = mkdtempSync(path.join(tmpdir(), 'lazy-forecaster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A forecaster module that counts how often it is evaluated and marks what it forecasts. */
function fakeModule(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `globalThis.__forecasterImports = (globalThis.__forecasterImports ?? 0) + 1;
     export function augursForecaster() {
       return { forecast: async (input) => input.values.map((v) => ({ ...v, reason: 'forecast by ${name}' })) };
     }`,
  );
  return pathToFileURL(file).href;
}

const input = (): ForecastValuesInput => ({
  definition: {} as ForecastValuesInput['definition'],
  values: [sampleValue()],
  latestStoredFinal: null,
  history: () => [],
  asOf: 0,
});
const imports = () => (globalThis as { __forecasterImports?: number }).__forecasterImports ?? 0;

describe('lazyForecaster', () => {
  it('imports the forecasting code on the first forecast only, and once', async () => {
    const url = fakeModule('once.mjs');
    const before = imports();
    const forecaster = lazyForecaster(url);
    expect(imports()).toBe(before);
    const [first] = await forecaster.forecast(input());
    expect(first?.reason).toBe('forecast by once.mjs');
    await forecaster.forecast(input());
    expect(imports()).toBe(before + 1);
  });

  it('tries the import again on the next forecast when it failed', async () => {
    const missing = pathToFileURL(path.join(dir, 'later.mjs')).href;
    const forecaster = lazyForecaster(missing);
    await expect(forecaster.forecast(input())).rejects.toThrow();
    fakeModule('later.mjs');
    const [value] = await forecaster.forecast(input());
    expect(value?.reason).toBe('forecast by later.mjs');
  });

  it("uses the bundle's forecasting module beside the running bundle, else the sources", () => {
    const bundleDir = mkdtempSync(path.join(dir, 'asset-'));
    const bundle = pathToFileURL(path.join(bundleDir, 'index.mjs')).href;
    expect(forecasterModuleUrl(bundle)).toBe(pathToFileURL(path.join(bundleDir, 'augurs-forecaster.ts')).href);
    writeFileSync(path.join(bundleDir, FORECASTER_BUNDLE.file), '');
    expect(forecasterModuleUrl(bundle)).toBe(pathToFileURL(path.join(bundleDir, FORECASTER_BUNDLE.file)).href);
    expect(forecasterModuleUrl()).toMatch(/\/src\/runtime\/augurs-forecaster\.ts$/);
  });

  it('forecasts with the real model from the sources', async () => {
    const definition = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
    const day = (n: number) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString();
    const history = Array.from({ length: 56 }, (_, n) => ({
      periodStart: day(n),
      periodEnd: day(n + 1),
      value: 0.03 + (n % 7) * 0.001,
    }));
    const value = sampleValue({ kpiId: definition.id, periodStart: day(56), dimensions: {}, value: 0.03 });
    const [forecast] = await lazyForecaster().forecast({
      definition,
      values: [value],
      latestStoredFinal: null,
      history: () => history,
      asOf: Date.parse(day(60)),
    });
    expect(forecast?.forecast?.model).toBe('mstl(7)+auto_ets');
  });
});

describe('forecast defaults', () => {
  it('are what the schema gives for an empty block', () => {
    expect(DEFAULT_FORECAST_SETTINGS).toEqual(forecastSettingsSchema.parse({}));
  });
});

// Runtime: a forecaster whose code is imported on the first forecast. In a function bundle it is
// `forecasting.mjs` beside the bundle (built from augurs-forecaster.ts by the compute function's
// bundling, see lib/constructs/computation.ts), so neither the forecasting code nor the model weighs
// on the bundle or its import; from the sources (CLI, local runtime, tests) it is augurs-forecaster.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FORECASTER_BUNDLE } from '../contracts/forecast-assets';
import type { Forecaster } from '../ports/forecast-model';

type ForecasterModule = typeof import('./augurs-forecaster');

/**
 * The module to import: the bundle's `forecasting.mjs` when one sits beside `moduleUrl`, else the
 * sources' augurs-forecaster.ts. Both by file URL, which the bundler leaves alone.
 */
export function forecasterModuleUrl(moduleUrl = import.meta.url): string {
  const beside = path.join(path.dirname(fileURLToPath(moduleUrl)), FORECASTER_BUNDLE.file);
  return existsSync(beside) ? pathToFileURL(beside).href : new URL('./augurs-forecaster.ts', moduleUrl).href;
}

/** Imports the forecasting code on the first forecast and uses it afterwards. */
export function lazyForecaster(moduleUrl = forecasterModuleUrl()): Forecaster {
  let loading: Promise<Forecaster> | undefined;
  return {
    async forecast(input) {
      loading ??= (import(moduleUrl) as Promise<ForecasterModule>)
        .then((module) => module.augursForecaster())
        .catch((error: unknown) => {
          loading = undefined;
          throw error;
        });
      return (await loading).forecast(input);
    },
  };
}

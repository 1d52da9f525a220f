// Adapter: the forecasting model on augurs (Rust compiled to WebAssembly; Grafana's time-series
// library): MSTL with an AutoETS trend for a seasonal series, AutoETS alone otherwise. Nothing is
// loaded until the first forecast: then its two modules (JavaScript glue and WebAssembly) are
// imported and compiled from the files beside the bundle on Lambda (copied there by the compute
// function's bundling, so none of it weighs on the bundle or its import), or from the installed
// package elsewhere.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ForecastModel, ModelForecast } from '../../domain/evaluation/forecast';
import type { ForecastModelSource } from '../../ports/forecast-model';

interface Prediction {
  point: number[];
  intervals?: { level: number; lower: number[]; upper: number[] } | undefined;
}
interface Fitted {
  fit(y: Float64Array): void;
  predict(horizon: number, level?: number | null): Prediction;
  free(): void;
}

type MstlModule = typeof import('@bsull/augurs/mstl');
type EtsModule = typeof import('@bsull/augurs/ets');

/** The first existing copy of one of the model's files: beside this module (the bundle), else in the package. */
export function locateAsset(file: string, besideModule = path.dirname(fileURLToPath(import.meta.url))): string {
  const beside = path.join(besideModule, file);
  if (existsSync(beside)) return beside;
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('@bsull/augurs/mstl'));
  return path.join(packageDir, file);
}

/** Loads augurs on the first `load()` and returns the same model afterwards. */
export function augursForecastModel(): ForecastModelSource {
  let loading: Promise<ForecastModel> | undefined;
  return {
    load() {
      loading ??= loadModel().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
  };
}

async function loadModel(): Promise<ForecastModel> {
  // Imported by file URL, not by package name: the bundler leaves them out and they load on demand.
  const [mstl, ets, mstlWasm, etsWasm] = await Promise.all([
    import(pathToFileURL(locateAsset('mstl.js')).href) as Promise<MstlModule>,
    import(pathToFileURL(locateAsset('ets.js')).href) as Promise<EtsModule>,
    readFile(locateAsset('mstl_bg.wasm')),
    readFile(locateAsset('ets_bg.wasm')),
  ]);
  mstl.initSync({ module: mstlWasm });
  ets.initSync({ module: etsWasm });
  const create = (seasonLength: number): Fitted =>
    seasonLength > 1 ? mstl.MSTL.ets([seasonLength]) : new ets.AutoETS(1, 'ZZN');
  return {
    describe: (seasonLength) => (seasonLength > 1 ? `mstl(${seasonLength})+auto_ets` : 'auto_ets'),
    forecast(values, seasonLength, horizon, levels): ModelForecast {
      const model = create(seasonLength);
      try {
        model.fit(Float64Array.from(values));
        const predictions = levels.map((level) => ({ level, prediction: model.predict(horizon, level) }));
        return {
          point: predictions[0]?.prediction.point ?? model.predict(horizon).point,
          intervals: predictions.map(({ level, prediction }) => {
            if (!prediction.intervals) throw new Error(`augurs gave no ${level * 100} % interval`);
            return { level, lower: prediction.intervals.lower, upper: prediction.intervals.upper };
          }),
        };
      } finally {
        model.free();
      }
    },
  };
}

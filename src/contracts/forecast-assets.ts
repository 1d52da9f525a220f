// The files of the forecasting model (augurs: two JavaScript modules and their WebAssembly), which
// the compute function carries beside its bundle (lib/constructs/computation.ts), outside it, and
// the forecasting adapter loads on its first forecast.
export const FORECAST_ASSET_FILES = ['mstl.js', 'mstl_bg.wasm', 'ets.js', 'ets_bg.wasm'] as const;

/**
 * The compute function's forecasting code, bundled on its own beside the function's bundle (file) from
 * its entry (path from the repository root) and imported on the first forecast.
 */
export const FORECASTER_BUNDLE = {
  file: 'forecasting.mjs',
  entry: 'src/runtime/augurs-forecaster.ts',
} as const;

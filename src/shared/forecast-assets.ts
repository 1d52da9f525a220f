// The WebAssembly files of the forecasting model, which the compute function's bundle carries beside
// it (lib/constructs/computation.ts) and the forecasting adapter reads on its first forecast.
export const FORECAST_WASM_FILES = ['mstl_bg.wasm', 'ets_bg.wasm'] as const;

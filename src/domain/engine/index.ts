// Domain: the calculation engine's public API.

export { evaluateStatus, KPI_STATUSES, type KpiStatus } from '../evaluation/status';
export type { AggregationKind } from './aggregators';
export type { SkipReason } from './compile';
export { ExactSum } from './exact-sum';
export type { FinalizeOptions, KpiComputation } from './finalize';
export { MAX_PERIODS } from './finalize';
export {
  accumulateTogether,
  type CompiledKpi,
  compileKpi,
  type InputRange,
  type KpiAccumulator,
  type KpiAccumulators,
} from './kpi';
export { nearestRank, QuantileState, SKETCH_RELATIVE_ACCURACY } from './quantiles';
export { type KpiPartialState, PARTIAL_STATE_FORMAT } from './state';
export { isoTime, periodEnd, periodStart, periodsBetween, shiftPeriod } from './time';
export { type KpiValue, kpiValueSchema } from './value';

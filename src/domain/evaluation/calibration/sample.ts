// Domain (evaluate): what a calibration method reads: the KPI's usable values over the lookback,
// each with its season, and the thresholds it returns.
import type { Target } from '../../definition/schema';
import { nearestRank } from '../../engine/quantiles';

/** The usable values of the lookback, oldest first, with the season of each (`all` without seasonality). */
export interface CalibrationSample {
  readonly values: readonly number[];
  readonly seasons: readonly string[];
}

export type Thresholds = Target['thresholds'];

/** A method's answer: the thresholds, and the reference it measured from (for the evidence). */
export interface MethodResult {
  readonly thresholds: Thresholds;
  /** The value the thresholds are measured from: the median, or the most adverse season's median. */
  readonly center: number;
  /** The robust standard deviation used (control limits); null for quantiles. */
  readonly scale: number | null;
}

/**
 * A calibration method: a pure function of the sample, the current target (its direction) and
 * the method's parameters, named after its file and collected in the registry (index.ts).
 */
export type CalibrationRule<M> = (sample: CalibrationSample, target: Target, method: M) => MethodResult;

/** The nearest-rank quantile of `values` at `q` (0-1): the ⌈q·n⌉-th smallest, at least the first. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[nearestRank(q * 100, sorted.length) - 1] as number;
}

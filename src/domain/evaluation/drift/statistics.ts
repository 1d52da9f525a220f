// Domain (evaluate): robust location and scale of a KPI's own history, the basis of drift detection.

/** Scales the MAD to the standard deviation of a normal distribution (1 / Φ⁻¹(3/4)). */
export const MAD_TO_SIGMA = 1.482_602_218_505_602;
/** Scales the mean absolute deviation to the standard deviation of a normal distribution (√(π/2)). */
export const MEAN_AD_TO_SIGMA = 1.253_314_137_315_500_3;

/** The median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The median absolute deviation from the median; NaN when empty. */
export function medianAbsoluteDeviation(values: readonly number[], center = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/** Robust location and scale of a baseline. */
export interface RobustBaseline {
  /** The median of the baseline. */
  readonly center: number;
  /**
   * A robust estimate of the standard deviation: 1.4826 × MAD, or 1.2533 × the mean absolute
   * deviation when more than half the baseline sits on the median (MAD = 0), never below `minScale`.
   */
  readonly scale: number;
  /** How many values the baseline holds. */
  readonly size: number;
}

/**
 * Robust location and scale of `values`.
 * @param minScale floor of the scale, for KPIs that sit on one value for long stretches. @default 0
 */
export function robustBaseline(values: readonly number[], minScale = 0): RobustBaseline {
  const center = median(values);
  let scale = MAD_TO_SIGMA * medianAbsoluteDeviation(values, center);
  if (scale === 0 && values.length > 0) {
    // More than half of the baseline equals the median; the mean deviation still sees the rest.
    const meanAbsoluteDeviation = values.reduce((sum, v) => sum + Math.abs(v - center), 0) / values.length;
    scale = MEAN_AD_TO_SIGMA * meanAbsoluteDeviation;
  }
  return { center, scale: Math.max(scale, minScale), size: values.length };
}

/**
 * How many robust standard deviations `value` lies from the baseline's median. A baseline without
 * spread gives 0 for a value on the median and ±Infinity for any other.
 *
 * @example robustZScore(14, robustBaseline([10, 11, 9, 10, 12])) // ≈ 2.7
 */
export function robustZScore(value: number, baseline: RobustBaseline): number {
  const deviation = value - baseline.center;
  if (baseline.scale === 0) return deviation === 0 ? 0 : Math.sign(deviation) * Number.POSITIVE_INFINITY;
  return deviation / baseline.scale;
}

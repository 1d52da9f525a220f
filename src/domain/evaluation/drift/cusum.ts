// Domain (evaluate): the one-sided CUSUM, which accumulates small, persistent deviations that no
// single period shows (a KPI sliding a little every day).

/** Parameters of the CUSUM, in robust standard deviations. */
export interface CusumParameters {
  /** Slack: deviations smaller than this are treated as noise. */
  readonly k: number;
  /** Decision interval: the sum at or above which the CUSUM alarms. */
  readonly h: number;
}

/** One standardized observation (a robust z-score) at a period. */
export interface StandardizedPoint {
  readonly periodStart: number;
  readonly z: number;
}

/** The state of one side of the CUSUM after the last point. */
export interface CusumSide {
  /** The cumulative sum, ≥ 0. */
  readonly statistic: number;
  /** Start of the period where the current excursion began; null when the sum is 0. */
  readonly runStart: number | null;
}

export interface CusumResult {
  /** Upward shifts: S⁺ₜ = max(0, S⁺ₜ₋₁ + zₜ − k). */
  readonly up: CusumSide;
  /** Downward shifts: S⁻ₜ = max(0, S⁻ₜ₋₁ − zₜ − k). */
  readonly down: CusumSide;
}

/** Runs both one-sided CUSUMs over points in time order, starting from zero. */
export function runCusum(points: readonly StandardizedPoint[], { k }: CusumParameters): CusumResult {
  let up = 0;
  let down = 0;
  let upStart: number | null = null;
  let downStart: number | null = null;
  for (const { periodStart, z } of points) {
    // A single infinite deviation would pin the sum forever; a large finite step keeps it decaying.
    const bounded = Math.max(-1e6, Math.min(1e6, z));
    const nextUp = Math.max(0, up + bounded - k);
    const nextDown = Math.max(0, down - bounded - k);
    if (nextUp === 0) upStart = null;
    else if (up === 0) upStart = periodStart;
    if (nextDown === 0) downStart = null;
    else if (down === 0) downStart = periodStart;
    up = nextUp;
    down = nextDown;
  }
  return { up: { statistic: up, runStart: upStart }, down: { statistic: down, runStart: downStart } };
}

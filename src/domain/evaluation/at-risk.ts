// Domain (evaluate): will the KPI end its horizon in red? The forecast's last step is read as a
// distribution: the point forecast is its median, and on each side of it a normal spread whose
// width the 80 % and 95 % intervals give on that side (their mean). A green or yellow value whose
// probability of red exceeds the KPI's level becomes `at_risk`.
import type { Target } from '../definition/schema';
import type { ForecastStep } from './forecast';

/** Φ⁻¹(0.9) and Φ⁻¹(0.975): half-widths of the central 80 % and 95 % intervals in standard deviations. */
export const Z80 = 1.281_551_565_544_601;
export const Z95 = 1.959_963_984_540_054;

/** The standard normal cumulative distribution (erf after Abramowitz and Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  if (z === Number.POSITIVE_INFINITY) return 1;
  if (z === Number.NEGATIVE_INFINITY) return 0;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.327_591_1 * x);
  const poly =
    t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** The spread below and above the point forecast, in the KPI's unit. */
export function spreads(step: ForecastStep): { below: number; above: number } {
  return {
    below: ((step.point - step.lower80) / Z80 + (step.point - step.lower95) / Z95) / 2,
    above: ((step.upper80 - step.point) / Z80 + (step.upper95 - step.point) / Z95) / 2,
  };
}

/** P(X < t) for the step's distribution. */
export function probabilityBelow(step: ForecastStep, t: number): number {
  const { below, above } = spreads(step);
  if (t < step.point) return below > 0 ? normalCdf((t - step.point) / below) : 0;
  if (t > step.point) return above > 0 ? normalCdf((t - step.point) / above) : 1;
  return below > 0 ? 0.5 : 0;
}

/** P(X > t) for the step's distribution. */
export function probabilityAbove(step: ForecastStep, t: number): number {
  const { below, above } = spreads(step);
  if (t > step.point) return above > 0 ? 1 - normalCdf((t - step.point) / above) : 0;
  if (t < step.point) return below > 0 ? 1 - normalCdf((t - step.point) / below) : 1;
  return above > 0 ? 0.5 : 0;
}

/**
 * The probability that the KPI is red at this step: below the yellow threshold when higher is
 * better, above it when lower is better, outside the yellow band for a band (boundaries are
 * yellow, as in the status itself).
 */
export function redProbability(target: Target, step: ForecastStep): number {
  let p: number;
  switch (target.direction) {
    case 'higher_is_better':
      p = probabilityBelow(step, target.thresholds.yellow);
      break;
    case 'lower_is_better':
      p = probabilityAbove(step, target.thresholds.yellow);
      break;
    case 'within_band':
      p = probabilityBelow(step, target.thresholds.yellow.min) + probabilityAbove(step, target.thresholds.yellow.max);
      break;
  }
  return Math.min(1, Math.max(0, p));
}

/** Whether a value of this threshold status becomes `at_risk` with this probability of red. */
export function isAtRisk(status: string, probabilityOfRed: number, level: number): boolean {
  return (status === 'green' || status === 'yellow') && probabilityOfRed > level;
}

// Domain: status of a KPI value against its target's thresholds.
import type { Target } from '../definition/schema';

/** Every status a KPI value can have. */
export const KPI_STATUSES = ['green', 'yellow', 'red', 'insufficient_data'] as const;
export type KpiStatus = (typeof KPI_STATUSES)[number];

/**
 * Status of a value: `insufficient_data` below the minimum sample or when the value could not be
 * computed (null, e.g. a division by zero; the value carries the reason); otherwise green / yellow / red
 * by the thresholds and direction, boundaries inclusive.
 */
export function evaluateStatus(
  target: Target,
  value: number | null,
  sampleSize: number,
  minimumSample: number,
): KpiStatus {
  if (sampleSize < minimumSample || value === null || Number.isNaN(value)) return 'insufficient_data';
  switch (target.direction) {
    case 'higher_is_better':
      if (value >= target.thresholds.green) return 'green';
      return value >= target.thresholds.yellow ? 'yellow' : 'red';
    case 'lower_is_better':
      if (value <= target.thresholds.green) return 'green';
      return value <= target.thresholds.yellow ? 'yellow' : 'red';
    case 'within_band': {
      const { green, yellow } = target.thresholds;
      if (value >= green.min && value <= green.max) return 'green';
      return value >= yellow.min && value <= yellow.max ? 'yellow' : 'red';
    }
  }
}

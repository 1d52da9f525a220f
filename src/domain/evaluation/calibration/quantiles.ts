// Calibration method: historical quantiles. The thresholds sit where the given shares of the
// lookback's periods would have been green, and green or yellow, on the side the direction makes
// bad; a band keeps each share centred on the median.

import { type CalibrationRule, quantile } from './sample';
import type { CalibrationSettings } from './settings';

type QuantilesMethod = Extract<CalibrationSettings['method'], { type: 'quantiles' }>;

export const quantiles: CalibrationRule<QuantilesMethod> = (sample, target, method) => {
  const q = (p: number) => quantile(sample.values, p);
  const center = q(0.5);
  switch (target.direction) {
    case 'higher_is_better':
      return { thresholds: { green: q(1 - method.green), yellow: q(1 - method.yellow) }, center, scale: null };
    case 'lower_is_better':
      return { thresholds: { green: q(method.green), yellow: q(method.yellow) }, center, scale: null };
    case 'within_band': {
      const band = (share: number) => ({ min: q((1 - share) / 2), max: q((1 + share) / 2) });
      return { thresholds: { green: band(method.green), yellow: band(method.yellow) }, center, scale: null };
    }
  }
};

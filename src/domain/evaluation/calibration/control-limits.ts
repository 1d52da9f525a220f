// Calibration method: robust control limits, median ± k robust standard deviations (1.4826 × MAD),
// on the side the direction makes bad. With seasons, the spread is that of each value around its
// season's median, and each limit is measured from the most adverse season's median: a quiet
// weekend is not red by construction, and a weekday slump still is.
import { median, robustBaseline } from '../drift/statistics';
import type { CalibrationRule } from './sample';
import type { CalibrationSettings } from './settings';

type ControlLimitsMethod = Extract<CalibrationSettings['method'], { type: 'control_limits' }>;

export const controlLimits: CalibrationRule<ControlLimitsMethod> = (sample, target, method) => {
  const bySeason = new Map<string, number[]>();
  sample.values.forEach((value, i) => {
    const season = sample.seasons[i] ?? 'all';
    bySeason.set(season, [...(bySeason.get(season) ?? []), value]);
  });
  const medians = new Map([...bySeason].map(([season, values]) => [season, median(values)]));
  const residuals = sample.values.map((value, i) => value - (medians.get(sample.seasons[i] ?? 'all') as number));
  const scale = robustBaseline(residuals).scale;
  const lowest = Math.min(...medians.values());
  const highest = Math.max(...medians.values());
  switch (target.direction) {
    case 'higher_is_better':
      return {
        thresholds: { green: lowest - method.green * scale, yellow: lowest - method.yellow * scale },
        center: lowest,
        scale,
      };
    case 'lower_is_better':
      return {
        thresholds: { green: highest + method.green * scale, yellow: highest + method.yellow * scale },
        center: highest,
        scale,
      };
    case 'within_band': {
      const band = (k: number) => ({ min: lowest - k * scale, max: highest + k * scale });
      return {
        thresholds: { green: band(method.green), yellow: band(method.yellow) },
        center: median(sample.values),
        scale,
      };
    }
  }
};

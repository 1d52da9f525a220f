// Domain (evaluate): the registry of calibration methods, by the `type` a definition names.
import type { Target } from '../../definition/schema';
import { controlLimits } from './control-limits';
import { quantiles } from './quantiles';
import type { CalibrationSample, MethodResult } from './sample';
import type { CalibrationMethod } from './settings';

export { controlLimits, quantiles };

/** Applies the method a definition names. */
export function applyCalibrationMethod(
  sample: CalibrationSample,
  target: Target,
  method: CalibrationMethod,
): MethodResult {
  switch (method.type) {
    case 'quantiles':
      return quantiles(sample, target, method);
    case 'control_limits':
      return controlLimits(sample, target, method);
  }
}

// Domain (evaluate): how a KPI's thresholds are recalibrated from its own history: on which cadence a
// proposal is made, by which method, over how many periods, and the bounds no proposal may cross
// (a regulatory floor, a contractual ceiling).
import * as z from 'zod';
import type { Grain } from '../../definition/schema';

const share = (what: string) =>
  z
    .number()
    .gt(0)
    .lt(1)
    .meta({ description: `Share of the lookback's periods that would have been ${what}, e.g. 0.6.` });

const quantilesMethod = z
  .strictObject({
    type: z.literal('quantiles'),
    green: share('green'),
    yellow: share('green or yellow'),
  })
  .refine((m) => m.green < m.yellow, { message: 'green must be a smaller share than yellow', path: ['green'] })
  .meta({
    id: 'QuantilesCalibration',
    description:
      "Historical quantiles of the KPI's own values: the thresholds sit where the given shares of the lookback would have been green, and green or yellow (the rest red), on the side the direction makes bad; a band keeps the shares centred on the median. Nearest-rank quantiles.",
  });

const controlLimitsMethod = z
  .strictObject({
    type: z.literal('control_limits'),
    green: z
      .number()
      .positive()
      .default(1)
      .meta({ description: 'Robust standard deviations to the green threshold. @default 1' }),
    yellow: z
      .number()
      .positive()
      .default(2)
      .meta({ description: 'Robust standard deviations to the yellow threshold. @default 2' }),
  })
  .refine((m) => m.green < m.yellow, { message: 'green must be fewer deviations than yellow', path: ['green'] })
  .meta({
    id: 'ControlLimitsCalibration',
    description:
      "Robust control limits: the median of the lookback ± k × 1.4826 × MAD, on the side the direction makes bad. With a seasonal baseline (drift seasonality), the MAD is taken on each value's distance from its season's median and the limit from the most adverse season's median, so no season is red by construction.",
  });

export const calibrationMethodSchema = z.discriminatedUnion('type', [quantilesMethod, controlLimitsMethod]);

export const calibrationSettingsSchema = z
  .strictObject({
    cadence: z.enum(['weekly', 'monthly']).meta({
      description:
        'How often a proposal is made (stored for review, never published by itself): weekly for experiments, monthly for production programmes.',
    }),
    method: calibrationMethodSchema,
    lookback: z.number().int().min(5).max(5000).optional().meta({
      description:
        'Periods of history the method reads, most recent first. @default minute 1440, hour 336, day 56, week 26, month 12, quarter 8',
    }),
    minPeriods: z.number().int().min(5).max(5000).default(14).meta({
      description:
        'Usable periods needed for a proposal (after leaving out provisional, insufficient and annotated ones). @default 14',
    }),
    bounds: z
      .strictObject({
        min: z.number().optional().meta({ description: 'No proposed threshold goes below this.' }),
        max: z.number().optional().meta({ description: 'No proposed threshold goes above this.' }),
      })
      .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, {
        message: 'min must not exceed max',
        path: ['min'],
      })
      .optional()
      .meta({ description: 'Limits calibration may never cross, e.g. a regulatory floor: { min: 0.95 }.' }),
  })
  .refine((c) => c.lookback === undefined || c.minPeriods <= c.lookback, {
    message: 'minPeriods cannot exceed lookback',
    path: ['minPeriods'],
  })
  .meta({
    id: 'CalibrationSettings',
    description:
      'How the thresholds are recalibrated from the KPI history: a proposal on the cadence, by a method, within bounds. `kpi calibrate --kpi ID` makes one on demand.',
  });

export type CalibrationSettings = z.output<typeof calibrationSettingsSchema>;
export type CalibrationMethod = z.output<typeof calibrationMethodSchema>;

/** Periods of history calibration reads when the definition does not say. */
export const DEFAULT_CALIBRATION_LOOKBACK: Readonly<Record<Grain, number>> = {
  minute: 1440,
  hour: 336,
  day: 56,
  week: 26,
  month: 12,
  quarter: 8,
  year: 5,
  // One period only: there is no history to calibrate from.
  all_time: 0,
};

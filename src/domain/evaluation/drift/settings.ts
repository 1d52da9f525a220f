// Domain (evaluate): how drift is detected for one KPI. Every field has a default, so a definition
// may say nothing and still get sound drift detection.
import * as z from 'zod';

export const driftSettingsSchema = z
  .object({
    /** Turn drift detection off for this KPI. @default true */
    enabled: z.boolean().default(true),
    /** Which earlier periods are comparable; see {@link Seasonality}. @default 'auto' */
    seasonality: z.enum(['auto', 'none', 'day_of_week', 'hour_of_day', 'hour_of_week']).default('auto'),
    /** How many comparable periods (most recent first) form the baseline. @default 8 */
    baselinePeriods: z.number().int().min(3).max(500).default(8),
    /** Comparable periods needed before drift detection speaks at all. @default 5 */
    minHistory: z.number().int().min(3).max(500).default(5),
    /**
     * Robust z-score (median/MAD) at or beyond which one period is an anomaly. 3.5 is the
     * Iglewicz–Hoaglin recommendation for the modified z-score. @default 3.5
     */
    zThreshold: z.number().positive().default(3.5),
    /** Which sudden moves count: both ways, or only the adverse one (by the KPI's direction). @default 'both' */
    spikeSides: z.enum(['both', 'adverse']).default('both'),
    /** Floor of the baseline's robust scale, in the KPI's unit, for KPIs that rarely move. @default 0 */
    minScale: z.number().nonnegative().default(0),
    cusum: z
      .object({
        /** Turn the slow-drift detector off. @default true */
        enabled: z.boolean().default(true),
        /** Slack in robust standard deviations. @default 0.5 */
        k: z.number().nonnegative().default(0.5),
        /** Decision interval in robust standard deviations. @default 8 */
        h: z.number().positive().default(8),
        /** How many recent periods the CUSUM accumulates over. @default 14 */
        window: z.number().int().min(2).max(1000).default(14),
      })
      .strict()
      .default({ enabled: true, k: 0.5, h: 8, window: 14 }),
  })
  .strict()
  .refine((s) => s.minHistory <= s.baselinePeriods, {
    message: 'minHistory cannot exceed baselinePeriods',
    path: ['minHistory'],
  });

export type DriftSettings = z.infer<typeof driftSettingsSchema>;
export type DriftSettingsInput = z.input<typeof driftSettingsSchema>;

/** The settings a definition gets when it says nothing about drift. */
export const DEFAULT_DRIFT_SETTINGS: DriftSettings = driftSettingsSchema.parse({});

// Domain (evaluate): a calibration proposal for one KPI: new thresholds from its own history by the
// definition's method, kept within its bounds, with the evidence a reviewer needs (the
// distribution of the lookback, the method, how often each status would have fired under the
// current and the proposed thresholds). Pure: the caller reads the history and the annotations.
import * as z from 'zod';
import type { KpiDefinition, Target } from '../../definition/schema';
import type { ValueStatus } from '../../values/kpi-value';
import { type Annotation, annotationAppliesTo, overlaps } from '../drift/annotations';
import { type DriftGrain, resolveSeasonality, seasonKey } from '../drift/seasonality';
import { median, medianAbsoluteDeviation } from '../drift/statistics';
import { evaluateStatus } from '../status';
import { applyCalibrationMethod } from './index';
import { quantile, type Thresholds } from './sample';
import { type CalibrationSettings, calibrationMethodSchema, DEFAULT_CALIBRATION_LOOKBACK } from './settings';

/** One period of the KPI's overall series, as stored. */
export interface CalibrationPoint {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly value: number | null;
  readonly status: ValueStatus;
  readonly provisional: boolean;
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const band = z.object({ min: finite, max: finite }).strict();
export const thresholdsSchema = z.union([
  z.object({ green: finite, yellow: finite }).strict(),
  z.object({ green: band, yellow: band }).strict(),
]);
const statusCounts = z.object({ green: z.number().int(), yellow: z.number().int(), red: z.number().int() }).strict();

/** What a reviewer sees of a proposal, stored with it. */
export const calibrationEvidenceSchema = z
  .object({
    method: calibrationMethodSchema,
    /** The periods read: how many, and the first and last period starts. */
    lookback: z.object({ periods: z.number().int().positive(), from: z.string(), to: z.string() }).strict(),
    /** Periods the method used, and those left out, by why. */
    used: z.number().int().nonnegative(),
    excluded: z
      .object({
        provisional: z.number().int().nonnegative(),
        insufficient: z.number().int().nonnegative(),
        annotated: z.number().int().nonnegative(),
      })
      .strict(),
    /** The distribution of the values used (nearest-rank quantiles; MAD unscaled). */
    distribution: z
      .object({
        min: finite,
        p10: finite,
        p25: finite,
        median: finite,
        p75: finite,
        p90: finite,
        max: finite,
        mad: finite,
      })
      .strict(),
    /** `none`, `day_of_week`, …: the seasons control limits were measured in. */
    seasonality: z.string(),
    /** The value the thresholds are measured from, and the robust standard deviation (control limits). */
    center: finite,
    scale: finite.nullable(),
    current: thresholdsSchema,
    proposed: thresholdsSchema,
    /** Thresholds the bounds moved, in words. */
    bounded: z.array(z.string()),
    /** How often each status would have fired over the periods used. */
    statusCounts: z.object({ current: statusCounts, proposed: statusCounts }).strict(),
  })
  .strict();
export type CalibrationEvidence = z.infer<typeof calibrationEvidenceSchema>;

export type CalibrationOutcome =
  | { readonly kind: 'proposal'; readonly target: Target; readonly evidence: CalibrationEvidence }
  | { readonly kind: 'insufficient_history'; readonly usable: number; readonly needed: number };

/** Periods of history calibration reads for a definition. */
export function calibrationLookback(definition: Pick<KpiDefinition, 'grain' | 'calibration'>): number {
  return definition.calibration?.lookback ?? DEFAULT_CALIBRATION_LOOKBACK[definition.grain];
}

/**
 * Proposes thresholds for `definition` from `points` (its overall series over the lookback, any
 * order). Provisional periods, periods without a value or below the minimum sample, and periods
 * inside an annotation that suppresses alerts or leaves its window out of baselines are left out.
 */
export function proposeCalibration(
  definition: Pick<KpiDefinition, 'id' | 'grain' | 'target' | 'drift'> & { calibration: CalibrationSettings },
  points: readonly CalibrationPoint[],
  annotations: readonly Annotation[],
): CalibrationOutcome {
  const settings = definition.calibration;
  const ordered = [...points].sort((a, b) => (a.periodStart < b.periodStart ? -1 : 1));
  const excluding = annotations.filter(
    (a) => annotationAppliesTo(a, definition.id) && (a.effect === 'suppress' || a.excludeFromBaseline),
  );
  const excluded = { provisional: 0, insufficient: 0, annotated: 0 };
  const used: CalibrationPoint[] = [];
  for (const point of ordered) {
    if (point.provisional) excluded.provisional += 1;
    else if (point.value === null || point.status === 'insufficient_data' || point.status === 'not_computable')
      excluded.insufficient += 1;
    else if (excluding.some((a) => overlaps(a, Date.parse(point.periodStart), Date.parse(point.periodEnd))))
      excluded.annotated += 1;
    else used.push(point);
  }
  if (used.length < settings.minPeriods) {
    return { kind: 'insufficient_history', usable: used.length, needed: settings.minPeriods };
  }
  const values = used.map((p) => p.value as number);
  const grain = (definition.grain === 'quarter' ? 'month' : definition.grain) as DriftGrain;
  const seasonality =
    settings.method.type === 'control_limits' ? resolveSeasonality(definition.drift.seasonality, grain) : 'none';
  const seasons = used.map((p) => seasonKey(Date.parse(p.periodStart), seasonality));
  const result = applyCalibrationMethod({ values, seasons }, definition.target, settings.method);
  const { thresholds, bounded } = withinBounds(rounded(result.thresholds), settings.bounds);
  const target = { ...definition.target, thresholds } as Target;
  return {
    kind: 'proposal',
    target,
    evidence: {
      method: settings.method,
      lookback: { periods: ordered.length, from: ordered[0]?.periodStart ?? '', to: ordered.at(-1)?.periodStart ?? '' },
      used: used.length,
      excluded,
      distribution: {
        min: quantile(values, 0),
        p10: quantile(values, 0.1),
        p25: quantile(values, 0.25),
        median: median(values),
        p75: quantile(values, 0.75),
        p90: quantile(values, 0.9),
        max: Math.max(...values),
        mad: medianAbsoluteDeviation(values),
      },
      seasonality,
      center: result.center,
      scale: result.scale,
      current: definition.target.thresholds,
      proposed: thresholds,
      bounded,
      statusCounts: { current: countStatuses(definition.target, values), proposed: countStatuses(target, values) },
    },
  };
}

/** How many of `values` each status would have been under `target` (sample sizes aside). */
export function countStatuses(
  target: Target,
  values: readonly number[],
): { green: number; yellow: number; red: number } {
  const counts = { green: 0, yellow: 0, red: 0 };
  for (const value of values) {
    const status = evaluateStatus(target, value, 1, 0);
    if (status === 'green' || status === 'yellow' || status === 'red') counts[status] += 1;
  }
  return counts;
}

/** Four significant digits: what a person writes in a definition file. */
function round(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(4));
}

function rounded(thresholds: Thresholds): Thresholds {
  if (typeof thresholds.green === 'number' && typeof thresholds.yellow === 'number') {
    return { green: round(thresholds.green), yellow: round(thresholds.yellow) };
  }
  const { green, yellow } = thresholds as { green: { min: number; max: number }; yellow: { min: number; max: number } };
  return {
    green: { min: round(green.min), max: round(green.max) },
    yellow: { min: round(yellow.min), max: round(yellow.max) },
  };
}

/** Clamps every threshold into the bounds; says which moved. Clamping keeps their order. */
function withinBounds(
  thresholds: Thresholds,
  bounds: CalibrationSettings['bounds'],
): { thresholds: Thresholds; bounded: string[] } {
  const bounded: string[] = [];
  const clamp = (name: string, n: number) => {
    if (bounds?.min !== undefined && n < bounds.min) {
      bounded.push(`${name} ${n} raised to the bound ${bounds.min}`);
      return bounds.min;
    }
    if (bounds?.max !== undefined && n > bounds.max) {
      bounded.push(`${name} ${n} lowered to the bound ${bounds.max}`);
      return bounds.max;
    }
    return n;
  };
  if (typeof thresholds.green === 'number' && typeof thresholds.yellow === 'number') {
    return {
      thresholds: { green: clamp('green', thresholds.green), yellow: clamp('yellow', thresholds.yellow) },
      bounded,
    };
  }
  const { green, yellow } = thresholds as { green: { min: number; max: number }; yellow: { min: number; max: number } };
  return {
    thresholds: {
      green: { min: clamp('green min', green.min), max: clamp('green max', green.max) },
      yellow: { min: clamp('yellow min', yellow.min), max: clamp('yellow max', yellow.max) },
    },
    bounded,
  };
}

// Domain (evaluate): drift of one KPI value against the KPI's own history. A robust z-score over a
// seasonal baseline catches sudden moves; a one-sided CUSUM catches slow ones; annotations suppress
// or explain what they cover. Pure: the caller supplies history, settings and annotations.
import { type Annotation, annotationAppliesTo, overlaps } from './annotations';
import { type CusumResult, runCusum, type StandardizedPoint } from './cusum';
import { type DriftGrain, resolveSeasonality, type Seasonality, seasonKey } from './seasonality';
import type { DriftSettings } from './settings';
import { median, type RobustBaseline, robustBaseline, robustZScore } from './statistics';

/** One value of the KPI's series (one KPI, one dimension combination, one grain). */
export interface DriftPoint {
  /** Period start, epoch milliseconds. */
  readonly periodStart: number;
  /** Period end (exclusive), epoch milliseconds. */
  readonly periodEnd: number;
  /** The value; null when it could not be computed (such periods are skipped). */
  readonly value: number | null;
}

/** Which moves are bad news for this KPI: `down` when higher is better, `up` when lower is better. */
export type AdverseDirection = 'up' | 'down' | 'both';

export interface DriftInput {
  readonly kpiId: string;
  readonly grain: DriftGrain;
  /** The period being evaluated. */
  readonly current: DriftPoint;
  /** Earlier values of the same series, in any order; later ones are ignored. */
  readonly history: readonly DriftPoint[];
  readonly settings: DriftSettings;
  readonly adverse: AdverseDirection;
  /** Exclusion windows and annotations; those for other KPIs are ignored. */
  readonly annotations?: readonly Annotation[];
}

export type DriftSignal =
  | {
      readonly method: 'robust_z';
      readonly direction: 'up' | 'down';
      /** Robust z-score of the value, capped at ±1,000,000 when the baseline has no spread. */
      readonly score: number;
      readonly threshold: number;
    }
  | {
      readonly method: 'cusum';
      readonly direction: 'up' | 'down';
      readonly statistic: number;
      readonly threshold: number;
      /** Start of the first period of the excursion. */
      readonly since: number;
    };

export type DriftVerdict =
  /** Drift detection is turned off for the KPI. */
  | 'disabled'
  /** The value is null; there is nothing to compare. */
  | 'no_value'
  /** Fewer comparable periods than `minHistory`: no opinion yet. */
  | 'insufficient_history'
  | 'normal'
  | 'drift'
  /** A drift signal inside a `suppress` window: reported, but not a violation. */
  | 'suppressed';

/** The annotation fields an assessment carries. */
export interface AnnotationReference {
  readonly id: string;
  readonly label: string;
  readonly effect: Annotation['effect'];
}

export interface DriftAssessment {
  readonly verdict: DriftVerdict;
  readonly signals: readonly DriftSignal[];
  /** The resolved seasonality and the current period's season, e.g. `day_of_week` / `dow=1`. */
  readonly seasonality: Exclude<Seasonality, 'auto'>;
  readonly season: string;
  /** The baseline the current value was compared with; null when there was none. */
  readonly baseline: (RobustBaseline & { readonly from: number; readonly to: number }) | null;
  /** The robust z-score of the current value (capped at ±1,000,000); null without a baseline. */
  readonly zScore: number | null;
  /** The CUSUM sums after the current period; null when too little history precedes the window. */
  readonly cusum: { readonly up: number; readonly down: number; readonly points: number } | null;
  /** `explain` annotations overlapping the current period (a spike) or the CUSUM's window (a slow drift). */
  readonly explainedBy: readonly AnnotationReference[];
  /** `suppress` annotations overlapping the current period. */
  readonly suppressedBy: readonly AnnotationReference[];
  /** One sentence for people. */
  readonly message: string;
}

const SCORE_CAP = 1_000_000;

/**
 * Assesses the current value of a series for drift.
 *
 * - Baseline: the `baselinePeriods` most recent earlier values in the same season, skipping null
 *   values and periods inside annotations that exclude them. Below `minHistory`, no opinion.
 * - Spike: |robust z| ≥ `zThreshold` (both ways, or only the adverse way with `spikeSides: adverse`).
 * - Slow drift: a one-sided CUSUM on the adverse side(s) over the last `cusum.window` periods, each
 *   standardized against its own season's baseline taken from before the window and clipped to
 *   ±`zThreshold`, so that one spike (which the z-score reports) cannot hold the sum up.
 */
export function assessDrift(input: DriftInput): DriftAssessment {
  const { settings, current } = input;
  const seasonality = resolveSeasonality(settings.seasonality as Seasonality, input.grain);
  const season = seasonKey(current.periodStart, seasonality);
  const annotations = (input.annotations ?? []).filter((a) => annotationAppliesTo(a, input.kpiId));
  const empty = { seasonality, season, signals: [], baseline: null, zScore: null, cusum: null };
  const noAnnotations = { explainedBy: [], suppressedBy: [] };

  if (!settings.enabled) return { ...empty, ...noAnnotations, verdict: 'disabled', message: 'drift detection is off' };
  if (current.value === null || !Number.isFinite(current.value)) {
    return { ...empty, ...noAnnotations, verdict: 'no_value', message: 'no value to assess' };
  }
  const currentValue = current.value;
  const usable = usableHistory(input.history, current, annotations);
  const reference = seasonalModel(usable, current.periodStart, seasonality, settings);
  const baseline = reference.baseline(season);
  if (!baseline) {
    const seen = reference.count(season);
    return {
      ...empty,
      ...noAnnotations,
      verdict: 'insufficient_history',
      message: `${seen} comparable ${plural(seen, 'period')} of the ${settings.minHistory} needed`,
    };
  }
  const zScore = capped(robustZScore(currentValue, baseline));
  const cusum = settings.cusum.enabled ? slowDrift(input, usable, seasonality, currentValue) : null;
  const signals = driftSignals(input, zScore, cusum?.result ?? null);
  const base = {
    seasonality,
    season,
    signals,
    baseline: { ...baseline, from: reference.from(season), to: current.periodStart },
    zScore,
    cusum: cusum ? { up: cusum.result.up.statistic, down: cusum.result.down.statistic, points: cusum.points } : null,
  };
  if (signals.length === 0) {
    return {
      ...base,
      ...noAnnotations,
      verdict: 'normal',
      message: `within ${fmt(Math.abs(zScore))} robust SD of ${describeBaseline(baseline.size, seasonality, season)}`,
    };
  }
  const described = describeSignals(signals, currentValue, baseline, seasonality, season);
  return { ...base, ...annotatedVerdict(current, signals, annotations, cusum?.windowStart ?? null, described) };
}

/** Earlier values with a finite value, outside annotations that exclude them from baselines, oldest first. */
function usableHistory(
  history: readonly DriftPoint[],
  current: DriftPoint,
  annotations: readonly Annotation[],
): UsablePoint[] {
  return history
    .filter(
      (p): p is UsablePoint => p.periodStart < current.periodStart && p.value !== null && Number.isFinite(p.value),
    )
    .filter((p) => !annotations.some((a) => a.excludeFromBaseline && overlaps(a, p.periodStart, p.periodEnd)))
    .sort((a, b) => a.periodStart - b.periodStart);
}

/** The spike (robust z) and slow-drift (CUSUM) signals that fire on the sides that count. */
function driftSignals(input: DriftInput, zScore: number, cusum: CusumResult | null): DriftSignal[] {
  const { settings } = input;
  const signals: DriftSignal[] = [];
  const zDirection = zScore >= 0 ? 'up' : 'down';
  const zSideCounts = settings.spikeSides === 'both' || isAdverse(zDirection, input.adverse);
  if (Math.abs(zScore) >= settings.zThreshold && zSideCounts) {
    signals.push({ method: 'robust_z', direction: zDirection, score: zScore, threshold: settings.zThreshold });
  }
  for (const direction of ['up', 'down'] as const) {
    const side = cusum?.[direction];
    if (side && isAdverse(direction, input.adverse) && side.statistic >= settings.cusum.h && side.runStart !== null) {
      signals.push({
        method: 'cusum',
        direction,
        statistic: side.statistic,
        threshold: settings.cusum.h,
        since: side.runStart,
      });
    }
  }
  return signals;
}

/**
 * The verdict on signals that fired: suppressed by a `suppress` annotation over the current period,
 * else a drift, explained by the `explain` annotations over it.
 */
function annotatedVerdict(
  current: DriftPoint,
  signals: readonly DriftSignal[],
  annotations: readonly Annotation[],
  cusumWindowStart: number | null,
  described: string,
): Pick<DriftAssessment, 'verdict' | 'message' | 'explainedBy' | 'suppressedBy'> {
  const suppressedBy = annotations
    .filter((a) => a.effect === 'suppress' && overlaps(a, current.periodStart, current.periodEnd))
    .map(reference_);
  // A spike is explained by what overlaps its period; a slow drift by what overlaps the window the
  // CUSUM accumulated over, since a release often precedes the excursion it causes.
  const explanationStart = signals.some((s) => s.method === 'cusum')
    ? (cusumWindowStart ?? current.periodStart)
    : current.periodStart;
  const explainedBy = annotations
    .filter((a) => a.effect === 'explain' && overlaps(a, explanationStart, current.periodEnd))
    .map(reference_);
  if (suppressedBy.length > 0) {
    const by = suppressedBy.map((a) => a.label).join(', ');
    return { explainedBy, suppressedBy, verdict: 'suppressed', message: `${described} (suppressed by ${by})` };
  }
  const by = explainedBy.map((a) => a.label).join(', ');
  const message = explainedBy.length > 0 ? `${described} (explained by ${by})` : described;
  return { explainedBy, suppressedBy, verdict: 'drift', message };
}

function slowDrift(
  input: DriftInput,
  usable: readonly UsablePoint[],
  seasonality: Exclude<Seasonality, 'auto'>,
  currentValue: number,
): { result: CusumResult; points: number; windowStart: number } | null {
  const { settings, current } = input;
  const window = [...usable.slice(-(settings.cusum.window - 1)), { ...current, value: currentValue }];
  const windowStart = (window[0] as DriftPoint).periodStart;
  // Every point of the window is judged against history from before the window, so that a slide
  // inside the window cannot drag its own reference along.
  const reference = seasonalModel(usable, windowStart, seasonality, settings);
  const standardized: StandardizedPoint[] = [];
  for (const point of window) {
    const baseline = reference.baseline(seasonKey(point.periodStart, seasonality));
    if (!baseline) continue;
    const z = robustZScore(point.value, baseline);
    standardized.push({ periodStart: point.periodStart, z: clamp(z, settings.zThreshold) });
  }
  const last = standardized.at(-1);
  if (!last || last.periodStart !== current.periodStart) return null;
  return { result: runCusum(standardized, settings.cusum), points: standardized.length, windowStart };
}

type UsablePoint = DriftPoint & { readonly value: number };

interface SeasonalModel {
  /** The baseline of a season, or null when it has fewer than `minHistory` periods. */
  baseline(season: string): RobustBaseline | null;
  /** How many periods of the season the model holds. */
  count(season: string): number;
  /** Start of the season's oldest period in the model. */
  from(season: string): number;
}

/**
 * Location per season, scale pooled over seasons. The median of a season's last `baselinePeriods`
 * values is its location. Its scale comes from the residuals of every season around its own median,
 * pooled: a MAD over 8 values alone swings so widely that one in twenty normal values would look
 * like a 3.5-sigma anomaly, while the pooled residuals of a week of seasons are stable. When every
 * season sits above zero the residuals are taken relative to the season's level, so a quieter
 * weekend keeps a proportionally smaller scale.
 */
function seasonalModel(
  usable: readonly UsablePoint[],
  before: number,
  seasonality: Exclude<Seasonality, 'auto'>,
  settings: DriftSettings,
): SeasonalModel {
  const bySeason = new Map<string, UsablePoint[]>();
  for (const point of usable) {
    if (point.periodStart >= before) continue;
    const key = seasonKey(point.periodStart, seasonality);
    const list = bySeason.get(key) ?? [];
    list.push(point);
    bySeason.set(key, list);
  }
  const seasons = new Map<string, { points: UsablePoint[]; center: number }>();
  for (const [key, points] of bySeason) {
    const kept = points.slice(-settings.baselinePeriods);
    seasons.set(key, { points: kept, center: median(kept.map((p) => p.value)) });
  }
  const eligible = [...seasons.values()].filter((s) => s.points.length >= settings.minHistory);
  const relative = eligible.length > 0 && eligible.every((s) => s.center > 0);
  const residuals = eligible.flatMap((s) =>
    s.points.map((p) => (relative ? (p.value - s.center) / s.center : p.value - s.center)),
  );
  // The residuals come from the values their medians were fitted on, so they run smaller than the
  // error of a new value; scale them up by the finite-sample factors of both effects.
  const perSeason = eligible.length > 0 ? residuals.length / eligible.length : 1;
  const correction = Math.sqrt((1 + Math.PI / (2 * perSeason)) * (perSeason / Math.max(1, perSeason - 1)));
  const pooledScale = residuals.length > 0 ? robustBaseline(residuals).scale * correction : 0;
  return {
    baseline(season) {
      const s = seasons.get(season);
      if (!s || s.points.length < settings.minHistory) return null;
      const scale = relative ? pooledScale * s.center : pooledScale;
      return { center: s.center, scale: Math.max(scale, settings.minScale), size: s.points.length };
    },
    count: (season) => seasons.get(season)?.points.length ?? 0,
    from: (season) => seasons.get(season)?.points[0]?.periodStart ?? before,
  };
}

function isAdverse(direction: 'up' | 'down', adverse: AdverseDirection): boolean {
  return adverse === 'both' || adverse === direction;
}

function clamp(z: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, z));
}

function capped(z: number): number {
  return Math.max(-SCORE_CAP, Math.min(SCORE_CAP, z));
}

function reference_(a: Annotation): AnnotationReference {
  return { id: a.id, label: a.label, effect: a.effect };
}

const WEEKDAYS = ['Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays'];

function describeBaseline(size: number, seasonality: Exclude<Seasonality, 'auto'>, season: string): string {
  const n = Number(season.split('=')[1]);
  switch (seasonality) {
    case 'day_of_week':
      return `the median of ${size} earlier ${WEEKDAYS[n]}`;
    case 'hour_of_day':
      return `the median of ${size} earlier ${String(n).padStart(2, '0')}:00 periods`;
    case 'hour_of_week':
      return `the median of ${size} earlier ${WEEKDAYS[Math.floor(n / 24)]} at ${String(n % 24).padStart(2, '0')}:00`;
    case 'none':
      return `the median of the ${size} preceding periods`;
  }
}

function describeSignals(
  signals: readonly DriftSignal[],
  value: number,
  baseline: RobustBaseline,
  seasonality: Exclude<Seasonality, 'auto'>,
  season: string,
): string {
  return signals
    .map((s) =>
      s.method === 'robust_z'
        ? `${fmt(value)} is ${Math.abs(s.score) >= SCORE_CAP ? 'far' : `${fmt(Math.abs(s.score))} robust SD`} ${
            s.direction === 'up' ? 'above' : 'below'
          } ${fmt(baseline.center)}, ${describeBaseline(baseline.size, seasonality, season)}`
        : `sustained drift ${s.direction} since ${new Date(s.since).toISOString()} (CUSUM ${fmt(s.statistic)} ≥ ${fmt(s.threshold)})`,
    )
    .join('; ');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) >= 100 ? 1 : 2);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

// Domain (evaluate): forecasts of a KPI series with calibrated prediction intervals. The model itself
// (MSTL with an AutoETS trend, from a time-series library) is passed in; this decides how much
// history it sees and with which seasonality, keeps one-off spikes from being learnt as a level,
// and calibrates the intervals on the series' own recent past (split conformal on rolling
// origins), so that an 80 % band holds about 80 % of what follows. Pure: the model is
// deterministic and every input is an argument.
import { median, robustBaseline } from './drift/statistics';

/** Point forecasts and one prediction interval per requested level, as the model gives them. */
export interface ModelForecast {
  readonly point: readonly number[];
  readonly intervals: readonly {
    readonly level: number;
    readonly lower: readonly number[];
    readonly upper: readonly number[];
  }[];
}

/** A forecasting model, seen from the domain: fit, then predict. Must be deterministic. */
export interface ForecastModel {
  /**
   * Fits `values` (oldest first, no gaps) and predicts `horizon` steps with a prediction interval
   * for each of `levels` (0-1). `seasonLength` 1 means no seasonality.
   */
  forecast(values: readonly number[], seasonLength: number, horizon: number, levels: readonly number[]): ModelForecast;
  /** The model's name as recorded with each forecast, e.g. `mstl(7)+auto_ets`. */
  describe(seasonLength: number): string;
}

/** The interval levels every forecast carries. */
export const FORECAST_LEVELS = [0.8, 0.95] as const;
/** Fewest points a model without seasonality is fitted on. */
export const MIN_POINTS = 8;
/** A seasonality is used only with at least this many full seasons of history. */
export const MIN_SEASONS = 3;
/** Rolling origins the intervals are calibrated on, at most. */
export const CALIBRATION_ORIGINS = 4;
/** Robust standard deviations from its season's median beyond which a value is an outlier. */
export const OUTLIER_Z = 5;
/** Longest run of outliers replaced; a longer one is a change of level the model must see. */
export const MAX_OUTLIER_RUN = 3;

/** One forecast step: the point forecast and its 80 % and 95 % prediction intervals. */
export interface ForecastStep {
  readonly point: number;
  readonly lower80: number;
  readonly upper80: number;
  readonly lower95: number;
  readonly upper95: number;
}

export interface SeriesForecast {
  readonly model: string;
  /** The seasonality used, in periods; 1 for none. */
  readonly seasonLength: number;
  /** How many points the model was fitted on. */
  readonly trainedOn: number;
  /**
   * How the intervals were calibrated: on how many rolling origins, and by which factor each
   * level's half-widths were scaled (1 and 0 origins: as the model gave them).
   */
  readonly calibration: { readonly origins: number; readonly factor80: number; readonly factor95: number };
  readonly steps: readonly ForecastStep[];
}

/** How much history a forecast uses and with which seasonality; null when there is too little. */
export interface ForecastPlan {
  readonly seasonLength: number;
  /** Points the final model is fitted on (the most recent ones). */
  readonly trainOn: number;
  /** Fewest points any fit (final or calibration) may have. */
  readonly minFit: number;
  readonly origins: number;
}

/**
 * The plan for `available` points. A seasonality needs {@link MIN_SEASONS} full seasons (the
 * library fits it on two at least); without one, {@link MIN_POINTS} points. History beyond sixteen
 * seasons (or 112 points) adds fitting time, not accuracy. Calibration takes as many rolling
 * origins, one horizon apart, as leave a fit of `minFit` points before them.
 */
export function forecastPlan(available: number, seasonLength: number, horizon: number): ForecastPlan | null {
  const seasonal = seasonLength > 1 && available >= MIN_SEASONS * seasonLength;
  const season = seasonal ? seasonLength : 1;
  const minFit = seasonal ? 2 * season : MIN_POINTS;
  if (available < minFit) return null;
  const trainOn = Math.min(available, historyCap(season));
  const origins = Math.max(0, Math.min(CALIBRATION_ORIGINS, Math.floor((trainOn - minFit) / horizon)));
  return { seasonLength: season, trainOn, minFit, origins };
}

/** Most points a model with this seasonality is fitted on. */
export function historyCap(seasonLength: number): number {
  return seasonLength > 1 ? Math.max(4 * seasonLength, Math.min(16 * seasonLength, 400)) : 112;
}

/**
 * Forecasts `horizon` steps after the last of `values` (oldest first, consecutive periods, no
 * gaps). Returns null when the history is too short for any model.
 */
export function forecastSeries(
  model: ForecastModel,
  values: readonly number[],
  options: { readonly seasonLength: number; readonly horizon: number },
): SeriesForecast | null {
  const plan = forecastPlan(values.length, options.seasonLength, options.horizon);
  if (!plan) return null;
  const train = withoutSpikes(values.slice(values.length - plan.trainOn), plan.seasonLength);
  const factors = calibrationFactors(model, train, plan, options.horizon);
  const raw = model.forecast(train, plan.seasonLength, options.horizon, FORECAST_LEVELS);
  return {
    model: model.describe(plan.seasonLength),
    seasonLength: plan.seasonLength,
    trainedOn: train.length,
    calibration: { origins: plan.origins, factor80: factors[0], factor95: factors[1] },
    steps: raw.point.map((point, i) => calibratedStep(raw, i, point, factors)),
  };
}

/**
 * Split conformal calibration: forecast from each of `plan.origins` earlier origins, express each
 * error as a multiple of the interval's half-width on its side, and take the level's conformal
 * quantile of those multiples as the factor the final half-widths are scaled by.
 */
function calibrationFactors(
  model: ForecastModel,
  train: readonly number[],
  plan: ForecastPlan,
  horizon: number,
): [number, number] {
  if (plan.origins === 0) return [1, 1];
  const ratios: [number[], number[]] = [[], []];
  for (let k = 1; k <= plan.origins; k += 1) {
    const cut = train.length - k * horizon;
    const fitted = model.forecast(train.slice(0, cut), plan.seasonLength, horizon, FORECAST_LEVELS);
    fitted.point.forEach((point, i) => {
      const actual = train[cut + i] as number;
      FORECAST_LEVELS.forEach((level, l) => {
        const { lower, upper } = intervalAt(fitted, level);
        ratios[l]?.push(errorRatio(actual, point, lower[i] as number, upper[i] as number));
      });
    });
  }
  return [conformalQuantile(ratios[0], FORECAST_LEVELS[0]), conformalQuantile(ratios[1], FORECAST_LEVELS[1])];
}

/**
 * The series with its one-off spikes replaced by their season's median: runs of at most
 * {@link MAX_OUTLIER_RUN} values more than {@link OUTLIER_Z} robust standard deviations from their
 * season's median (the spread pooled over seasons). A run of two or more that reaches the last
 * value is kept: it may be a new level, which is what a forecast must follow; a lone last value is
 * a spike until the next period confirms it.
 */
export function withoutSpikes(values: readonly number[], seasonLength: number): number[] {
  const seasonOf = (i: number) => (values.length - 1 - i) % seasonLength;
  const medians = Array.from({ length: seasonLength }, (_, s) => median(values.filter((_, i) => seasonOf(i) === s)));
  const residuals = values.map((v, i) => v - (medians[seasonOf(i)] as number));
  const { center, scale } = robustBaseline(residuals);
  const outlier = residuals.map((r) => scale > 0 && Math.abs(r - center) > OUTLIER_Z * scale);
  const cleaned = [...values];
  for (let i = 0; i < values.length; ) {
    if (!outlier[i]) {
      i += 1;
      continue;
    }
    let end = i;
    while (end < values.length && outlier[end]) end += 1;
    const run = end - i;
    if (run <= MAX_OUTLIER_RUN && (end < values.length || run === 1)) {
      for (let j = i; j < end; j += 1) cleaned[j] = medians[seasonOf(j)] as number;
    }
    i = end;
  }
  return cleaned;
}

/** |actual − point| as a multiple of the interval's half-width on the side the actual fell. */
export function errorRatio(actual: number, point: number, lower: number, upper: number): number {
  const halfWidth = actual >= point ? upper - point : point - lower;
  return Math.abs(actual - point) / Math.max(halfWidth, floorOf(point));
}

/**
 * The split-conformal quantile of `scores` at `level`: the ⌈(n + 1)·level⌉-th smallest, the last
 * one when that rank is past the end.
 */
export function conformalQuantile(scores: readonly number[], level: number): number {
  if (scores.length === 0) return 1;
  const sorted = [...scores].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.ceil((sorted.length + 1) * level));
  return sorted[rank - 1] as number;
}

function calibratedStep(raw: ModelForecast, i: number, point: number, factors: [number, number]): ForecastStep {
  const scaled = (level: number, factor: number) => {
    const { lower, upper } = intervalAt(raw, level);
    const floor = floorOf(point);
    return {
      lower: point - Math.max(point - (lower[i] as number), floor) * factor,
      upper: point + Math.max((upper[i] as number) - point, floor) * factor,
    };
  };
  const i80 = scaled(FORECAST_LEVELS[0], factors[0]);
  const i95 = scaled(FORECAST_LEVELS[1], factors[1]);
  // Calibrated apart, the two bands could cross; the 95 % one always holds the 80 % one.
  return {
    point,
    lower80: Math.min(i80.lower, point),
    upper80: Math.max(i80.upper, point),
    lower95: Math.min(i95.lower, i80.lower, point),
    upper95: Math.max(i95.upper, i80.upper, point),
  };
}

function intervalAt(forecast: ModelForecast, level: number) {
  const interval = forecast.intervals.find((x) => Math.abs(x.level - level) < 1e-9);
  if (!interval) throw new Error(`the model gave no ${level * 100} % interval`);
  return interval;
}

/** A half-width never taken as zero: a flat history must not make every later error infinite. */
function floorOf(point: number): number {
  return 1e-9 * Math.max(1, Math.abs(point));
}

// Domain (evaluate): which earlier periods are comparable with a given one.

/** Grains a KPI value can have. */
export type DriftGrain = 'minute' | 'hour' | 'day' | 'week' | 'month';

/**
 * How a KPI's history repeats: `day_of_week` compares a Monday with earlier Mondays, `hour_of_day`
 * 09:00 with earlier 09:00s, `hour_of_week` Monday 09:00 with earlier Monday 09:00s; `none` compares
 * with the immediately preceding periods. `auto` picks from the grain.
 */
export type Seasonality = 'auto' | 'none' | 'day_of_week' | 'hour_of_day' | 'hour_of_week';

/** The seasonality `auto` stands for at each grain. */
export function resolveSeasonality(seasonality: Seasonality, grain: DriftGrain): Exclude<Seasonality, 'auto'> {
  if (seasonality !== 'auto') return seasonality;
  switch (grain) {
    case 'day':
      return 'day_of_week';
    case 'hour':
      return 'hour_of_day';
    default:
      return 'none';
  }
}

/** The season a period falls in (UTC), e.g. `dow=1` for a Monday; `all` without seasonality. */
export function seasonKey(periodStart: number, seasonality: Exclude<Seasonality, 'auto'>): string {
  const date = new Date(periodStart);
  switch (seasonality) {
    case 'day_of_week':
      return `dow=${date.getUTCDay()}`;
    case 'hour_of_day':
      return `hod=${date.getUTCHours()}`;
    case 'hour_of_week':
      return `how=${date.getUTCDay() * 24 + date.getUTCHours()}`;
    case 'none':
      return 'all';
  }
}

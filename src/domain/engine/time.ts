// Domain: time grains. UTC, half-open periods [start, end); ISO weeks start on Monday; `all_time`
// is a single period that holds every record.
import type { Grain } from '../definition/schema';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/**
 * The one period of the `all_time` grain, as stored and reported: 1970-01-01T00:00:00.000Z up to
 * 9999-12-31T23:59:59.999Z (the last instant with a four-digit year, so every key stays ISO 8601).
 * Every record belongs to it, including any dated before 1970.
 */
export const ALL_TIME_START = 0;
export const ALL_TIME_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Start (epoch ms, UTC) of the period of `grain` that contains `time`. */
export function periodStart(grain: Grain, time: number): number {
  switch (grain) {
    case 'minute':
      return Math.floor(time / MINUTE) * MINUTE;
    case 'hour':
      return Math.floor(time / HOUR) * HOUR;
    case 'day':
      return Math.floor(time / DAY) * DAY;
    case 'week': {
      // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
      const day = Math.floor(time / DAY);
      return (day - ((((day + 3) % 7) + 7) % 7)) * DAY;
    }
    case 'month': {
      const date = new Date(time);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
    case 'quarter': {
      const date = new Date(time);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - (date.getUTCMonth() % 3), 1);
    }
    case 'year':
      return Date.UTC(new Date(time).getUTCFullYear(), 0, 1);
    case 'all_time':
      return ALL_TIME_START;
  }
}

/**
 * Start of the period `steps` periods after the one starting at `start` (negative: before). The
 * `all_time` period has nothing before it (its own start) and ends at {@link ALL_TIME_END}.
 */
export function shiftPeriod(grain: Grain, start: number, steps: number): number {
  switch (grain) {
    case 'minute':
      return start + steps * MINUTE;
    case 'hour':
      return start + steps * HOUR;
    case 'day':
      return start + steps * DAY;
    case 'week':
      return start + steps * WEEK;
    case 'month':
    case 'quarter':
    case 'year': {
      const date = new Date(start);
      const months = grain === 'month' ? steps : grain === 'quarter' ? 3 * steps : 12 * steps;
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
    }
    case 'all_time':
      return steps > 0 ? ALL_TIME_END : ALL_TIME_START;
  }
}

/** End (exclusive) of the period starting at `start`. */
export function periodEnd(grain: Grain, start: number): number {
  return shiftPeriod(grain, start, 1);
}

/** Starts of the periods of `grain` from the one containing `from` up to (excluding) the first starting at or after `to`. */
export function periodsBetween(grain: Grain, from: number, to: number): number[] {
  if (grain === 'all_time') return from < ALL_TIME_END && to > ALL_TIME_START ? [ALL_TIME_START] : [];
  const starts: number[] = [];
  for (let start = periodStart(grain, from); start < to; start = periodEnd(grain, start)) starts.push(start);
  return starts;
}

/** ISO-8601 text of an epoch-ms instant, UTC, with milliseconds: `2026-01-05T00:00:00.000Z`. */
export function isoTime(time: number): string {
  return new Date(time).toISOString();
}

/**
 * Finds the period of a time quickly when successive times fall in the same period (the usual case
 * when records arrive in time order): remembers the last period seen.
 */
export class PeriodLocator {
  private start = Number.POSITIVE_INFINITY;
  private end = Number.NEGATIVE_INFINITY;
  constructor(private readonly grain: Grain) {}
  /** Start of the period containing `time`. */
  locate(time: number): number {
    if (time >= this.start && time < this.end) return this.start;
    this.start = periodStart(this.grain, time);
    this.end = periodEnd(this.grain, this.start);
    return this.start;
  }
}

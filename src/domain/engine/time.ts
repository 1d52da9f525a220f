// Domain: time grains. UTC, half-open periods [start, end); ISO weeks start on Monday.
import type { Grain } from '../definition/schema';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

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
  }
}

/** Start of the period `steps` periods after the one starting at `start` (negative: before). */
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
    case 'quarter': {
      const date = new Date(start);
      const months = grain === 'month' ? steps : 3 * steps;
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
    }
  }
}

/** End (exclusive) of the period starting at `start`. */
export function periodEnd(grain: Grain, start: number): number {
  return shiftPeriod(grain, start, 1);
}

/** Starts of the periods of `grain` from the one containing `from` up to (excluding) the first starting at or after `to`. */
export function periodsBetween(grain: Grain, from: number, to: number): number[] {
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

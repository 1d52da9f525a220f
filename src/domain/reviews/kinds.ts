// Domain (review): the kinds of review and the periods they cover. A weekly operational review looks
// at the ISO week that just ended, a monthly business review at the calendar month; both in UTC, like
// every KPI period, whatever time zone the reviewers' schedule fires in.
import * as z from 'zod';
import type { KpiCategory } from '../definition/schema';
import { periodEnd, periodStart, shiftPeriod } from '../engine/time';

/** The review kinds; src/contracts/review-layout.ts names the same for the CDK app (a test keeps them equal). */
export const REVIEW_KINDS = ['weekly-operational', 'monthly-business'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];
export const reviewKindSchema = z.enum(REVIEW_KINDS);

export interface ReviewKindSpec {
  /** For people: `Weekly operational review`. */
  readonly title: string;
  /** The length of the period a pack covers. */
  readonly grain: 'week' | 'month';
  /** The KPI categories the pack's scorecard and charts show. */
  readonly categories: readonly KpiCategory[];
  /** Periods of the review's own grain the charts show before the reviewed one. */
  readonly trendPeriods: number;
}

export const REVIEW_KIND_SPECS: Readonly<Record<ReviewKind, ReviewKindSpec>> = {
  'weekly-operational': {
    title: 'Weekly operational review',
    grain: 'week',
    categories: ['operational_health', 'data_quality', 'reliability', 'governance'],
    trendPeriods: 5,
  },
  'monthly-business': {
    title: 'Monthly business review',
    grain: 'month',
    // Business impact, with the governance KPIs as the governance summary.
    categories: ['business_impact', 'governance'],
    trendPeriods: 2,
  },
};

/** A reviewed period: `2026-W47` (ISO week) or `2026-11` (month), `[start, end)` in epoch ms, UTC. */
export interface ReviewPeriod {
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

const WEEK_LABEL = /^(\d{4})-W(\d{2})$/;
const MONTH_LABEL = /^(\d{4})-(\d{2})$/;
const DAY = 86_400_000;

/** The ISO-8601 week label of the week starting on Monday `start`: the year of its Thursday. */
function weekLabel(start: number): string {
  const thursday = start + 3 * DAY;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function monthLabel(start: number): string {
  const date = new Date(start);
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

function periodStartingAt(kind: ReviewKind, start: number): ReviewPeriod {
  const { grain } = REVIEW_KIND_SPECS[kind];
  return { label: grain === 'week' ? weekLabel(start) : monthLabel(start), start, end: periodEnd(grain, start) };
}

/** The last complete period of the kind at `at`: the week or month that ended at or before it. */
export function reviewPeriodBefore(kind: ReviewKind, at: number): ReviewPeriod {
  const { grain } = REVIEW_KIND_SPECS[kind];
  return periodStartingAt(kind, shiftPeriod(grain, periodStart(grain, at), -1));
}

/** The period before `period`. */
export function previousReviewPeriod(kind: ReviewKind, period: ReviewPeriod): ReviewPeriod {
  return periodStartingAt(kind, shiftPeriod(REVIEW_KIND_SPECS[kind].grain, period.start, -1));
}

/**
 * The period a label names, or null when the label is not one of the kind's (`2026-W47` for weekly
 * reviews, `2026-11` for monthly ones) or names no such week.
 */
export function reviewPeriodOf(kind: ReviewKind, label: string): ReviewPeriod | null {
  if (REVIEW_KIND_SPECS[kind].grain === 'week') {
    const match = WEEK_LABEL.exec(label);
    if (!match) return null;
    const year = Number(match[1]);
    const week = Number(match[2]);
    // Week 1 is the week that holds January 4th.
    const firstMonday = periodStart('week', Date.UTC(year, 0, 4));
    const period = periodStartingAt(kind, firstMonday + (week - 1) * 7 * DAY);
    return week >= 1 && period.label === label ? period : null;
  }
  const match = MONTH_LABEL.exec(label);
  if (!match) return null;
  const month = Number(match[2]);
  if (month < 1 || month > 12) return null;
  return periodStartingAt(kind, Date.UTC(Number(match[1]), month - 1, 1));
}

/** `weekly-operational/2026-W47`: a pack's id in records, links and keys. */
export function reviewIdOf(kind: ReviewKind, label: string): string {
  return `${kind}/${label}`;
}

/** The kind and period label of a review id, or null. */
export function parseReviewId(reviewId: string): { kind: ReviewKind; label: string } | null {
  const [kind, label, ...rest] = reviewId.split('/');
  const parsed = reviewKindSchema.safeParse(kind);
  if (!parsed.success || !label || rest.length > 0 || !reviewPeriodOf(parsed.data, label)) return null;
  return { kind: parsed.data, label };
}

// Domain (compute): how far a value's inputs can be trusted, from 0 to 1. It falls with the share
// of rows that were quarantined, and with staleness: input whose newest event lags the end of the
// period (or now, for an open period) by more than the allowance.
import type { InputSummary } from './kpi-value';

export interface ConfidenceInput {
  readonly inputs: readonly Pick<InputSummary, 'rows' | 'quarantined' | 'newestEventAt'>[];
  /** Period bounds and the computation time, epoch milliseconds. */
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly computedAt: number;
  /** Lag of the newest event that is still fresh. @default one hour */
  readonly freshnessAllowanceMs?: number;
}

/**
 * `(1 − quarantined share) × freshness`, rounded to 4 decimals; freshness is 1 within the
 * allowance and falls linearly to 0 over one period length beyond it. Null when no input says
 * anything about rows or event times (nothing to judge by).
 *
 * @example confidence of 1000 rows with 50 quarantined, fresh: 0.95
 */
export function inputConfidence(input: ConfidenceInput): number | null {
  const counted = input.inputs.filter((i) => i.rows !== null && i.quarantined !== null);
  const timed = input.inputs.filter((i) => i.newestEventAt !== null);
  if (counted.length === 0 && timed.length === 0) return null;

  const rows = counted.reduce((sum, i) => sum + (i.rows ?? 0), 0);
  const quarantined = counted.reduce((sum, i) => sum + (i.quarantined ?? 0), 0);
  const quality = rows + quarantined === 0 ? 1 : rows / (rows + quarantined);

  let freshness = 1;
  if (timed.length > 0) {
    const newest = Math.max(...timed.map((i) => Date.parse(i.newestEventAt as string)));
    const reference = Math.min(input.periodEnd, input.computedAt);
    const allowance = input.freshnessAllowanceMs ?? 3_600_000;
    const periodLength = Math.max(1, input.periodEnd - input.periodStart);
    const excess = Math.max(0, reference - newest - allowance);
    freshness = Math.max(0, 1 - excess / periodLength);
  }
  return Math.round(quality * freshness * 10_000) / 10_000;
}

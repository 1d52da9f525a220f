// Contract: what the compute function takes and returns. The schedules (lib/constructs/computation.ts),
// the backfill state machine and the CLI send these events; the CLI and the state machine read the
// summary.
import * as z from 'zod';

const name = z.string().min(1);
const instant = z.iso.datetime();

/** A scheduled refresh of one KPI, or a computation of a range (a backfill chunk). */
export const computeEventSchema = z.union([
  z.object({ kpiId: name, scheduledTime: instant }).strict(),
  z
    .object({
      kpiId: name,
      from: instant,
      to: instant,
      /** The instant values are computed as of; a backfill passes its own, so reruns agree. */
      asOf: instant,
      force: z.boolean().default(false),
    })
    .strict(),
]);

export type ComputeEvent = z.input<typeof computeEventSchema>;

/** What the function returns: counts only, small enough for a state machine's payload. */
export interface ComputeSummary {
  readonly kpiId: string;
  /** `computed`, or `inactive` when the KPI is not published or is retired. */
  readonly outcome: 'computed' | 'inactive';
  readonly version: number;
  readonly periods: { readonly inRange: number; readonly finalized: number };
  readonly partitions: { readonly read: number; readonly aggregated: number; readonly reused: number };
  readonly values: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly restatements: number;
  readonly violations: number;
  /** A scheduled refresh: the older periods it recomputed for late data, and what that restated. */
  readonly late: { readonly periods: number; readonly restatements: number };
}

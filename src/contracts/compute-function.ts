// Contract: what the compute function takes and returns. The schedules (lib/constructs/computation.ts),
// the backfill state machine and the CLI send these events; the CLI and the state machine read the
// summary.
import * as z from 'zod';

const name = z.string().min(1);
const instant = z.iso.datetime();

/** Part `index` of `of` of a fanned-out computation. */
export const partItemSchema = z
  .object({ index: z.number().int().nonnegative(), of: z.number().int().positive() })
  .strict()
  .refine((part) => part.index < part.of, { message: 'index must be below of' });

/**
 * A scheduled refresh of one KPI, or a computation of a range (a backfill chunk); or a step of a
 * computation fanned out over raw partitions (the backfill state machine): its plan, one of its
 * parts, then the refresh or the chunks with `takeParts`, which finalize from the parts' states.
 */
export const computeEventSchema = z.union([
  z
    .object({
      kpiId: name,
      scheduledTime: instant,
      /** Finalize from the states the parts of a fan-out kept (never hands the refresh on again). */
      takeParts: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kpiId: name,
      from: instant,
      to: instant,
      /** The instant values are computed as of; a backfill passes its own, so reruns agree. */
      asOf: instant,
      force: z.boolean().default(false),
      /** Take the states the parts of a fan-out kept before reading the raw store. */
      takeParts: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kpiId: name,
      from: instant,
      to: instant,
      /** Counts the range's stale partitions and writes the item list of its parts under this name. */
      planParts: z.object({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/) }).strict(),
    })
    .strict(),
  z.object({ kpiId: name, from: instant, to: instant, part: partItemSchema }).strict(),
]);

export type ComputeEvent = z.input<typeof computeEventSchema>;

/** What a plan returns: the state machine maps over `items` when `fannedOut`. */
export interface PartPlanSummary {
  readonly kpiId: string;
  readonly stale: number;
  readonly parts: number;
  readonly fannedOut: boolean;
  readonly items?: { readonly bucket: string; readonly key: string };
}

/** What a part returns. */
export interface PartSummary {
  readonly kpiId: string;
  readonly part: { readonly index: number; readonly of: number };
  readonly partitions: { readonly assigned: number; readonly aggregated: number; readonly kept: number };
}

/** What the function returns: counts only, small enough for a state machine's payload. */
export interface ComputeSummary {
  readonly kpiId: string;
  /**
   * `computed`; `inactive` when the KPI is not published or is retired; `handed-off` when a
   * refresh found more new data than one invocation should read and started the fan-out.
   */
  readonly outcome: 'computed' | 'inactive' | 'handed-off';
  readonly version: number;
  readonly periods: { readonly inRange: number; readonly finalized: number };
  readonly partitions: { readonly read: number; readonly aggregated: number; readonly reused: number };
  readonly values: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly restatements: number;
  readonly violations: number;
  /** A scheduled refresh: the older periods it recomputed for late data, and what that restated. */
  readonly late: { readonly periods: number; readonly restatements: number };
}

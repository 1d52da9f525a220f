// Domain: a computed KPI value, as `kpi compute` prints it and the compute service stores it.
import * as z from 'zod';
import { GRAINS } from '../definition/schema';
import { KPI_STATUSES } from '../evaluation/status';

const dimensionValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One KPI value: one KPI, one period, one group (or the overall row, with no dimensions). */
export const kpiValueSchema = z.strictObject({
  kpiId: z.string(),
  /** Definition version; 0 for an unpublished local definition. */
  version: z.number().int().min(0),
  /** ISO-8601 UTC, inclusive. */
  periodStart: z.iso.datetime(),
  /** ISO-8601 UTC, exclusive. */
  periodEnd: z.iso.datetime(),
  grain: z.enum(GRAINS),
  /** Dimension name → value; `{}` is the overall row; a null value is the group of records missing it. */
  dimensions: z.record(z.string(), dimensionValue),
  value: z.number().nullable(),
  status: z.enum(KPI_STATUSES),
  /** Records (or entities) behind the value; see the calculation type for which. */
  sampleSize: z.number().int().min(0),
  /** Why the value is null (or why the status is insufficient_data), else null. */
  reason: z.string().nullable(),
  /** The period is still open, or a conversion window reaching beyond it has not closed yet. */
  provisional: z.boolean(),
  /** Inputs of the value: numerator and denominator, current and previous, treatment and control... */
  components: z.record(z.string(), z.number().nullable()),
});

export type KpiValue = z.infer<typeof kpiValueSchema>;

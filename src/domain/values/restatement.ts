// Domain (compute): a restatement is a final value that changed after it was stored. Provisional
// values are expected to move until their period closes; a final one moving is news for everyone
// who already read it (dashboards, snapshots, approvals), so it is recorded with both versions.
import * as z from 'zod';
import { GRAINS, type KpiValue, kpiValueSchema, VALUE_STATUSES } from './kpi-value';

const restatedSideSchema = z
  .object({
    value: z.number().nullable(),
    status: z.enum(VALUE_STATUSES),
    definitionVersion: z.number().int().nonnegative(),
    computedAt: z.string(),
  })
  .strict();
export type RestatedSide = z.infer<typeof restatedSideSchema>;

export const restatementSchema = z
  .object({
    kpiId: z.string(),
    grain: z.enum(GRAINS),
    periodStart: z.string(),
    dimensions: kpiValueSchema.shape.dimensions,
    /** The revision of the value the restatement created. */
    revision: z.number().int().positive(),
    /**
     * `definition_change`: the definition version or content changed; `input_change`: the input
     * partitions changed (late or corrected data); `code_change`: same definition and inputs, new code.
     */
    cause: z.enum(['definition_change', 'input_change', 'code_change']),
    /**
     * For an input change: the ingestion batches (manifest keys) the new value reads and the old one
     * did not, and those it no longer reads (superseded by a corrected export). Capped like lineage.
     */
    batches: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }).optional(),
    previous: restatedSideSchema,
    current: restatedSideSchema,
    /** When it was restated: the new value's computedAt. */
    restatedAt: z.string(),
  })
  .strict();
export type Restatement = z.infer<typeof restatementSchema>;
export type RestatementCause = Restatement['cause'];

/** A value as stored: its revision, the fingerprint of its content and every restatement it went through. */
export interface StoredKpiValue extends KpiValue {
  /** 1 when first written, +1 each time its content changed. */
  readonly revision: number;
  /** See valueFingerprint. */
  readonly fingerprint: string;
  /** Oldest first. */
  readonly restatements: readonly Restatement[];
}

/** The restatement `next` makes of `previous`, or null when it is none. */
export function restatementOf(previous: StoredKpiValue | null, next: KpiValue, revision: number): Restatement | null {
  if (!previous || previous.provisional) return null;
  // A forecast moving a value to or from at_risk re-evaluates it; the value itself did not change.
  if (previous.value === next.value && thresholdStatus(previous) === thresholdStatus(next)) return null;
  const side = (v: KpiValue): RestatedSide => ({
    value: v.value,
    status: v.status,
    definitionVersion: v.lineage.definition.version,
    computedAt: v.lineage.computedAt,
  });
  const cause = causeOf(previous, next);
  return {
    kpiId: next.kpiId,
    grain: next.grain,
    periodStart: next.periodStart,
    dimensions: next.dimensions,
    revision,
    cause,
    ...(cause === 'input_change' ? { batches: batchChanges(previous, next) } : {}),
    previous: side(previous),
    current: side(next),
    restatedAt: next.lineage.computedAt,
  };
}

/** The status by the thresholds alone, under any forecast. */
function thresholdStatus(value: KpiValue): string {
  return value.forecast?.baseStatus ?? value.status;
}

/** Which batches the new value reads that the old one did not, and the other way round. */
function batchChanges(previous: KpiValue, next: KpiValue): { added: string[]; removed: string[] } {
  const of = (value: KpiValue) => new Set(value.lineage.inputs.flatMap((input) => input.manifests));
  const before = of(previous);
  const after = of(next);
  return {
    added: [...after].filter((key) => !before.has(key)).sort(),
    removed: [...before].filter((key) => !after.has(key)).sort(),
  };
}

function causeOf(previous: KpiValue, next: KpiValue): RestatementCause {
  const a = previous.lineage;
  const b = next.lineage;
  if (a.definition.version !== b.definition.version || a.definition.hash !== b.definition.hash) {
    return 'definition_change';
  }
  const inputs = (l: typeof a) =>
    l.inputs
      .map((i) => `${i.dataset}:${i.digest}`)
      .sort()
      .join('|');
  if (inputs(a) !== inputs(b)) return 'input_change';
  return 'code_change';
}

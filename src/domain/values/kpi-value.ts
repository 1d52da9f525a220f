// Domain (compute): one KPI value as stored, with the lineage that makes it traceable and
// reproducible: which definition version computed it from which input partitions, with which code,
// when, whether it may still change, and how much its inputs can be trusted.
import { z } from 'zod';

export const GRAINS = ['minute', 'hour', 'day', 'week', 'month', 'quarter'] as const;
export type ValueGrain = (typeof GRAINS)[number];

export const VALUE_STATUSES = ['green', 'yellow', 'red', 'insufficient_data', 'not_computable'] as const;
export type ValueStatus = (typeof VALUE_STATUSES)[number];

const utcInstant = z.iso.datetime({ offset: false });
const dimensionValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One raw partition a value was computed from: its objects, summarized by their ETags. */
export const inputPartitionSchema = z
  .object({
    dataset: z.string().min(1),
    /** `date=YYYY-MM-DD/hour=HH`. */
    partition: z.string().min(1),
    /** How many raw objects (batches) the partition held. */
    objects: z.number().int().nonnegative(),
    /** SHA-256 over the sorted `key:etag` pairs of those objects: changes when any batch does. */
    etag: z.string().min(1),
    /** Batch manifests of the partition (keys in the raw bucket). */
    manifests: z.array(z.string()).default([]),
    /** Rows the batches held, and rows quarantined from them (from the manifests). */
    rows: z.number().int().nonnegative().nullable().default(null),
    quarantined: z.number().int().nonnegative().nullable().default(null),
    /** Newest event time in the partition (from the manifests). */
    newestEventAt: utcInstant.nullable().default(null),
  })
  .strict();
export type InputPartition = z.infer<typeof inputPartitionSchema>;

export const lineageSchema = z
  .object({
    definition: z.object({ id: z.string(), version: z.number().int().nonnegative(), hash: z.string() }).strict(),
    inputs: z.array(inputPartitionSchema),
    /** The code that computed the value (package version and commit). */
    codeVersion: z.string().min(1),
    computedAt: utcInstant,
  })
  .strict();
export type Lineage = z.infer<typeof lineageSchema>;

/** What the drift detector said about a value, as stored with it. */
export const driftSummarySchema = z
  .object({
    verdict: z.enum(['disabled', 'no_value', 'insufficient_history', 'normal', 'drift', 'suppressed']),
    signals: z.array(
      z
        .object({
          method: z.enum(['robust_z', 'cusum']),
          direction: z.enum(['up', 'down']),
          score: z.number(),
          threshold: z.number(),
        })
        .strict(),
    ),
    baseline: z.number().nullable(),
    message: z.string(),
    annotations: z.array(z.string()).default([]),
  })
  .strict();
export type DriftSummary = z.infer<typeof driftSummarySchema>;

export const kpiValueSchema = z
  .object({
    kpiId: z.string().min(1),
    grain: z.enum(GRAINS),
    periodStart: utcInstant,
    periodEnd: utcInstant,
    /** Group-by values; `{}` is the overall row; a missing value is null, its own group. */
    dimensions: z.record(z.string(), dimensionValue),
    value: z.number().refine(Number.isFinite, 'must be finite').nullable(),
    status: z.enum(VALUE_STATUSES),
    /** Why the value is null or insufficient, for people. */
    reason: z.string().nullable().default(null),
    sampleSize: z.number().int().nonnegative().nullable(),
    /** True while the period can still change (open period, conversion window not closed). */
    provisional: z.boolean(),
    /** 0–1: how far the inputs can be trusted (quarantine share, freshness); null when unknown. */
    confidence: z.number().min(0).max(1).nullable(),
    drift: driftSummarySchema.nullable().default(null),
    lineage: lineageSchema,
  })
  .strict();

export type KpiValue = z.infer<typeof kpiValueSchema>;
export type KpiValueInput = z.input<typeof kpiValueSchema>;

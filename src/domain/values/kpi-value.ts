// Domain (compute): one KPI value as stored, with the lineage that makes it traceable and
// reproducible: which definition version computed it from which input partitions, with which code,
// when, whether it may still change, and how much its inputs can be trusted.
import * as z from 'zod';

import { GRAINS, THRESHOLD_STATUSES, VALUE_STATUSES } from './value-statuses';

export { GRAINS, THRESHOLD_STATUSES, VALUE_STATUSES, type ValueGrain, type ValueStatus } from './value-statuses';

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

/**
 * The partitions of one dataset a value was computed from, summarized so that a value's item stays
 * small however long its period: the full per-partition list is archived under `inputsRef` and its
 * SHA-256 is `digest`, so the summary still pins down exactly which objects were read.
 */
export const inputSummarySchema = z
  .object({
    dataset: z.string().min(1),
    /** Raw hour partitions read, and the first and last of them (`date=YYYY-MM-DD/hour=HH`). */
    partitions: z.number().int().nonnegative(),
    first: z.string().nullable(),
    last: z.string().nullable(),
    /** Raw objects (batches) in those partitions. */
    objects: z.number().int().nonnegative(),
    /** SHA-256 over the sorted `partition:etag` pairs: changes when any batch of any partition does. */
    digest: z.string().min(1),
    /** Batch manifests behind the partitions (keys in the raw bucket), at most MAX_LINEAGE_MANIFESTS. */
    manifests: z.array(z.string()).default([]),
    /** How many distinct manifests there are in all (more than listed when capped). */
    manifestCount: z.number().int().nonnegative().default(0),
    /** Rows the batches held and rows quarantined from them; null when some partition did not say. */
    rows: z.number().int().nonnegative().nullable().default(null),
    quarantined: z.number().int().nonnegative().nullable().default(null),
    /** Newest event time over the partitions. */
    newestEventAt: utcInstant.nullable().default(null),
  })
  .strict();
export type InputSummary = z.infer<typeof inputSummarySchema>;

/** Manifest keys listed in a summary; the archived input list has them all. */
export const MAX_LINEAGE_MANIFESTS = 20;

export const lineageSchema = z
  .object({
    definition: z.object({ id: z.string(), version: z.number().int().nonnegative(), hash: z.string() }).strict(),
    /** One summary per dataset read. */
    inputs: z.array(inputSummarySchema),
    /** Where the full list of input partitions is archived (work bucket key), when it is. */
    inputsRef: z.string().nullable().default(null),
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

const finite = z.number().refine(Number.isFinite, 'must be finite');

/** The forecast a refresh made from a value: where the series is heading, and how likely red is. */
export const valueForecastSchema = z
  .object({
    /** The model, e.g. `mstl(7)+auto_ets` or `auto_ets`. */
    model: z.string().min(1),
    /** The seasonality used, in periods; 1 for none. */
    seasonLength: z.number().int().positive(),
    /** Values of the series the model was fitted on, up to and including this one. */
    trainedOn: z.number().int().positive(),
    /** Rolling origins the intervals were calibrated on, and the factor each level was scaled by. */
    calibration: z
      .object({
        origins: z.number().int().nonnegative(),
        factor80: finite.nonnegative(),
        factor95: finite.nonnegative(),
      })
      .strict(),
    /** One step per period after this one, to the end of the horizon. */
    steps: z
      .array(
        z
          .object({
            periodStart: utcInstant,
            point: finite,
            lower80: finite,
            upper80: finite,
            lower95: finite,
            upper95: finite,
          })
          .strict(),
      )
      .min(1),
    /** End (exclusive) of the last step's period. */
    horizonEnd: utcInstant,
    /** Probability that the KPI is red at the end of the horizon. */
    probabilityRed: z.number().min(0).max(1),
    /** Above this probability a green or yellow value is at_risk (the definition's setting). */
    atRiskProbability: z.number().gt(0).lt(1),
    /** The status the thresholds gave; `status` says at_risk when the forecast made it so. */
    baseStatus: z.enum(THRESHOLD_STATUSES),
  })
  .strict();
export type ValueForecast = z.infer<typeof valueForecastSchema>;

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
    /** Set by a scheduled refresh on the latest final value of each series; null otherwise. */
    forecast: valueForecastSchema.nullable().default(null),
    lineage: lineageSchema,
  })
  .strict();

export type KpiValue = z.infer<typeof kpiValueSchema>;
export type KpiValueInput = z.input<typeof kpiValueSchema>;

/**
 * Summarizes a value's input partitions per dataset, in dataset order. Deterministic: the same
 * partitions in any order give the same summaries.
 */
export function summarizeInputs(
  partitions: readonly InputPartition[],
  digest: (text: string) => string,
): InputSummary[] {
  const byDataset = new Map<string, InputPartition[]>();
  for (const p of partitions) byDataset.set(p.dataset, [...(byDataset.get(p.dataset) ?? []), p]);
  return [...byDataset.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dataset, list]) => {
      const sorted = [...list].sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
      const manifests = [...new Set(sorted.flatMap((p) => p.manifests))].sort();
      const known = sorted.every((p) => p.rows !== null && p.quarantined !== null);
      const newest =
        sorted
          .map((p) => p.newestEventAt)
          .filter((t): t is string => t !== null)
          .sort()
          .at(-1) ?? null;
      return {
        dataset,
        partitions: sorted.length,
        first: sorted[0]?.partition ?? null,
        last: sorted.at(-1)?.partition ?? null,
        objects: sorted.reduce((n, p) => n + p.objects, 0),
        digest: digest(sorted.map((p) => `${p.partition}:${p.etag}`).join('\n')),
        manifests: manifests.slice(0, MAX_LINEAGE_MANIFESTS),
        manifestCount: manifests.length,
        rows: known ? sorted.reduce((n, p) => n + (p.rows ?? 0), 0) : null,
        quarantined: known ? sorted.reduce((n, p) => n + (p.quarantined ?? 0), 0) : null,
        newestEventAt: newest,
      };
    });
}

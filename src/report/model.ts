// Report: what the HTML report shows, as one validated object. Built from the KPI values, the
// quarantine and data-quality records, the approvals and the audit trail of a run.
import * as z from 'zod';

export const statusSchema = z.enum(['green', 'yellow', 'at_risk', 'red', 'insufficient_data', 'not_computable']);
export type ReportStatus = z.infer<typeof statusSchema>;

export const categorySchema = z.enum([
  'operational_health',
  'data_quality',
  'governance',
  'reliability',
  'business_impact',
]);

const thresholdsSchema = z.object({
  direction: z.enum(['higher_is_better', 'lower_is_better', 'within_band']),
  /** For higher/lower is better: the value where yellow starts and where red starts. */
  warning: z.number().nullable(),
  critical: z.number().nullable(),
  /** For a band: the green band; yellow and red lie outside it by the margins above. */
  bandLow: z.number().nullable(),
  bandHigh: z.number().nullable(),
  target: z.number().nullable(),
});

export const lineageSchema = z.object({
  definitionVersion: z.number().int(),
  definitionHash: z.string(),
  codeVersion: z.string(),
  computedAt: z.string(),
  /** Per dataset read: the raw hour partitions, from first to last, and what their batches held. */
  inputs: z.array(
    z.object({
      dataset: z.string(),
      partitions: z.number(),
      first: z.string().nullable(),
      last: z.string().nullable(),
      rows: z.number().nullable(),
      quarantined: z.number().nullable(),
      manifests: z.number(),
      digest: z.string(),
    }),
  ),
  /** Where the full partition list is archived. */
  inputsRef: z.string().nullable(),
  confidence: z.number().min(0).max(1).nullable(),
});

export const pointSchema = z.object({
  periodStart: z.string(),
  periodEnd: z.string(),
  value: z.number().nullable(),
  status: statusSchema,
  sampleSize: z.number(),
  provisional: z.boolean().default(false),
  /** Drift verdict for this point, when the detector spoke. */
  drift: z
    .object({ method: z.string(), score: z.number(), explanation: z.string().optional() })
    .nullable()
    .default(null),
  /** Why the value is null, or an annotation (a launch, an agent release). */
  note: z.string().optional(),
  /** For a value with a forecast: the probability of red at its horizon (at_risk above its level). */
  probabilityRed: z.number().min(0).max(1).optional(),
  lineage: lineageSchema.optional(),
  /** Earlier values of this period that a restatement replaced, oldest first. */
  restatements: z
    .array(
      z.object({
        value: z.number().nullable(),
        status: statusSchema,
        definitionVersion: z.number().int(),
        /** Why it was restated, for people. */
        why: z.string(),
        restatedAt: z.string(),
      }),
    )
    .default([]),
});

/** One move of a KPI's definition (publish, rollback, retire), for the change log on its chart. */
export const definitionChangeSchema = z.object({
  at: z.string(),
  action: z.enum(['publish', 'rollback', 'retire']),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  author: z.string(),
  reason: z.string(),
  /** The semantic diff against the version in force before, one line per change. */
  diff: z.array(z.string()).default([]),
});

export const reportKpiSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: categorySchema,
  owner: z.string(),
  unit: z.string().default(''),
  grain: z.string(),
  useCase: z.string().optional(),
  levelOfDecision: z.enum(['low', 'high', 'critical']).optional(),
  thresholds: thresholdsSchema,
  /** Overall series (the row with no dimension), oldest first. */
  series: z.array(pointSchema),
  /** The definition's change log, oldest first: each change is marked on the trend chart. */
  changes: z.array(definitionChangeSchema).default([]),
  /**
   * The forecast from the latest final value: steps after it with 80 % and 95 % bands, and the
   * probability of red at the end of the horizon. Null when the KPI has none (too short a history,
   * forecasts off, or not refreshed since).
   */
  forecast: z
    .object({
      from: z.string(),
      horizonEnd: z.string(),
      model: z.string(),
      probabilityRed: z.number().min(0).max(1),
      atRiskProbability: z.number().gt(0).lt(1),
      steps: z.array(
        z.object({
          periodStart: z.string(),
          point: z.number(),
          lower80: z.number(),
          upper80: z.number(),
          lower95: z.number(),
          upper95: z.number(),
        }),
      ),
    })
    .nullable()
    .default(null),
  /** Latest period broken down by each dimension the KPI groups by: dimension name → rows. */
  breakdown: z.record(
    z.string(),
    z.array(z.object({ key: z.string(), value: z.number().nullable(), status: statusSchema, sampleSize: z.number() })),
  ),
});

export const reportModelSchema = z.object({
  title: z.string().default('Agent KPI Pipeline'),
  generatedAt: z.string(),
  run: z.object({
    description: z.string(),
    from: z.string(),
    to: z.string(),
    durationMs: z.number().optional(),
  }),
  /** Pages the report points to (a review pack, the report it belongs to). */
  links: z
    .array(
      z.object({
        label: z.string(),
        // A relative path or an http(s) URL: never a script.
        href: z.string().regex(/^(https?:\/\/|[^:]*$)/i, 'must be a relative path or an http(s) URL'),
      }),
    )
    .default([]),
  kpis: z.array(reportKpiSchema),
  dataQuality: z.array(
    z.object({
      dataset: z.string(),
      read: z.number(),
      valid: z.number(),
      quarantined: z.number(),
      byReason: z.record(z.string(), z.number()),
      newestEventAt: z.string().nullable(),
      freshnessLagMinutes: z.number().nullable(),
      /** Quarantined rows read again under a fixed declaration version (`kpi replay`), and what it restated. */
      replay: z
        .object({ version: z.number(), moved: z.number(), stillQuarantined: z.number(), restated: z.number() })
        .optional(),
      /** The freshness check's verdict at the run (datasets that declare `freshness`). */
      freshness: z
        .object({
          status: z.enum(['fresh', 'warn', 'fail', 'never_arrived']),
          lastArrivalAt: z.string().nullable(),
          silentMinutes: z.number(),
        })
        .optional(),
    }),
  ),
  approvals: z.array(
    z.object({
      approvalId: z.string(),
      kpiId: z.string(),
      subject: z.string(),
      status: z.string(),
      tier: z.string().optional(),
      requestedAt: z.string(),
      decidedAt: z.string().nullable(),
      decidedBy: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  /** Proposed definition changes (calibrations, changes awaiting approval) of the window, newest first. */
  proposals: z
    .array(
      z.object({
        kpiId: z.string(),
        id: z.string(),
        source: z.string(),
        status: z.string(),
        createdAt: z.string(),
        baseVersion: z.number().nullable(),
        current: z.string(),
        proposed: z.string(),
        evidence: z.array(z.string()),
        decidedBy: z.string().nullable(),
        publishedVersion: z.number().nullable(),
      }),
    )
    .default([]),
  audit: z.array(
    z.object({ at: z.string(), type: z.string(), actor: z.string(), subject: z.string(), detail: z.string() }),
  ),
  controls: z.array(
    z.object({ subject: z.string(), mode: z.string(), changedAt: z.string().nullable(), by: z.string().nullable() }),
  ),
});

export type ReportModel = z.infer<typeof reportModelSchema>;
export type ReportModelInput = z.input<typeof reportModelSchema>;
export type ReportKpi = z.infer<typeof reportKpiSchema>;
export type ReportDefinitionChange = z.input<typeof definitionChangeSchema>;

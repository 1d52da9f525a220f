// Domain: the violation contract between evaluate (compute stage) and the guardrail stage. Evaluate
// emits one Violation per KPI value that breaks its definition (red status, drift, data quality);
// the guardrail intake (functions/guardrail-intake.ts) takes a batch of them and applies the policy.
import * as z from 'zod';

/**
 * What was broken: the status turned red, the value drifted from its own history, the data is bad,
 * or the forecast makes red likely by the end of the KPI's horizon (`at_risk`, raised when the
 * definition's guardrail triggers on `red_status`).
 */
export const VIOLATION_KINDS = ['red_status', 'drift', 'data_quality', 'at_risk'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/**
 * The level of decision (LoD) a KPI definition's guardrail policy assigns to its violations:
 * `low` notifies the owner, `high` asks a human before acting, `critical` supervises the agent at
 * once and asks a human before autonomy comes back.
 */
export const LEVELS_OF_DECISION = ['low', 'high', 'critical'] as const;
export type LevelOfDecision = (typeof LEVELS_OF_DECISION)[number];

export const KPI_STATUSES = ['green', 'yellow', 'at_risk', 'red', 'insufficient_data'] as const;
export type KpiStatus = (typeof KPI_STATUSES)[number];

export const GRAINS = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'all_time'] as const;
export type Grain = (typeof GRAINS)[number];

export const DIRECTIONS = ['higher_is_better', 'lower_is_better', 'within_band'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** An ISO-8601 instant in UTC with a `Z`, e.g. `2026-11-20T14:00:00.000Z` (seconds and millis optional). */
const utcInstant = z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC instant ending in Z' });
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A value as the definition states it: one number, or a band `[min, max]` for `within_band`. */
export const boundarySchema = z.union([finite, z.object({ min: finite, max: finite })]);

export const violationSchema = z
  .object({
    /** Version of this contract; bump on a breaking change. */
    schemaVersion: z.literal(1).default(1),
    kind: z.enum(VIOLATION_KINDS),
    kpi: z.object({
      /** The definition id, e.g. `lead_handoff_cycle_time_p95`. */
      id: z.string().min(1).max(128),
      /** What people call it, e.g. `Lead handoff cycle time (p95)`. */
      name: z.string().min(1).max(200),
      /** The definition version the value was computed under (0: an unpublished local draft). */
      version: z.number().int().nonnegative(),
      /** Content hash of that definition version (lineage). */
      hash: z.string().min(1).max(128),
      /** The definition's display unit, e.g. `percent` (values are fractions), `minutes`, `currency`. */
      unit: z.string().max(32).optional(),
      /** ISO 4217 code for unit `currency`. */
      currency: z.string().length(3).optional(),
      /** The definition's category, e.g. `operational_health`. */
      category: z.string().max(64).optional(),
    }),
    /** The half-open period `[start, end)` of the value. */
    period: z.object({ start: utcInstant, end: utcInstant }),
    grain: z.enum(GRAINS),
    /** The dimension values of the row (`{}` for the overall row); a missing value is `null`. */
    dimensions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    /** The KPI value; `null` when it could not be computed. */
    value: finite.nullable(),
    /**
     * The definition's target as written there: the goal and the status thresholds (green, and
     * yellow beyond which it is red), each a number or a band for `within_band`.
     */
    target: z
      .object({
        direction: z.enum(DIRECTIONS),
        value: boundarySchema,
        thresholds: z.object({ green: boundarySchema, yellow: boundarySchema }),
      })
      .nullable(),
    status: z.enum(KPI_STATUSES),
    /** True while the period can still change (a conversion window not closed yet, late data expected). */
    provisional: z.boolean().default(false),
    /** Records behind the value; `null` when the calculation has no sample. */
    sampleSize: z.number().int().nonnegative().nullable(),
    /** From the definition's guardrail policy. */
    levelOfDecision: z.enum(LEVELS_OF_DECISION),
    /**
     * What the KPI governs, from the definition's guardrail (`agent`, `useCase`): the agent, or all
     * agents of the use case, whose autonomy the policy may change. Both null: the policy only notifies.
     */
    governs: z.object({
      agentId: z.string().min(1).max(128).nullable(),
      useCase: z.string().min(1).max(128).nullable(),
    }),
    /** The KPI owner from the definition; low-level violations are sent to this address. */
    owner: z.object({ name: z.string().min(1).max(200), email: z.email() }),
    /** When evaluate found the violation. */
    detectedAt: utcInstant,
    evidence: z.object({
      /** One sentence a person can act on, e.g. `p95 6.2 min is above the red threshold 5 min`. */
      summary: z.string().min(1).max(500),
      /** The last values of the same KPI and dimensions, oldest first (for the approval page). */
      trend: z
        .array(z.object({ periodStart: utcInstant, value: finite.nullable() }))
        .max(60)
        .default([]),
      /** For `drift`: which test fired and how hard. */
      drift: z
        .object({
          method: z.enum(['robust_z', 'cusum']),
          score: finite,
          threshold: finite,
          baseline: finite.nullable(),
        })
        .optional(),
      /** For `at_risk`: the forecast at the end of the horizon and the probability of red there. */
      forecast: z
        .object({
          horizonEnd: utcInstant,
          point: finite,
          lower80: finite,
          upper80: finite,
          lower95: finite,
          upper95: finite,
          probabilityRed: z.number().min(0).max(1),
          atRiskProbability: z.number().gt(0).lt(1),
          model: z.string().min(1).max(100),
        })
        .optional(),
      /** For `data_quality`: which check failed, what was seen and what was expected. */
      dataQuality: z
        .object({
          check: z.string().min(1).max(100),
          observed: finite.nullable(),
          expected: finite.nullable(),
        })
        .optional(),
    }),
  })
  .superRefine((v, ctx) => {
    if (Date.parse(v.period.start) >= Date.parse(v.period.end)) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'start must be before end' });
    }
    if (v.kind === 'drift' && !v.evidence.drift) {
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'drift'],
        message: 'a drift violation carries its drift test',
      });
    }
    if (v.kind === 'at_risk' && !v.evidence.forecast) {
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'forecast'],
        message: 'an at_risk violation carries the forecast that caused it',
      });
    }
    if (v.kind === 'data_quality' && !v.evidence.dataQuality) {
      ctx.addIssue({
        code: 'custom',
        path: ['evidence', 'dataQuality'],
        message: 'a data_quality violation names its failed check',
      });
    }
  });

/** A violation as the guardrail stage receives it (after parsing, defaults filled in). */
export type Violation = z.infer<typeof violationSchema>;
/** A violation as evaluate may write it (defaults may be left out). */
export type ViolationInput = z.input<typeof violationSchema>;

/** The batch the guardrail intake accepts. */
export const violationBatchSchema = z.object({
  violations: z.array(violationSchema).max(500),
});
export type ViolationBatch = z.infer<typeof violationBatchSchema>;

/** Dimension values in a canonical order, as `key=value` pairs joined by `,` (`*` for the overall row). */
export function canonicalDimensions(dimensions: Violation['dimensions']): string {
  const keys = Object.keys(dimensions).sort();
  if (keys.length === 0) return '*';
  return keys.map((k) => `${k}=${dimensions[k] === null ? '∅' : String(dimensions[k])}`).join(',');
}

/**
 * Identifies one violation: the same kind of breach of the same KPI, dimensions and period is the
 * same violation however often evaluate reports it (every refresh of a provisional period, say).
 */
export function violationKey(v: Pick<Violation, 'kind' | 'kpi' | 'grain' | 'period' | 'dimensions'>): string {
  return [v.kind, v.kpi.id, v.grain, v.period.start, canonicalDimensions(v.dimensions)].join('|');
}

/**
 * Identifies what one approval is about, whatever the period and the dimension row: while an
 * approval is open for this kind of breach of this KPI by this governed subject, later violations
 * (another period, another campaign of the same agent) join it instead of asking again. The
 * decision governs the agent, so one question per agent and concern is what approvers answer.
 */
export function concernKey(v: Pick<Violation, 'kind' | 'kpi' | 'governs'>): string {
  return [v.kind, v.kpi.id, v.governs.agentId ?? '-', v.governs.useCase ?? '-'].join('|');
}

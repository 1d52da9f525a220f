// Domain: the KPI definition format. One KPI per file; the JSON Schema users' editors read is generated
// from these zod schemas (`kpi schema`), so the two never disagree.
import * as z from 'zod';
import { calibrationSettingsSchema } from '../evaluation/calibration/settings';
import { driftSettingsSchema } from '../evaluation/drift/settings';
import { forecastSettingsSchema } from '../evaluation/forecast-settings';
import { DURATION_PATTERN } from './duration';
import { ExpressionSyntaxError, expressionMeasures, parseExpression } from './expression';

/** KPI categories, one per concern the pack covers. */
export const KPI_CATEGORIES = [
  'operational_health',
  'data_quality',
  'governance',
  'reliability',
  'business_impact',
] as const;

/**
 * Time grains a KPI is reported at. Periods are UTC and half-open; weeks start on Monday (ISO 8601);
 * `all_time` is one period holding every record (see `ALL_TIME_START` in engine/time.ts).
 */
export const GRAINS = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'all_time'] as const;

/** Calculation types, each documented in docs/kpi-definitions.md. */
export const CALCULATION_TYPES = [
  'aggregate',
  'ratio',
  'arithmetic',
  'duration',
  'conversion',
  'entity_duration',
  'treatment_lift',
  'change',
  'streak',
] as const;

/** Aggregation functions of a measure. */
export const AGGREGATES = ['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'percentile'] as const;

/** Statistics over a set of durations. */
export const DURATION_STATISTICS = ['avg', 'min', 'max', 'sum', 'percentile'] as const;

/** Levels of decision of a guardrail: low notifies, high asks for approval, critical supervises at once. */
export const LEVELS_OF_DECISION = ['low', 'high', 'critical'] as const;

/** Violations a guardrail can react to. */
export const GUARDRAIL_TRIGGERS = ['red_status', 'drift', 'data_quality'] as const;

/** Display units. `percent` values are fractions (0.042) shown as percentages (4.2 %). */
export const UNITS = [
  'count',
  'ratio',
  'percent',
  'currency',
  'milliseconds',
  'seconds',
  'minutes',
  'hours',
  'days',
  'score',
  'number',
] as const;

/** Cadences: named, `every_<n>_<unit>`, or EventBridge Scheduler `rate(...)` / `cron(...)` expressions. */
export const CADENCE_PATTERN =
  /^(hourly|daily|weekly|monthly|every_[1-9][0-9]*_(minute|minutes|hour|hours|day|days)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/;

/** Default number of values a percentile keeps exactly per group before it switches to a sketch. */
export const DEFAULT_EXACT_PERCENTILE_LIMIT = 10_000;

const identifier = (what: string) =>
  z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,63}$/,
      `${what} must be lower-case letters, digits and underscores, starting with a letter`,
    );

const kpiId = identifier('a KPI id').meta({ description: 'Stable id of the KPI, e.g. `ctr_lift`.' });
const datasetId = identifier('a dataset id').meta({ description: 'Id of a dataset declaration, e.g. `ad_events`.' });
const fieldName = z
  .string()
  .min(1, 'a field name cannot be empty')
  .meta({ description: 'Name of a field of the typed records (after the source mapping).' });

const durationText = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as 90s, 5m, 1h, 30d or 2w')
  .meta({ description: 'A duration: an integer and a unit among ms, s, m, h, d, w. Example: `30d`.' });

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, a number or a boolean',
});
const scalarOrList = z.union([scalar, z.array(scalar).min(1)], {
  error: 'must be a string, a number, a boolean or a non-empty list of them',
});
const comparable = z.union([z.string(), z.number()], { error: 'must be a number or a string' });

const FILTER_OPERATORS = ['eq', 'ne', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'exists'] as const;
const FILTER_COMBINATORS = ['and', 'or', 'not'] as const;

/** A record filter: one comparison on a field, or `and` / `or` / `not` of filters. */
export interface Filter {
  field?: string;
  eq?: string | number | boolean;
  ne?: string | number | boolean;
  in?: (string | number | boolean)[];
  not_in?: (string | number | boolean)[];
  lt?: string | number;
  lte?: string | number;
  gt?: string | number;
  gte?: string | number;
  exists?: boolean;
  and?: Filter[];
  or?: Filter[];
  not?: Filter;
}

export const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z
    .strictObject({
      field: fieldName.optional(),
      eq: scalar.optional().meta({ description: 'Field equals this value (same type).' }),
      ne: scalar.optional().meta({ description: 'Field differs from this value (a missing field differs).' }),
      in: z.array(scalar).min(1).optional().meta({ description: 'Field equals one of these values.' }),
      not_in: z.array(scalar).min(1).optional().meta({ description: 'Field equals none of these values.' }),
      lt: comparable.optional().meta({ description: 'Field is less than this value.' }),
      lte: comparable.optional().meta({ description: 'Field is less than or equal to this value.' }),
      gt: comparable.optional().meta({ description: 'Field is greater than this value.' }),
      gte: comparable.optional().meta({ description: 'Field is greater than or equal to this value.' }),
      exists: z.boolean().optional().meta({ description: 'true: the field has a value; false: it is missing.' }),
      and: z.array(filterSchema).min(1).optional().meta({ description: 'Every filter holds.' }),
      or: z.array(filterSchema).min(1).optional().meta({ description: 'At least one filter holds.' }),
      not: filterSchema.optional().meta({ description: 'The filter does not hold.' }),
    })
    .superRefine((filter, ctx) => {
      const operators = FILTER_OPERATORS.filter((op) => filter[op] !== undefined);
      const combinators = FILTER_COMBINATORS.filter((op) => filter[op] !== undefined);
      if (combinators.length > 0) {
        if (combinators.length > 1 || operators.length > 0 || filter.field !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `a filter with ${combinators.join(', ')} can hold nothing else: nest the other conditions inside it`,
          });
        }
        return;
      }
      if (filter.field === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a filter needs a field and one operator, or and / or / not' });
      } else if (operators.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            operators.length === 0
              ? `filter on "${filter.field}" needs one operator among ${FILTER_OPERATORS.join(', ')}`
              : `filter on "${filter.field}" has ${operators.join(' and ')}: use one operator per filter and combine them with and`,
        });
      }
    })
    .meta({
      id: 'Filter',
      description:
        'A record filter: `{ field, <operator>: value }` with one operator among eq, ne, in, not_in, lt, lte, gt, gte, exists; or `{ and: [...] }`, `{ or: [...] }`, `{ not: {...} }`. A comparison on a missing field is false (but `ne` and `not_in` are true).',
    }),
);

const timeFieldOverride = fieldName
  .optional()
  .meta({ description: "Timestamp field that places the records in a period; defaults to the dataset's `timeField`." });

/** One aggregation over the records of one dataset that pass a filter. */
export const measureSchema = z
  .strictObject({
    dataset: datasetId,
    filter: filterSchema.optional(),
    aggregate: z.enum(AGGREGATES).meta({
      description:
        'count (records, or records where `field` has a value), count_distinct, sum, avg, min, max, percentile (nearest rank).',
    }),
    field: fieldName.optional().meta({ description: 'The field aggregated; required except for count.' }),
    percentile: z
      .number()
      .gt(0)
      .lte(100)
      .optional()
      .meta({ description: 'For `aggregate: percentile`: which one, e.g. 95 (nearest rank).' }),
    exactUpTo: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({
        description: `For percentiles: values kept exactly per group; above it a mergeable sketch with at most 1 % relative error is used. @default ${DEFAULT_EXACT_PERCENTILE_LIMIT}`,
      }),
    timeField: timeFieldOverride,
  })
  .superRefine((measure, ctx) => {
    if (measure.aggregate !== 'count' && measure.field === undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: `aggregate ${measure.aggregate} needs a field` });
    }
    if (measure.aggregate === 'percentile' && measure.percentile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['percentile'],
        message: 'aggregate percentile needs a percentile (0-100]',
      });
    }
    if (measure.aggregate !== 'percentile' && measure.percentile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['percentile'], message: 'percentile is only for aggregate: percentile' });
    }
  })
  .meta({ id: 'Measure', description: 'An aggregation over the records of one dataset that pass a filter.' });

const durationUnit = z
  .enum(['milliseconds', 'seconds', 'minutes', 'hours', 'days'])
  .default('seconds')
  .meta({ description: 'Unit the durations are reported in. @default seconds' });

const statisticFields = {
  statistic: z.enum(DURATION_STATISTICS).meta({ description: 'Statistic over the durations.' }),
  percentile: z.number().gt(0).lte(100).optional().meta({ description: 'For `statistic: percentile`, e.g. 95.' }),
  exactUpTo: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({
      description: `For percentiles: durations kept exactly per group before switching to a sketch. @default ${DEFAULT_EXACT_PERCENTILE_LIMIT}`,
    }),
  unit: durationUnit,
};

function checkStatistic(value: { statistic: string; percentile?: number | undefined }, ctx: z.RefinementCtx): void {
  if (value.statistic === 'percentile' && value.percentile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['percentile'], message: 'statistic percentile needs a percentile (0-100]' });
  }
  if (value.statistic !== 'percentile' && value.percentile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['percentile'], message: 'percentile is only for statistic: percentile' });
  }
}

/** One side of an entity funnel: records of a dataset, joined to the other side by an entity key. */
export const entityStepSchema = z
  .strictObject({
    dataset: datasetId,
    filter: filterSchema.optional(),
    entityKey: fieldName.meta({ description: 'Field holding the entity id (lead, session, incident...).' }),
    timeField: timeFieldOverride,
  })
  .meta({ id: 'EntityStep', description: 'Records of one dataset that mark a step of an entity, keyed by entity.' });

const aggregateCalculation = measureSchema
  .safeExtend({ type: z.literal('aggregate') })
  .meta({ id: 'AggregateCalculation', description: 'One aggregation, e.g. the sum of spend.' });

const ratioCalculation = z
  .strictObject({
    type: z.literal('ratio'),
    numerator: measureSchema,
    denominator: measureSchema,
    sampleSize: z.enum(['records', 'denominator']).default('records').meta({
      description:
        'What the sample size counts: the records behind the denominator, or the denominator value itself (impressions behind a CTR, say). @default records',
    }),
  })
  .meta({
    id: 'RatioCalculation',
    description: 'numerator / denominator, each with its own dataset and filter.',
  });

const arithmeticCalculation = z
  .strictObject({
    type: z.literal('arithmetic'),
    expression: z.string().min(1).meta({
      description:
        'Arithmetic (+ - * / and parentheses) over the named measures and constants, e.g. `(revenue - spend) / spend`.',
    }),
    measures: z
      .record(identifier('a measure name'), measureSchema)
      .meta({ description: 'The measures the expression names.' }),
    sampleSize: identifier('a measure name').optional().meta({
      description:
        "The measure whose sample size is the value's (e.g. the rows behind a rate); by default the smallest of the measures.",
    }),
  })
  .superRefine((calc, ctx) => {
    let names: string[];
    try {
      names = expressionMeasures(parseExpression(calc.expression));
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['expression'], message: error.message });
      return;
    }
    if (Object.keys(calc.measures).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['measures'],
        message: 'an arithmetic calculation needs at least one measure',
      });
    }
    for (const name of names) {
      if (!(name in calc.measures)) {
        ctx.addIssue({ code: 'custom', path: ['expression'], message: `"${name}" is not one of the measures` });
      }
    }
    if (calc.sampleSize !== undefined && !(calc.sampleSize in calc.measures)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sampleSize'],
        message: `"${calc.sampleSize}" is not one of the measures`,
      });
    }
    for (const name of Object.keys(calc.measures)) {
      if (!names.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['measures', name],
          message: `measure "${name}" is not used by the expression`,
        });
      }
    }
  })
  .meta({
    id: 'ArithmeticCalculation',
    description: 'Arithmetic over measures and constants.',
  });

const durationCalculation = z
  .strictObject({
    type: z.literal('duration'),
    dataset: datasetId,
    filter: filterSchema.optional(),
    start: fieldName.meta({ description: 'Timestamp field where the duration starts.' }),
    end: fieldName.meta({ description: 'Timestamp field where the duration ends.' }),
    negativeDurations: z.enum(['drop', 'keep']).default('drop').meta({
      description:
        'What to do with a record whose end is before its start: drop it (counted as skipped) or keep it. @default drop',
    }),
    timeField: timeFieldOverride,
    ...statisticFields,
  })
  .superRefine(checkStatistic)
  .meta({
    id: 'DurationCalculation',
    description: 'Durations between two timestamps of one record (end - start), summarised by a statistic.',
  });

const conversionCalculation = z
  .strictObject({
    type: z.literal('conversion'),
    base: entityStepSchema.meta({ description: 'Records that put an entity in the funnel (its earliest one counts).' }),
    conversion: entityStepSchema.meta({ description: 'Records that convert an entity.' }),
    window: durationText.meta({
      description:
        'An entity converts if a conversion record comes at or after its base time and before base time + window. Periods whose window is still open are provisional.',
    }),
  })
  .meta({
    id: 'ConversionCalculation',
    description:
      'Share of the entities entering the funnel in a period that convert within the window. Dimensions come from the base record.',
  });

const entityDurationCalculation = z
  .strictObject({
    type: z.literal('entity_duration'),
    start: entityStepSchema.meta({ description: 'Records that start the clock (the earliest per entity).' }),
    end: entityStepSchema.meta({ description: 'Records that stop it (the first at or after the start).' }),
    window: durationText
      .optional()
      .meta({ description: 'Ignore ends later than start + window. Required when placeBy is start.' }),
    placeBy: z.enum(['start', 'end']).default('end').meta({
      description: 'Which timestamp puts the duration in a period. @default end',
    }),
    negativeDurations: z.enum(['drop', 'keep']).optional().meta({
      description:
        'An entity whose end records all come before its start: drop it (counted as skipped, negative_duration) or keep it, paired with its latest end before the start (needs a window, which then bounds the duration on both sides). @default drop',
    }),
    ...statisticFields,
  })
  .superRefine((calc, ctx) => {
    checkStatistic(calc, ctx);
    if (calc.placeBy === 'start' && calc.window === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: 'placeBy start needs a window, so that a period can be final',
      });
    }
    if (calc.negativeDurations === 'keep' && calc.window === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message:
          'negativeDurations keep needs a window (e.g. 365d): an end may then come up to that long before its start, and a period can be final',
      });
    }
  })
  .meta({
    id: 'EntityDurationCalculation',
    description:
      'Durations from the first start record of an entity to its first end record at or after it, joined by entity key. Dimensions come from the start record.',
  });

/** Calculations that compute a value per period and group without looking at other periods. */
export const baseCalculationSchema = z
  .discriminatedUnion('type', [
    aggregateCalculation,
    ratioCalculation,
    arithmeticCalculation,
    durationCalculation,
    conversionCalculation,
    entityDurationCalculation,
  ])
  .meta({ id: 'BaseCalculation' });

const treatmentLiftCalculation = z
  .strictObject({
    type: z.literal('treatment_lift'),
    of: baseCalculationSchema.meta({ description: 'The metric compared between treatment and control.' }),
    field: fieldName.meta({
      description: 'Field that assigns a record to a group, e.g. `variant` (for funnels, on the base/start records).',
    }),
    treatment: scalarOrList.meta({ description: 'Value(s) of `field` in the treatment group.' }),
    control: scalarOrList.meta({ description: 'Value(s) of `field` in the control group.' }),
    effect: z.enum(['increase', 'decrease']).default('increase').meta({
      description:
        'increase: (treatment - control) / control, e.g. CTR lift; decrease: (control - treatment) / control, e.g. a bounce-rate reduction. @default increase',
    }),
  })
  .meta({
    id: 'TreatmentLiftCalculation',
    description: 'Relative lift of a metric in a treatment group over a control group, in the same period.',
  });

const nonTemporalCalculationSchema = z.discriminatedUnion('type', [
  aggregateCalculation,
  ratioCalculation,
  arithmeticCalculation,
  durationCalculation,
  conversionCalculation,
  entityDurationCalculation,
  treatmentLiftCalculation,
]);

const changeCalculation = z
  .strictObject({
    type: z.literal('change'),
    of: nonTemporalCalculationSchema.meta({ description: 'The metric compared with its previous period.' }),
    mode: z.enum(['relative', 'absolute']).default('relative').meta({
      description: 'relative: (current - previous) / previous; absolute: current - previous. @default relative',
    }),
  })
  .meta({
    id: 'ChangeCalculation',
    description: 'Change of a metric versus the previous period of the same grain (e.g. quarter over quarter).',
  });

const streakCalculation = z
  .strictObject({
    type: z.literal('streak'),
    of: nonTemporalCalculationSchema.meta({ description: 'The metric whose run is counted.' }),
    direction: z.enum(['increasing', 'decreasing']).meta({ description: 'Which way the metric must move.' }),
    lookback: z.number().int().min(1).max(52).default(12).meta({
      description: 'Longest run counted (and so the number of earlier periods read). @default 12',
    }),
  })
  .meta({
    id: 'StreakCalculation',
    description:
      'How many periods running the metric has moved in the direction, ending at this period (0 if it did not move that way now).',
  });

/** Every calculation a KPI can have. */
export const calculationSchema = z
  .discriminatedUnion('type', [
    aggregateCalculation,
    ratioCalculation,
    arithmeticCalculation,
    durationCalculation,
    conversionCalculation,
    entityDurationCalculation,
    treatmentLiftCalculation,
    changeCalculation,
    streakCalculation,
  ])
  .meta({
    id: 'Calculation',
    description:
      'How the value is computed: aggregate, ratio, arithmetic, duration, conversion, entity_duration, treatment_lift, change or streak.',
  });

const band = z
  .strictObject({ min: z.number(), max: z.number() })
  .refine((b) => b.min <= b.max, { message: 'min must not exceed max' });

const pointThresholds = z
  .strictObject({
    green: z.number().meta({ description: 'At or better than this: green.' }),
    yellow: z.number().meta({ description: 'At or better than this (and worse than green): yellow. Worse: red.' }),
  })
  .meta({ description: 'Status boundaries, inclusive.' });

const targetDescription = z
  .string()
  .min(1)
  .meta({ description: 'The success criterion in words, e.g. `p95 under 5 minutes`.' });

/** Target and thresholds, by direction. */
export const targetSchema = z
  .discriminatedUnion('direction', [
    z
      .strictObject({
        direction: z.literal('higher_is_better'),
        value: z.number().meta({ description: 'The success criterion (goal).' }),
        description: targetDescription,
        thresholds: pointThresholds,
      })
      .refine((t) => t.thresholds.yellow <= t.thresholds.green, {
        message: 'when higher is better, the yellow threshold must not be above the green one',
        path: ['thresholds', 'yellow'],
      }),
    z
      .strictObject({
        direction: z.literal('lower_is_better'),
        value: z.number().meta({ description: 'The success criterion (goal).' }),
        description: targetDescription,
        thresholds: pointThresholds,
      })
      .refine((t) => t.thresholds.yellow >= t.thresholds.green, {
        message: 'when lower is better, the yellow threshold must not be below the green one',
        path: ['thresholds', 'yellow'],
      }),
    z.strictObject({
      direction: z.literal('within_band'),
      value: band.meta({ description: 'The success band (goal).' }),
      description: targetDescription,
      thresholds: z
        .strictObject({
          green: band.meta({ description: 'Inside this band (inclusive): green.' }),
          yellow: band.meta({ description: 'Inside this band (and outside green): yellow. Outside: red.' }),
        })
        .refine((t) => t.yellow.min <= t.green.min && t.green.max <= t.yellow.max, {
          message: 'the yellow band must contain the green band',
          path: ['yellow'],
        }),
    }),
  ])
  .meta({
    id: 'Target',
    description:
      'Success criterion and status thresholds: higher_is_better, lower_is_better (thresholds green, yellow) or within_band (bands green, yellow).',
  });

/** Which guardrail a violation of this KPI triggers. */
export const guardrailSchema = z
  .strictObject({
    levelOfDecision: z.enum(LEVELS_OF_DECISION).meta({
      description: 'low: notify the owner; high: ask for approval; critical: supervise the agent at once, then ask.',
    }),
    useCase: identifier('a use case').meta({
      description: 'Use case governed, e.g. lead_management, campaign_optimization, content_personalization, pipeline.',
    }),
    agent: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, 'an agent id must be lower-case letters, digits and dashes')
      .optional()
      .meta({ description: 'Agent governed; omit when the KPI governs a whole use case.' }),
    agentFromDimension: z.string().min(1).optional().meta({
      description:
        'A dimension whose value in the violating row is the agent governed (e.g. `agent_id` for a KPI by agent); the overall row governs `agent` or the use case.',
    }),
    triggers: z.array(z.enum(GUARDRAIL_TRIGGERS)).min(1).default(['red_status', 'drift']).meta({
      description: 'Violations that trigger the guardrail. @default [red_status, drift]',
    }),
  })
  .meta({ id: 'Guardrail', description: 'The guardrail policy a violation of this KPI triggers.' });

const datasetUse = z
  .strictObject({
    id: datasetId,
    timeField: fieldName.meta({ description: 'Timestamp field that places its records in a period.' }),
  })
  .meta({ id: 'DatasetUse' });

const dimensionSchema = z
  .union(
    [
      fieldName,
      z.strictObject({
        name: identifier('a dimension name').meta({ description: 'Name of the dimension in the output.' }),
        field: fieldName.optional().meta({ description: 'Field read; defaults to the name.' }),
        fields: z
          .record(datasetId, fieldName)
          .optional()
          .meta({ description: 'Field read per dataset, when datasets spell it differently.' }),
      }),
    ],
    { error: 'a dimension is a field name or { name, field?, fields? }' },
  )
  .meta({
    id: 'Dimension',
    description:
      'Group by this field (or `{ name, field, fields: { dataset: field } }`). A missing value is its own group.',
  });

/** A KPI definition as written in a file. */
export const kpiDefinitionSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
    id: kpiId,
    version: z.number().int().min(1).optional().meta({
      description: 'Set by publishing; a local file may omit it (compute reports version 0: an unpublished draft).',
    }),
    name: z.string().min(1).meta({ description: 'Short human name.' }),
    description: z.string().min(1).meta({ description: 'What it measures and how it is calculated, in words.' }),
    category: z.enum(KPI_CATEGORIES),
    owner: z
      .strictObject({
        name: z.string().min(1),
        email: z.email({ message: 'must be an email address' }),
        team: z.string().min(1).optional(),
      })
      .meta({ description: 'Who answers for the KPI and receives its notifications.' }),
    datasets: z.array(datasetUse).min(1).meta({ description: 'Every dataset the calculation reads.' }),
    calculation: calculationSchema,
    dimensions: z.array(dimensionSchema).default([]).meta({
      description: 'Fields to group by. An overall row (no dimension) is always computed too. @default []',
    }),
    grain: z.enum(GRAINS).meta({
      description:
        'Length of a period: minute, hour, day, week (ISO), month, quarter, year, or all_time (one period holding every record).',
    }),
    cadence: z
      .string()
      .regex(
        CADENCE_PATTERN,
        'must be hourly, daily, weekly, monthly, every_<n>_minutes, every_<n>_hours, every_<n>_days, rate(...) or cron(...)',
      )
      .meta({
        description:
          'How often the KPI is recomputed: hourly, daily, weekly, monthly, every_5_minutes, every_2_hours, or an EventBridge Scheduler rate(...) / cron(...) expression (UTC).',
      }),
    unit: z.enum(UNITS).default('number').meta({ description: 'Display unit. @default number' }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .optional()
      .meta({ description: 'For unit currency.' }),
    target: targetSchema,
    minimumSample: z.number().int().min(0).default(1).meta({
      description: 'Below this sample size the status is insufficient_data. @default 1',
    }),
    drift: driftSettingsSchema.prefault({}).meta({
      description:
        'Drift detection against the KPI history (robust z-score on a seasonal median/MAD, CUSUM for slow drift). Every setting has a default.',
    }),
    forecast: forecastSettingsSchema.optional(),
    calibration: calibrationSettingsSchema.optional(),
    guardrail: guardrailSchema,
    tags: z.array(z.string().min(1)).default([]),
  })
  .superRefine((definition, ctx) => {
    const declared = new Map<string, number>();
    definition.datasets.forEach((use, index) => {
      if (declared.has(use.id)) {
        ctx.addIssue({ code: 'custom', path: ['datasets', index, 'id'], message: `dataset ${use.id} is listed twice` });
      }
      declared.set(use.id, index);
    });
    const used = datasetsOfCalculation(definition.calculation);
    for (const id of used) {
      if (!declared.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['datasets'],
          message: `the calculation reads dataset ${id}: add { id: ${id}, timeField: ... } here`,
        });
      }
    }
    for (const [id, index] of declared) {
      if (!used.includes(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['datasets', index, 'id'],
          message: `dataset ${id} is listed but the calculation does not read it`,
        });
      }
    }
    const names = new Set<string>();
    definition.dimensions.forEach((dimension, index) => {
      const name = typeof dimension === 'string' ? dimension : dimension.name;
      if (names.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['dimensions', index], message: `dimension ${name} is listed twice` });
      }
      names.add(name);
      if (typeof dimension !== 'string') {
        for (const id of Object.keys(dimension.fields ?? {})) {
          if (!used.includes(id)) {
            ctx.addIssue({
              code: 'custom',
              path: ['dimensions', index, 'fields', id],
              message: `dataset ${id} is not read by the calculation`,
            });
          }
        }
      }
    });
    const agentDimension = definition.guardrail.agentFromDimension;
    if (agentDimension !== undefined && !names.has(agentDimension)) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrail', 'agentFromDimension'],
        message: `${agentDimension} is not one of the dimensions`,
      });
    }
    const comparesPeriods = definition.calculation.type === 'change' || definition.calculation.type === 'streak';
    if (definition.grain === 'all_time' && comparesPeriods) {
      ctx.addIssue({
        code: 'custom',
        path: ['grain'],
        message: `a ${definition.calculation.type} compares a period with earlier ones, and all_time has only one period: use year or a shorter grain`,
      });
    }
    if (definition.unit === 'currency' && definition.currency === undefined) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'unit currency needs a currency code, e.g. USD' });
    }
  })
  .meta({
    id: 'KpiDefinition',
    title: 'KPI definition',
    description: 'One KPI of the Agent KPI Pipeline: what it measures, how it is calculated, and how it is governed.',
  });

/** A KPI definition as written (before defaults). */
export type KpiDefinitionInput = z.input<typeof kpiDefinitionSchema>;
/** A validated KPI definition, defaults applied. */
export type KpiDefinition = z.output<typeof kpiDefinitionSchema>;
export type Calculation = KpiDefinition['calculation'];
export type BaseCalculation = z.output<typeof baseCalculationSchema>;
export type NonTemporalCalculation = z.output<typeof nonTemporalCalculationSchema>;
export type Measure = z.output<typeof measureSchema>;
export type EntityStep = z.output<typeof entityStepSchema>;
export type Target = KpiDefinition['target'];
export type Dimension = KpiDefinition['dimensions'][number];
export type Grain = (typeof GRAINS)[number];
export type KpiCategory = (typeof KPI_CATEGORIES)[number];
export type LevelOfDecision = (typeof LEVELS_OF_DECISION)[number];

/** Every dataset a calculation reads, in order of first use. */
export function datasetsOfCalculation(calculation: Calculation): string[] {
  const ids: string[] = [];
  const add = (id: string) => {
    if (!ids.includes(id)) ids.push(id);
  };
  const visit = (calc: Calculation): void => {
    switch (calc.type) {
      case 'aggregate':
      case 'duration':
        add(calc.dataset);
        return;
      case 'ratio':
        add(calc.numerator.dataset);
        add(calc.denominator.dataset);
        return;
      case 'arithmetic':
        for (const measure of Object.values(calc.measures)) add(measure.dataset);
        return;
      case 'conversion':
        add(calc.base.dataset);
        add(calc.conversion.dataset);
        return;
      case 'entity_duration':
        add(calc.start.dataset);
        add(calc.end.dataset);
        return;
      case 'treatment_lift':
      case 'change':
      case 'streak':
        visit(calc.of);
        return;
    }
  };
  visit(calculation);
  return ids;
}

// Domain: compiling a KPI definition into the parts the engine accumulates (measures over records,
// entity joins) and the tree that turns their states into a value.
import { DURATION_UNIT_MILLIS, durationMillis } from '../definition/duration';
import { type Expression, parseExpression } from '../definition/expression';
import {
  type Calculation,
  DEFAULT_EXACT_PERCENTILE_LIMIT,
  type EntityStep,
  type Filter,
  type KpiDefinition,
  type Measure,
} from '../definition/schema';
import type { FieldValue, TypedRecord } from '../records';
import { type AggregationKind, isNumeric } from './aggregators';
import { bothFilters, compileFilter, isMissing, type RecordPredicate } from './filter';

/** Why a record that passed a filter could not be used. */
export type SkipReason =
  | 'missing_time'
  | 'missing_entity_key'
  | 'not_a_number'
  | 'missing_start_or_end'
  | 'negative_duration'
  | 'no_end'
  | 'outside_window';

/** A reader's verdict that the record cannot be used, and why. */
export interface Skip {
  readonly skip: SkipReason;
}

const NOT_A_NUMBER: Skip = { skip: 'not_a_number' };
const MISSING_START_OR_END: Skip = { skip: 'missing_start_or_end' };
const NEGATIVE_DURATION: Skip = { skip: 'negative_duration' };

/** Reads the value a measure aggregates: a usable value, undefined (nothing to add), or a skip. */
export type ValueReader = (record: TypedRecord) => FieldValue | undefined | Skip;

/** One aggregation over the records of one dataset. */
export interface MeasurePlan {
  /** Unique within the KPI; names the measure in partial states, e.g. `numerator`, `treatment.spend`. */
  readonly key: string;
  readonly dataset: string;
  readonly predicate: RecordPredicate | null;
  readonly timeField: string;
  readonly kind: AggregationKind;
  readonly read: ValueReader;
  readonly dimensionFields: readonly string[];
  /** Words for reasons, e.g. `sum of impressions`. */
  readonly label: string;
  /**
   * What `read` reads when a column can give it: a number field (`field`) of a numeric
   * aggregation, or every record (`field` null, a count of records); null when only `read` can.
   */
  readonly columnRead: { readonly field: string | null } | null;
}

/** One side of an entity join. */
export interface EntitySidePlan {
  readonly dataset: string;
  readonly predicate: RecordPredicate | null;
  readonly entityKey: string;
  readonly timeField: string;
  /** Dimension fields, read on the start side only. */
  readonly dimensionFields: readonly string[];
}

/** Entities that start (base records) and end (conversion / end records), joined by key. */
export interface EntityPlan {
  readonly key: string;
  readonly start: EntitySidePlan;
  readonly end: EntitySidePlan;
}

/** How a value is made from the states of the measures and entities. */
export type CalculationNode =
  | { readonly kind: 'aggregate'; readonly measure: MeasurePlan }
  | {
      readonly kind: 'ratio';
      readonly numerator: MeasurePlan;
      readonly denominator: MeasurePlan;
      readonly sampleSize: 'records' | 'denominator';
    }
  | {
      readonly kind: 'arithmetic';
      readonly expression: Expression;
      readonly measures: Readonly<Record<string, MeasurePlan>>;
      /** The measure whose sample size is the value's; null: the smallest. */
      readonly sampleSize: string | null;
    }
  | { readonly kind: 'duration'; readonly measure: MeasurePlan; readonly unitMillis: number }
  | { readonly kind: 'conversion'; readonly entity: EntityPlan; readonly windowMillis: number }
  | {
      readonly kind: 'entity_duration';
      readonly entity: EntityPlan;
      /** Ends at or after start + window are not paired; with `keepNegative`, nor ends at or before start − window. */
      readonly windowMillis: number | null;
      readonly placeBy: 'start' | 'end';
      /** Whether an entity whose ends all precede its start keeps its latest end (a negative duration). */
      readonly keepNegative: boolean;
      readonly statistic: AggregationKind;
      readonly unitMillis: number;
    }
  | {
      readonly kind: 'treatment_lift';
      readonly treatment: CalculationNode;
      readonly control: CalculationNode;
      readonly effect: 'increase' | 'decrease';
    }
  | { readonly kind: 'change'; readonly of: CalculationNode; readonly mode: 'relative' | 'absolute' }
  | {
      readonly kind: 'streak';
      readonly of: CalculationNode;
      readonly direction: 'increasing' | 'decreasing';
      readonly lookback: number;
    };

/** A definition compiled for the engine. */
export interface CompiledPlan {
  readonly root: CalculationNode;
  readonly measures: readonly MeasurePlan[];
  readonly entities: readonly EntityPlan[];
  /** Dimension names, in the definition's order. */
  readonly dimensionNames: readonly string[];
  /** How far after a period's end records can still change its value (conversion windows). */
  readonly settleMillis: number;
  /** Periods before the current one a value reads (change: 1, streak: its lookback). */
  readonly periodsBack: number;
}

/** Compiles a validated definition. */
export function compilePlan(definition: KpiDefinition): CompiledPlan {
  const compiler = new PlanCompiler(definition);
  const root = compiler.compile(definition.calculation, '', null);
  return {
    root,
    measures: compiler.measures,
    entities: compiler.entities,
    dimensionNames: definition.dimensions.map((d) => (typeof d === 'string' ? d : d.name)),
    settleMillis: compiler.settleMillis,
    periodsBack: compiler.periodsBack,
  };
}

/** Walks a calculation, collecting its measures and entity joins and what they need of time. */
class PlanCompiler {
  readonly measures: MeasurePlan[] = [];
  readonly entities: EntityPlan[] = [];
  settleMillis = 0;
  periodsBack = 0;
  private readonly timeFields: Map<string, string>;

  constructor(private readonly definition: KpiDefinition) {
    this.timeFields = new Map(definition.datasets.map((use) => [use.id, use.timeField]));
  }

  /** The node of `calc`; its measures are keyed `prefix` + their role, and read only records passing `extra`. */
  compile(calc: Calculation, prefix: string, extra: RecordPredicate | null): CalculationNode {
    switch (calc.type) {
      case 'aggregate':
        return { kind: 'aggregate', measure: this.measurePlan(`${prefix}value`, calc, extra) };
      case 'ratio':
        return {
          kind: 'ratio',
          numerator: this.measurePlan(`${prefix}numerator`, calc.numerator, extra),
          denominator: this.measurePlan(`${prefix}denominator`, calc.denominator, extra),
          sampleSize: calc.sampleSize,
        };
      case 'arithmetic':
        return this.arithmetic(calc, prefix, extra);
      case 'duration':
        return this.duration(calc, prefix, extra);
      case 'conversion':
        return this.conversion(calc, prefix, extra);
      case 'entity_duration':
        return this.entityDuration(calc, prefix, extra);
      case 'treatment_lift':
        return this.treatmentLift(calc, prefix, extra);
      case 'change':
        this.periodsBack = Math.max(this.periodsBack, 1);
        return { kind: 'change', of: this.compile(calc.of, prefix, extra), mode: calc.mode };
      case 'streak':
        this.periodsBack = Math.max(this.periodsBack, calc.lookback);
        return {
          kind: 'streak',
          of: this.compile(calc.of, prefix, extra),
          direction: calc.direction,
          lookback: calc.lookback,
        };
    }
  }

  private arithmetic(
    calc: Extract<Calculation, { type: 'arithmetic' }>,
    prefix: string,
    extra: RecordPredicate | null,
  ): CalculationNode {
    const planned: Record<string, MeasurePlan> = {};
    for (const [name, measure] of Object.entries(calc.measures)) {
      planned[name] = this.measurePlan(`${prefix}${name}`, measure, extra);
    }
    return {
      kind: 'arithmetic',
      expression: parseExpression(calc.expression),
      measures: planned,
      sampleSize: calc.sampleSize ?? null,
    };
  }

  private duration(
    calc: Extract<Calculation, { type: 'duration' }>,
    prefix: string,
    extra: RecordPredicate | null,
  ): CalculationNode {
    const plan: MeasurePlan = {
      key: `${prefix}durations`,
      dataset: calc.dataset,
      predicate: bothFilters(filterOf(calc.filter), extra),
      timeField: this.timeFieldOf(calc.dataset, calc.timeField),
      kind: statisticOf(calc),
      read: durationReader(calc.start, calc.end, calc.negativeDurations === 'keep'),
      dimensionFields: this.dimensionFieldsOf(calc.dataset),
      label: `durations from ${calc.start} to ${calc.end}`,
      columnRead: null,
    };
    this.measures.push(plan);
    return { kind: 'duration', measure: plan, unitMillis: DURATION_UNIT_MILLIS[calc.unit] };
  }

  private conversion(
    calc: Extract<Calculation, { type: 'conversion' }>,
    prefix: string,
    extra: RecordPredicate | null,
  ): CalculationNode {
    const windowMillis = durationMillis(calc.window);
    this.settleMillis = Math.max(this.settleMillis, windowMillis);
    const entity: EntityPlan = {
      key: `${prefix}funnel`,
      start: this.sidePlan(calc.base, extra, true),
      end: this.sidePlan(calc.conversion, null, false),
    };
    this.entities.push(entity);
    return { kind: 'conversion', entity, windowMillis };
  }

  private entityDuration(
    calc: Extract<Calculation, { type: 'entity_duration' }>,
    prefix: string,
    extra: RecordPredicate | null,
  ): CalculationNode {
    const windowMillis = calc.window === undefined ? null : durationMillis(calc.window);
    const keepNegative = calc.negativeDurations === 'keep';
    // A period is final once no later record can pair into it: an end within the window after
    // a start placed in it, or (keeping negatives) a start within the window after an end.
    if ((calc.placeBy === 'start' || keepNegative) && windowMillis !== null) {
      this.settleMillis = Math.max(this.settleMillis, windowMillis);
    }
    const entity: EntityPlan = {
      key: `${prefix}durations`,
      start: this.sidePlan(calc.start, extra, true),
      end: this.sidePlan(calc.end, null, false),
    };
    this.entities.push(entity);
    return {
      kind: 'entity_duration',
      entity,
      windowMillis,
      placeBy: calc.placeBy,
      keepNegative,
      statistic: statisticOf(calc),
      unitMillis: DURATION_UNIT_MILLIS[calc.unit],
    };
  }

  private treatmentLift(
    calc: Extract<Calculation, { type: 'treatment_lift' }>,
    prefix: string,
    extra: RecordPredicate | null,
  ): CalculationNode {
    const inGroup = (values: FieldValue | FieldValue[]): RecordPredicate => {
      const wanted = new Set<FieldValue>(Array.isArray(values) ? values : [values]);
      const field = calc.field;
      return (record) => wanted.has(record[field] as FieldValue);
    };
    return {
      kind: 'treatment_lift',
      treatment: this.compile(calc.of, `${prefix}treatment.`, bothFilters(extra, inGroup(calc.treatment))),
      control: this.compile(calc.of, `${prefix}control.`, bothFilters(extra, inGroup(calc.control))),
      effect: calc.effect,
    };
  }

  private measurePlan(key: string, measure: Measure, extra: RecordPredicate | null): MeasurePlan {
    const kind: AggregationKind =
      measure.aggregate === 'percentile'
        ? {
            fn: 'percentile',
            percentile: measure.percentile as number,
            exactLimit: measure.exactUpTo ?? DEFAULT_EXACT_PERCENTILE_LIMIT,
          }
        : { fn: measure.aggregate };
    const plan: MeasurePlan = {
      key,
      dataset: measure.dataset,
      predicate: bothFilters(filterOf(measure.filter), extra),
      timeField: this.timeFieldOf(measure.dataset, measure.timeField),
      kind,
      read: readerOf(kind, measure.field),
      dimensionFields: this.dimensionFieldsOf(measure.dataset),
      label: labelOf(measure),
      columnRead: measure.field === undefined ? { field: null } : isNumeric(kind) ? { field: measure.field } : null,
    };
    this.measures.push(plan);
    return plan;
  }

  private sidePlan(step: EntityStep, extra: RecordPredicate | null, withDimensions: boolean): EntitySidePlan {
    return {
      dataset: step.dataset,
      predicate: bothFilters(filterOf(step.filter), extra),
      entityKey: step.entityKey,
      timeField: this.timeFieldOf(step.dataset, step.timeField),
      dimensionFields: withDimensions ? this.dimensionFieldsOf(step.dataset) : [],
    };
  }

  private dimensionFieldsOf(dataset: string): string[] {
    return this.definition.dimensions.map((d) =>
      typeof d === 'string' ? d : (d.fields?.[dataset] ?? d.field ?? d.name),
    );
  }

  private timeFieldOf(dataset: string, override: string | undefined): string {
    return override ?? (this.timeFields.get(dataset) as string);
  }
}

function filterOf(filter: Filter | undefined): RecordPredicate | null {
  return filter === undefined ? null : compileFilter(filter);
}

function statisticOf(calc: { statistic: string; percentile?: number; exactUpTo?: number }): AggregationKind {
  if (calc.statistic === 'percentile') {
    return {
      fn: 'percentile',
      percentile: calc.percentile as number,
      exactLimit: calc.exactUpTo ?? DEFAULT_EXACT_PERCENTILE_LIMIT,
    };
  }
  return { fn: calc.statistic as 'avg' | 'min' | 'max' | 'sum' };
}

function labelOf(measure: Measure): string {
  if (measure.aggregate === 'count') {
    return measure.field === undefined ? `count of ${measure.dataset}` : `count of ${measure.field}`;
  }
  if (measure.aggregate === 'percentile') return `p${measure.percentile} of ${measure.field}`;
  return `${measure.aggregate} of ${measure.field}`;
}

const PRESENT = true;

function readerOf(kind: AggregationKind, field: string | undefined): ValueReader {
  if (field === undefined) return () => PRESENT;
  if (kind.fn === 'count' || kind.fn === 'count_distinct') {
    return (record) => {
      const value = record[field];
      return isMissing(value) ? undefined : value;
    };
  }
  return (record) => {
    const value = record[field];
    // `+ 0` turns -0 into 0: JSON cannot tell them apart, so states and values must not either.
    if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : NOT_A_NUMBER;
    return isMissing(value) ? undefined : NOT_A_NUMBER;
  };
}

function durationReader(start: string, end: string, keepNegative: boolean): ValueReader {
  return (record) => {
    const from = record[start];
    const to = record[end];
    if (typeof from !== 'number' || typeof to !== 'number' || !Number.isFinite(from) || !Number.isFinite(to)) {
      return MISSING_START_OR_END;
    }
    const duration = to - from;
    if (duration < 0 && !keepNegative) return NEGATIVE_DURATION;
    return duration;
  };
}

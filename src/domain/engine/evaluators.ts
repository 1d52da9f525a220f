// Domain: one evaluator per calculation kind. An evaluator names the tables a node reads (so that
// finalizing knows which periods and groups hold data) and computes the node's value for one
// period and group. The registry is typed by kind: each evaluator receives its own node type.

import { evaluateExpression } from '../definition/expression';
import type { Grain } from '../definition/schema';
import type { AggregateResult } from './aggregators';
import type { CalculationNode, EntityPlan, MeasurePlan } from './compile';
import type { AggregatorTable, FunnelCounts, PeriodGroups, Table } from './finalize-tables';
import { shiftPeriod } from './time';

/** Every kind of calculation node the engine compiles. */
export type CalculationKind = CalculationNode['kind'];

/** The node of one calculation kind. */
export type NodeOf<K extends CalculationKind> = Extract<CalculationNode, { kind: K }>;

/** A node's value for one period and group, with its sample size, reason and components. */
export interface Evaluated {
  readonly value: number | null;
  readonly sampleSize: number;
  readonly reason: string | null;
  readonly components: Record<string, number | null>;
}

/** What evaluators read from: the state's tables, and the evaluation of other nodes. */
export interface EvaluationContext {
  readonly grain: Grain;
  /** The aggregations of a measure. */
  measure(plan: MeasurePlan): AggregatorTable;
  /** The funnel counts of an entity join, built on first use. */
  funnel(entity: EntityPlan, windowMillis: number): Table<FunnelCounts>;
  /** The durations of an entity join, built on first use. */
  durations(node: NodeOf<'entity_duration'>): AggregatorTable;
  /** Evaluates any node (used by the kinds built on others). */
  evaluate(node: CalculationNode, start: number, group: string): Evaluated;
  /** The tables any node reads. */
  tables(node: CalculationNode): PeriodGroups[];
}

/** How one calculation kind is finalized. */
export interface Evaluator<N extends CalculationNode> {
  /** The tables the node reads: their periods and groups are the ones reported. */
  tables(node: N, context: EvaluationContext): PeriodGroups[];
  /** The node's value for the period starting at `start` and the group (`''`: the overall row). */
  evaluate(node: N, start: number, group: string, context: EvaluationContext): Evaluated;
}

/** The evaluators, one per calculation kind (the type makes a missing kind a compile error). */
export type EvaluatorRegistry = { readonly [K in CalculationKind]: Evaluator<NodeOf<K>> };

function fromAggregate(result: AggregateResult): Evaluated {
  return { value: result.value, sampleSize: result.sampleSize, reason: result.reason, components: {} };
}

function scaled(evaluated: Evaluated, unitMillis: number): Evaluated {
  return evaluated.value === null || unitMillis === 1
    ? evaluated
    : { ...evaluated, value: evaluated.value / unitMillis };
}

const aggregate: Evaluator<NodeOf<'aggregate'>> = {
  tables: (node, context) => [context.measure(node.measure)],
  evaluate: (node, start, group, context) => fromAggregate(context.measure(node.measure).resultAt(start, group)),
};

const duration: Evaluator<NodeOf<'duration'>> = {
  tables: (node, context) => [context.measure(node.measure)],
  evaluate: (node, start, group, context) =>
    scaled(fromAggregate(context.measure(node.measure).resultAt(start, group)), node.unitMillis),
};

const ratio: Evaluator<NodeOf<'ratio'>> = {
  tables: (node, context) => [context.measure(node.numerator), context.measure(node.denominator)],
  evaluate(node, start, group, context) {
    const numerator = context.measure(node.numerator).resultAt(start, group);
    const denominator = context.measure(node.denominator).resultAt(start, group);
    const components = { numerator: numerator.value, denominator: denominator.value };
    const sampleSize =
      node.sampleSize === 'records' ? denominator.sampleSize : Math.max(0, Math.floor(denominator.value ?? 0));
    const base = { sampleSize, components };
    if (denominator.value === null) return { ...base, value: null, reason: `denominator: ${denominator.reason}` };
    if (numerator.value === null) return { ...base, value: null, reason: `numerator: ${numerator.reason}` };
    if (denominator.value === 0) {
      return { ...base, value: null, reason: `division by zero: ${node.denominator.label} is 0` };
    }
    return { ...base, value: numerator.value / denominator.value, reason: null };
  },
};

const arithmetic: Evaluator<NodeOf<'arithmetic'>> = {
  tables: (node, context) => Object.values(node.measures).map((m) => context.measure(m)),
  evaluate(node, start, group, context) {
    const values: Record<string, number | null> = {};
    let sampleSize = Number.POSITIVE_INFINITY;
    const reasons: string[] = [];
    for (const [name, measure] of Object.entries(node.measures)) {
      const result = context.measure(measure).resultAt(start, group);
      values[name] = result.value;
      if (node.sampleSize === null) sampleSize = Math.min(sampleSize, result.sampleSize);
      else if (node.sampleSize === name) sampleSize = result.sampleSize;
      if (result.value === null) reasons.push(`${name}: ${result.reason}`);
    }
    const evaluation = evaluateExpression(node.expression, values);
    const reason = evaluation.value === null ? (reasons[0] ?? evaluation.reason) : null;
    return {
      value: evaluation.value,
      sampleSize: Number.isFinite(sampleSize) ? sampleSize : 0,
      reason,
      components: values,
    };
  },
};

const conversion: Evaluator<NodeOf<'conversion'>> = {
  tables: (node, context) => [context.funnel(node.entity, node.windowMillis)],
  evaluate(node, start, group, context) {
    const counts = context.funnel(node.entity, node.windowMillis).at(start, group);
    const components = { entered: counts.entered, converted: counts.converted };
    if (counts.entered === 0) {
      return { value: null, sampleSize: 0, reason: 'no entity entered the funnel in the period', components };
    }
    return { value: counts.converted / counts.entered, sampleSize: counts.entered, reason: null, components };
  },
};

const entityDuration: Evaluator<NodeOf<'entity_duration'>> = {
  tables: (node, context) => [context.durations(node)],
  evaluate: (node, start, group, context) =>
    scaled(fromAggregate(context.durations(node).resultAt(start, group)), node.unitMillis),
};

const treatmentLift: Evaluator<NodeOf<'treatment_lift'>> = {
  tables: (node, context) => [...context.tables(node.treatment), ...context.tables(node.control)],
  evaluate(node, start, group, context) {
    const treatment = context.evaluate(node.treatment, start, group);
    const control = context.evaluate(node.control, start, group);
    const components = { treatment: treatment.value, control: control.value };
    const sampleSize = Math.min(treatment.sampleSize, control.sampleSize);
    if (treatment.value === null)
      return { value: null, sampleSize, reason: `treatment: ${treatment.reason}`, components };
    if (control.value === null) return { value: null, sampleSize, reason: `control: ${control.reason}`, components };
    if (control.value === 0) return { value: null, sampleSize, reason: 'control value is 0', components };
    const difference = node.effect === 'increase' ? treatment.value - control.value : control.value - treatment.value;
    return { value: difference / Math.abs(control.value), sampleSize, reason: null, components };
  },
};

const change: Evaluator<NodeOf<'change'>> = {
  tables: (node, context) => context.tables(node.of),
  evaluate(node, start, group, context) {
    const current = context.evaluate(node.of, start, group);
    const previous = context.evaluate(node.of, shiftPeriod(context.grain, start, -1), group);
    const components = { current: current.value, previous: previous.value };
    const sampleSize = Math.min(current.sampleSize, previous.sampleSize);
    if (current.value === null) return { value: null, sampleSize, reason: current.reason, components };
    if (previous.value === null) {
      return { value: null, sampleSize, reason: `previous period: ${previous.reason}`, components };
    }
    if (node.mode === 'absolute')
      return { value: current.value - previous.value, sampleSize, reason: null, components };
    if (previous.value === 0) return { value: null, sampleSize, reason: 'previous period value is 0', components };
    const value = (current.value - previous.value) / Math.abs(previous.value);
    return { value, sampleSize, reason: null, components };
  },
};

const streak: Evaluator<NodeOf<'streak'>> = {
  tables: (node, context) => context.tables(node.of),
  evaluate(node, start, group, context) {
    const current = context.evaluate(node.of, start, group);
    let later = current.value;
    let run = 0;
    let previousValue: number | null = null;
    for (let step = 1; step <= node.lookback && later !== null; step++) {
      const earlier = context.evaluate(node.of, shiftPeriod(context.grain, start, -step), group).value;
      if (step === 1) previousValue = earlier;
      if (earlier === null) break;
      const moved = node.direction === 'decreasing' ? later < earlier : later > earlier;
      if (!moved) break;
      run += 1;
      later = earlier;
    }
    const components = { current: current.value, previous: previousValue };
    if (current.value === null)
      return { value: null, sampleSize: current.sampleSize, reason: current.reason, components };
    return { value: run, sampleSize: current.sampleSize, reason: null, components };
  },
};

/** The evaluator of every calculation kind. */
export const EVALUATORS: EvaluatorRegistry = {
  aggregate,
  duration,
  ratio,
  arithmetic,
  conversion,
  entity_duration: entityDuration,
  treatment_lift: treatmentLift,
  change,
  streak,
};

/** The evaluator of `kind`, typed for that kind's node. */
export function evaluatorOf<K extends CalculationKind>(kind: K): EvaluatorRegistry[K] {
  return EVALUATORS[kind];
}

/** The value of any node for one period and group, by its kind's evaluator. */
export function evaluateNode<K extends CalculationKind>(
  node: NodeOf<K> & { readonly kind: K },
  start: number,
  group: string,
  context: EvaluationContext,
): Evaluated {
  return evaluatorOf(node.kind).evaluate(node, start, group, context);
}

/** The tables any node reads, by its kind's evaluator. */
export function nodeTables<K extends CalculationKind>(
  node: NodeOf<K> & { readonly kind: K },
  context: EvaluationContext,
): PeriodGroups[] {
  return evaluatorOf(node.kind).tables(node, context);
}

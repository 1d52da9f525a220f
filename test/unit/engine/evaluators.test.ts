import { describe, expect, it } from 'vitest';
import { CALCULATION_TYPES } from '../../../src/domain/definition/schema';
import type { CalculationNode } from '../../../src/domain/engine/compile';
import {
  EVALUATORS,
  type Evaluated,
  type EvaluationContext,
  evaluateNode,
} from '../../../src/domain/engine/evaluators';
import { AggregatorTable } from '../../../src/domain/engine/finalize-tables';
import { shiftPeriod } from '../../../src/domain/engine/time';

const DAY = 86_400_000;
const MONDAY = Date.UTC(2024, 2, 4);
const inner: CalculationNode = { kind: 'aggregate', measure: { key: 'value' } as never };

/** A context whose inner node is worth `series[i]` on day i (0: Monday), null where missing. */
function contextOf(
  series: readonly (number | null)[],
  measures: Record<string, AggregatorTable> = {},
): EvaluationContext {
  const context: EvaluationContext = {
    grain: 'day',
    measure: (plan) => measures[plan.key] ?? new AggregatorTable({ fn: 'sum' }),
    funnel: () => {
      throw new Error('no funnel here');
    },
    durations: () => {
      throw new Error('no durations here');
    },
    evaluate(node, start, group) {
      if (node !== inner) return evaluateNode(node, start, group, context);
      const value = series[Math.round((start - MONDAY) / DAY)] ?? null;
      return { value, sampleSize: 10, reason: value === null ? 'no values in the period' : null, components: {} };
    },
    tables: () => [],
  };
  return context;
}

const at = (day: number) => shiftPeriod('day', MONDAY, day);

describe('the evaluator registry', () => {
  it('has an evaluator for every calculation type a definition can declare, and nothing else', () => {
    expect(Object.keys(EVALUATORS).sort()).toEqual([...CALCULATION_TYPES].sort());
    for (const evaluator of Object.values(EVALUATORS)) {
      expect(typeof evaluator.evaluate).toBe('function');
      expect(typeof evaluator.tables).toBe('function');
    }
  });

  it('dispatches a node to the evaluator of its kind', () => {
    const node: CalculationNode = { kind: 'change', of: inner, mode: 'absolute' };
    const evaluated: Evaluated = evaluateNode(node, at(1), '', contextOf([2, 5]));
    expect(evaluated).toEqual({ value: 3, sampleSize: 10, reason: null, components: { current: 5, previous: 2 } });
  });
});

describe('evaluators of calculations built on another', () => {
  it('change: relative to the previous period, null with a reason when that was 0', () => {
    const node = { kind: 'change', of: inner, mode: 'relative' } as const;
    expect(EVALUATORS.change.evaluate(node, at(1), '', contextOf([4, 5])).value).toBe(0.25);
    expect(EVALUATORS.change.evaluate(node, at(1), '', contextOf([0, 5])).reason).toBe('previous period value is 0');
    expect(EVALUATORS.change.evaluate(node, at(1), '', contextOf([null, 5])).reason).toBe(
      'previous period: no values in the period',
    );
  });

  it('streak: counts consecutive moves in the direction, up to the lookback', () => {
    const node = { kind: 'streak', of: inner, direction: 'decreasing', lookback: 3 } as const;
    expect(EVALUATORS.streak.evaluate(node, at(4), '', contextOf([9, 8, 7, 6, 5])).value).toBe(3);
    expect(EVALUATORS.streak.evaluate(node, at(4), '', contextOf([9, 8, 7, 8, 5])).value).toBe(1);
    expect(EVALUATORS.streak.evaluate(node, at(4), '', contextOf([9, 8, 7, 6, null])).reason).toBe(
      'no values in the period',
    );
  });

  it('treatment_lift: the lift over the control, in the direction of the effect', () => {
    const node = { kind: 'treatment_lift', treatment: inner, control: inner, effect: 'increase' } as const;
    expect(EVALUATORS.treatment_lift.evaluate(node, at(0), '', contextOf([2])).value).toBe(0);
    expect(EVALUATORS.treatment_lift.evaluate(node, at(0), '', contextOf([0])).reason).toBe('control value is 0');
  });
});

describe('evaluators of measures', () => {
  it('ratio: null with a reason naming the denominator when it is 0', () => {
    const numerator = new AggregatorTable({ fn: 'count' });
    numerator.slot(MONDAY, 'g').add(1);
    const denominator = new AggregatorTable({ fn: 'sum' });
    denominator.slot(MONDAY, 'g').add(0);
    const node = {
      kind: 'ratio',
      numerator: { key: 'n', label: 'clicks' },
      denominator: { key: 'd', label: 'impressions' },
      sampleSize: 'records',
    } as never;
    const evaluated = EVALUATORS.ratio.evaluate(node, MONDAY, 'g', contextOf([], { n: numerator, d: denominator }));
    expect(evaluated).toEqual({
      value: null,
      sampleSize: 1,
      reason: 'division by zero: impressions is 0',
      components: { numerator: 1, denominator: 0 },
    });
  });
});

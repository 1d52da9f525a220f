// Domain: the engine's public face. A definition compiles once; records of each partition become a
// partial state; partial states merge in any order; a merged state finalizes into KPI values.
import { canonicalJson, fingerprint } from '../canonical';
import { IncompatibleStateError } from '../definition/errors';
import type { KpiDefinition } from '../definition/schema';
import type { TypedRecord } from '../records';
import { type CompiledPlan, compilePlan } from './compile';
import { type FinalizeOptions, finalizeState, type KpiComputation } from './finalize';
import { SKETCH_RELATIVE_ACCURACY } from './quantiles';
import { type KpiPartialState, KpiState, PARTIAL_STATE_FORMAT } from './state';
import { periodStart, shiftPeriod } from './time';

/** Time range of raw records a computation needs from one dataset: [from, to), from null = unbounded. */
export interface InputRange {
  readonly from: number | null;
  readonly to: number;
}

/** Accumulates records of any dataset a KPI reads, for one partial state. */
export interface KpiAccumulator {
  /** Adds one record of `dataset` (ignored when the KPI does not read it). */
  add(dataset: string, record: TypedRecord): void;
  /** Adds records of `dataset`. */
  addAll(dataset: string, records: Iterable<TypedRecord>): void;
  /** Adds a partial state of the same KPI and signature. @throws IncompatibleStateError */
  absorb(state: KpiPartialState): void;
  /** The canonical partial state of everything added. */
  state(): KpiPartialState;
  /** The values, straight from what was added (same as finalizing {@link state}). */
  finalize(options: FinalizeOptions): KpiComputation;
}

/** A KPI definition compiled for the engine. */
export interface CompiledKpi {
  readonly definition: KpiDefinition;
  /** Fingerprint of what shapes partial states (calculation, dimensions, grain, datasets, engine format). */
  readonly signature: string;
  /** Datasets the KPI reads. */
  readonly datasets: readonly string[];
  /** An empty accumulator. */
  accumulator(): KpiAccumulator;
  /** The partial state of the records of one partition of `dataset`. */
  partial(dataset: string, records: Iterable<TypedRecord>): KpiPartialState;
  /** One state holding everything the given states hold; order and grouping do not matter. */
  merge(states: Iterable<KpiPartialState>): KpiPartialState;
  /** The values of a (merged) partial state. */
  finalize(state: KpiPartialState, options: FinalizeOptions): KpiComputation;
  /**
   * Raw records needed, per dataset, to compute the periods starting in [from, to): earlier periods
   * for change and streak, conversion windows after the range, starts before it for durations.
   */
  inputRanges(from: number, to: number): Record<string, InputRange>;
}

/**
 * Compiles a validated definition.
 * @example
 * const kpi = compileKpi(definition);
 * const states = partitions.map((p) => kpi.partial(p.dataset, p.records)); // in parallel, stored per partition
 * const { values } = kpi.finalize(kpi.merge(states), { asOf: clock.now() });
 */
export function compileKpi(definition: KpiDefinition): CompiledKpi {
  const plan = compilePlan(definition);
  const signature = fingerprint(
    canonicalJson({
      format: PARTIAL_STATE_FORMAT,
      sketchRelativeAccuracy: SKETCH_RELATIVE_ACCURACY,
      id: definition.id,
      calculation: definition.calculation,
      dimensions: definition.dimensions,
      grain: definition.grain,
      datasets: definition.datasets,
    }),
  );
  const newState = () => new KpiState(definition.id, signature, plan, definition.grain);
  const check = (state: KpiPartialState): void => {
    if (state.format !== PARTIAL_STATE_FORMAT || state.kpiId !== definition.id || state.signature !== signature) {
      throw new IncompatibleStateError(
        `partial state of ${state.kpiId} (signature ${state.signature}, format ${state.format}) does not belong to ${definition.id} (signature ${signature}): recompute it`,
      );
    }
  };
  const accumulatorOf = (state: KpiState): KpiAccumulator => ({
    add: (dataset, record) => state.add(dataset, record),
    addAll: (dataset, records) => state.addAll(dataset, records),
    absorb: (partial) => {
      check(partial);
      state.absorb(partial);
    },
    state: () => state.toJSON(),
    finalize: (options) => finalizeState(definition, plan, state, options),
  });
  const datasets = newState().datasets;

  return {
    definition,
    signature,
    datasets,
    accumulator: () => accumulatorOf(newState()),
    partial(dataset, records) {
      const state = newState();
      state.addAll(dataset, records);
      return state.toJSON();
    },
    merge(states) {
      const state = newState();
      for (const partial of states) {
        check(partial);
        state.absorb(partial);
      }
      return state.toJSON();
    },
    finalize(partial, options) {
      check(partial);
      const state = newState();
      state.absorb(partial);
      return finalizeState(definition, plan, state, options);
    },
    inputRanges: (from, to) => inputRanges(definition, plan, from, to),
  };
}

function inputRanges(
  definition: KpiDefinition,
  plan: CompiledPlan,
  from: number,
  to: number,
): Record<string, InputRange> {
  const first = shiftPeriod(definition.grain, periodStart(definition.grain, from), -plan.periodsBack);
  const ranges: Record<string, InputRange> = {};
  const widen = (dataset: string, rangeFrom: number | null, rangeTo: number) => {
    const current = ranges[dataset];
    if (current === undefined) {
      ranges[dataset] = { from: rangeFrom, to: rangeTo };
      return;
    }
    ranges[dataset] = {
      from: current.from === null || rangeFrom === null ? null : Math.min(current.from, rangeFrom),
      to: Math.max(current.to, rangeTo),
    };
  };
  for (const measure of plan.measures) widen(measure.dataset, first, to);
  const visit = (node: CompiledPlan['root']): void => {
    switch (node.kind) {
      case 'conversion':
        widen(node.entity.start.dataset, first, to);
        widen(node.entity.end.dataset, first, to + node.windowMillis);
        return;
      case 'entity_duration':
        if (node.placeBy === 'start') {
          widen(node.entity.start.dataset, first, to);
          widen(node.entity.end.dataset, first, to + (node.windowMillis as number));
        } else {
          widen(node.entity.start.dataset, node.windowMillis === null ? null : first - node.windowMillis, to);
          widen(node.entity.end.dataset, first, to);
        }
        return;
      case 'treatment_lift':
        visit(node.treatment);
        visit(node.control);
        return;
      case 'change':
      case 'streak':
        visit(node.of);
        return;
      default:
        return;
    }
  };
  visit(plan.root);
  return ranges;
}

// Domain: the engine's public face. A definition compiles once; records of each partition become a
// partial state; partial states merge in any order; a merged state finalizes into KPI values.
import { canonicalJson, fingerprint } from '../canonical';
import type { ColumnBatch } from '../dataset/columns';
import { IncompatibleStateError } from '../definition/errors';
import type { KpiDefinition } from '../definition/schema';
import type { TypedRecord } from '../records';
import { type CompiledPlan, compilePlan } from './compile';
import { type FinalizeOptions, finalizeState, type KpiComputation } from './finalize';
import { SKETCH_RELATIVE_ACCURACY } from './quantiles';
import { type KpiPartialState, KpiState, PARTIAL_STATE_FORMAT, RecordPlacers } from './state';
import { ALL_TIME_END, periodStart, shiftPeriod } from './time';

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
  /** Adds a batch of records of `dataset` held as columns (the same state as adding its records). */
  addColumns(dataset: string, columns: ColumnBatch): void;
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
  /**
   * An empty accumulator. With `placers` shared by accumulators fed the same batches, each batch
   * is placed once for all of them; call `placers.forget()` before each new batch (or use
   * {@link accumulateTogether}, which does).
   */
  accumulator(placers?: RecordPlacers): KpiAccumulator;
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
  const newState = (placers?: RecordPlacers) => new KpiState(definition.id, signature, plan, definition.grain, placers);
  const check = (state: KpiPartialState): void => {
    if (state.format !== PARTIAL_STATE_FORMAT || state.kpiId !== definition.id || state.signature !== signature) {
      throw new IncompatibleStateError(
        `partial state of ${state.kpiId} (signature ${state.signature}, format ${state.format}) does not belong to ${definition.id} (signature ${signature}): recompute it`,
      );
    }
  };
  const accumulatorOf = (state: KpiState, shared: boolean): KpiAccumulator => ({
    add: (dataset, record) => state.add(dataset, record),
    addAll: shared
      ? (dataset, records) => state.addPlaced(dataset, Array.isArray(records) ? records : [...records])
      : (dataset, records) => state.addAll(dataset, records),
    addColumns: shared
      ? (dataset, columns) => state.addColumns(dataset, columns)
      : (dataset, columns) => state.addColumnsAlone(dataset, columns),
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
    accumulator: (placers) => accumulatorOf(newState(placers), placers !== undefined),
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

/** Accumulators of several KPIs fed the same batches. */
export interface KpiAccumulators {
  /** One per KPI, in the order given. */
  readonly accumulators: readonly KpiAccumulator[];
  /** Adds records of `dataset` to every KPI that reads it. */
  addAll(dataset: string, records: Iterable<TypedRecord>): void;
  /** Adds a batch of records of `dataset` held as columns to every KPI that reads it. */
  addColumns(dataset: string, columns: ColumnBatch): void;
}

/**
 * Accumulates several KPIs at once. Measures that place records alike (same dataset, time field,
 * grain and dimensions), in one KPI or in several, find each record's period and group once per
 * batch instead of once each. The states are the same as with one accumulator per KPI.
 * @example
 * const together = accumulateTogether(kpis);
 * for await (const batch of read) together.addAll('ad_performance', batch.records);
 * const values = together.accumulators.map((a) => a.finalize({ asOf }));
 */
export function accumulateTogether(kpis: readonly CompiledKpi[]): KpiAccumulators {
  const placers = new RecordPlacers();
  const accumulators = kpis.map((kpi) => kpi.accumulator(placers));
  return {
    accumulators,
    addAll(dataset, records) {
      const batch = Array.isArray(records) ? (records as readonly TypedRecord[]) : [...records];
      placers.forget();
      for (const accumulator of accumulators) accumulator.addAll(dataset, batch);
      placers.forget();
    },
    addColumns(dataset, columns) {
      placers.forget();
      for (const accumulator of accumulators) accumulator.addColumns(dataset, columns);
      placers.forget();
    },
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
      case 'entity_duration': {
        // Kept negative durations pair an end with a start up to a window after it (validation
        // requires the window then).
        const ahead = node.keepNegative ? (node.windowMillis as number) : 0;
        if (node.placeBy === 'start') {
          widen(node.entity.start.dataset, first, to);
          widen(node.entity.end.dataset, first - ahead, to + (node.windowMillis as number));
        } else {
          widen(node.entity.start.dataset, node.windowMillis === null ? null : first - node.windowMillis, to + ahead);
          widen(node.entity.end.dataset, first, to);
        }
        return;
      }
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
  for (const [dataset, range] of Object.entries(ranges)) {
    // The all_time period reads every record, however early or late; no range reaches past the
    // last instant a period can hold (a window added to it would write a five-digit year).
    ranges[dataset] =
      definition.grain === 'all_time'
        ? { from: null, to: ALL_TIME_END }
        : { from: range.from, to: Math.min(range.to, ALL_TIME_END) };
  }
  return ranges;
}

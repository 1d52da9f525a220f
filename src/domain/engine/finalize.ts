// Domain: from a KPI's merged state to its values: one per period and group, plus the overall row.
import { evaluateExpression } from '../definition/expression';
import type { KpiDefinition } from '../definition/schema';
import { ValidationError } from '../errors';
import { evaluateStatus } from '../evaluation/status';
import type { FieldValue } from '../records';
import {
  type AggregateResult,
  type AggregationKind,
  type Aggregator,
  createAggregator,
  resultOfMerged,
} from './aggregators';
import type { CalculationNode, CompiledPlan, EntityPlan, SkipReason } from './compile';
import { compareText, type EntityTable, type KpiState, type MeasureTable } from './state';
import { isoTime, periodEnd, periodStart, periodsBetween, shiftPeriod } from './time';
import type { KpiValue } from './value';

/** Options of {@link finalizeState}. */
export interface FinalizeOptions {
  /**
   * The instant the values are computed for (epoch ms): periods not closed by then (including any
   * conversion window) are provisional. Passed in, never read from a clock, so recomputation is exact.
   */
  readonly asOf: number;
  /** First instant reported; the period containing it is the first one. @default the first period with data */
  readonly from?: number;
  /** Instant before which periods start. @default after the last period with data */
  readonly to?: number;
  /** Version reported with each value. @default the definition's version, or 0 */
  readonly version?: number;
}

/** Values of a KPI and the records it could not use. */
export interface KpiComputation {
  /** Ordered by period, then the overall row, then groups by their dimension values. */
  readonly values: KpiValue[];
  /** Part of the calculation (measure or entity join) → reason → records skipped. */
  readonly skipped: Record<string, Record<string, number>>;
}

/** Most periods one computation reports: beyond, ask for a narrower range. */
export const MAX_PERIODS = 200_000;

const OVERALL = '';

interface Evaluated {
  readonly value: number | null;
  readonly sampleSize: number;
  readonly reason: string | null;
  readonly components: Record<string, number | null>;
}

interface FunnelCounts {
  entered: number;
  converted: number;
}

/** Per period, per group, something mergeable into an overall value. */
class Table<T> {
  readonly periods = new Map<number, Map<string, T>>();
  private readonly overall = new Map<number, T>();
  constructor(
    private readonly empty: () => T,
    private readonly mergeInto: (target: T, source: T) => void,
  ) {}

  at(start: number, group: string): T {
    if (group === OVERALL) return this.overallAt(start);
    return this.periods.get(start)?.get(group) ?? this.empty();
  }

  slot(start: number, group: string): T {
    let groups = this.periods.get(start);
    if (groups === undefined) {
      groups = new Map();
      this.periods.set(start, groups);
    }
    let value = groups.get(group);
    if (value === undefined) {
      value = this.empty();
      groups.set(group, value);
    }
    return value;
  }

  private overallAt(start: number): T {
    let total = this.overall.get(start);
    if (total === undefined) {
      total = this.empty();
      for (const value of this.periods.get(start)?.values() ?? []) this.mergeInto(total, value);
      this.overall.set(start, total);
    }
    return total;
  }
}

/** Per period, per group, an aggregation. */
class AggregatorTable extends Table<Aggregator> {
  private readonly overallResults = new Map<number, AggregateResult>();
  constructor(private readonly kind: AggregationKind) {
    super(
      () => createAggregator(kind),
      (target, source) => target.merge(source),
    );
  }

  /** The result of a group, or of the overall row: the groups merged, read without building the merge where the kind allows. */
  resultAt(start: number, group: string): AggregateResult {
    if (group !== OVERALL) return this.at(start, group).result();
    let result = this.overallResults.get(start);
    if (result === undefined) {
      result = resultOfMerged(this.kind, [...(this.periods.get(start)?.values() ?? [])]);
      this.overallResults.set(start, result);
    }
    return result;
  }
}

/**
 * Computes the values of a KPI from its state.
 * @throws ValidationError when the range holds more than {@link MAX_PERIODS} periods.
 */
export function finalizeState(
  definition: KpiDefinition,
  plan: CompiledPlan,
  state: KpiState,
  options: FinalizeOptions,
): KpiComputation {
  const grain = definition.grain;
  const measureTables = new Map<string, AggregatorTable>();
  for (const table of state.measures) measureTables.set(table.plan.key, measureTable(table));
  const entityTables = new Map<string, EntityTable>(state.entities.map((table) => [table.plan.key, table]));
  const funnels = new Map<string, Table<FunnelCounts>>();
  const durations = new Map<string, AggregatorTable>();

  const funnelTable = (entity: EntityPlan, windowMillis: number): Table<FunnelCounts> => {
    let table = funnels.get(entity.key);
    if (table === undefined) {
      table = buildFunnel(entityTables.get(entity.key) as EntityTable, windowMillis, (time) =>
        periodStart(grain, time),
      );
      funnels.set(entity.key, table);
    }
    return table;
  };
  /** Entity join key → reason → entities that gave no duration. */
  const dropped = new Map<string, Map<string, number>>();
  const durationTable = (node: Extract<CalculationNode, { kind: 'entity_duration' }>): AggregatorTable => {
    let table = durations.get(node.entity.key);
    if (table === undefined) {
      const counts = new Map<string, number>();
      table = buildDurations(
        entityTables.get(node.entity.key) as EntityTable,
        node,
        (time) => periodStart(grain, time),
        counts,
      );
      durations.set(node.entity.key, table);
      dropped.set(node.entity.key, counts);
    }
    return table;
  };

  const tablesOf = (node: CalculationNode): Table<unknown>[] => {
    switch (node.kind) {
      case 'aggregate':
      case 'duration':
        return [measureTables.get(node.measure.key) as Table<unknown>];
      case 'ratio':
        return [node.numerator, node.denominator].map((m) => measureTables.get(m.key) as Table<unknown>);
      case 'arithmetic':
        return Object.values(node.measures).map((m) => measureTables.get(m.key) as Table<unknown>);
      case 'conversion':
        return [funnelTable(node.entity, node.windowMillis) as Table<unknown>];
      case 'entity_duration':
        return [durationTable(node) as Table<unknown>];
      case 'treatment_lift':
        return [...tablesOf(node.treatment), ...tablesOf(node.control)];
      case 'change':
      case 'streak':
        return tablesOf(node.of);
    }
  };

  const evaluate = (node: CalculationNode, start: number, group: string): Evaluated => {
    switch (node.kind) {
      case 'aggregate':
        return fromAggregate((measureTables.get(node.measure.key) as AggregatorTable).resultAt(start, group));
      case 'duration':
        return scaled(
          fromAggregate((measureTables.get(node.measure.key) as AggregatorTable).resultAt(start, group)),
          node.unitMillis,
        );
      case 'ratio': {
        const numerator = (measureTables.get(node.numerator.key) as AggregatorTable).resultAt(start, group);
        const denominator = (measureTables.get(node.denominator.key) as AggregatorTable).resultAt(start, group);
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
      }
      case 'arithmetic': {
        const values: Record<string, number | null> = {};
        let sampleSize = Number.POSITIVE_INFINITY;
        const reasons: string[] = [];
        for (const [name, measure] of Object.entries(node.measures)) {
          const result = (measureTables.get(measure.key) as AggregatorTable).resultAt(start, group);
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
      }
      case 'conversion': {
        const counts = funnelTable(node.entity, node.windowMillis).at(start, group);
        const components = { entered: counts.entered, converted: counts.converted };
        if (counts.entered === 0) {
          return { value: null, sampleSize: 0, reason: 'no entity entered the funnel in the period', components };
        }
        return { value: counts.converted / counts.entered, sampleSize: counts.entered, reason: null, components };
      }
      case 'entity_duration':
        return scaled(fromAggregate(durationTable(node).resultAt(start, group)), node.unitMillis);
      case 'treatment_lift': {
        const treatment = evaluate(node.treatment, start, group);
        const control = evaluate(node.control, start, group);
        const components = { treatment: treatment.value, control: control.value };
        const sampleSize = Math.min(treatment.sampleSize, control.sampleSize);
        if (treatment.value === null) {
          return { value: null, sampleSize, reason: `treatment: ${treatment.reason}`, components };
        }
        if (control.value === null)
          return { value: null, sampleSize, reason: `control: ${control.reason}`, components };
        if (control.value === 0) return { value: null, sampleSize, reason: 'control value is 0', components };
        const difference =
          node.effect === 'increase' ? treatment.value - control.value : control.value - treatment.value;
        return { value: difference / Math.abs(control.value), sampleSize, reason: null, components };
      }
      case 'change': {
        const current = evaluate(node.of, start, group);
        const previous = evaluate(node.of, shiftPeriod(grain, start, -1), group);
        const components = { current: current.value, previous: previous.value };
        const sampleSize = Math.min(current.sampleSize, previous.sampleSize);
        if (current.value === null) return { value: null, sampleSize, reason: current.reason, components };
        if (previous.value === null) {
          return { value: null, sampleSize, reason: `previous period: ${previous.reason}`, components };
        }
        if (node.mode === 'absolute') {
          return { value: current.value - previous.value, sampleSize, reason: null, components };
        }
        if (previous.value === 0) return { value: null, sampleSize, reason: 'previous period value is 0', components };
        return {
          value: (current.value - previous.value) / Math.abs(previous.value),
          sampleSize,
          reason: null,
          components,
        };
      }
      case 'streak': {
        const current = evaluate(node.of, start, group);
        let later = current.value;
        let run = 0;
        let previousValue: number | null = null;
        for (let step = 1; step <= node.lookback && later !== null; step++) {
          const earlier = evaluate(node.of, shiftPeriod(grain, start, -step), group).value;
          if (step === 1) previousValue = earlier;
          if (earlier === null) break;
          const moved = node.direction === 'decreasing' ? later < earlier : later > earlier;
          if (!moved) break;
          run += 1;
          later = earlier;
        }
        const components = { current: current.value, previous: previousValue };
        if (current.value === null) {
          return { value: null, sampleSize: current.sampleSize, reason: current.reason, components };
        }
        return { value: run, sampleSize: current.sampleSize, reason: null, components };
      }
    }
  };

  const tables = tablesOf(plan.root);
  const dataPeriods = new Set<number>();
  for (const table of tables) for (const start of table.periods.keys()) dataPeriods.add(start);
  const periods = reportedPeriods(definition, dataPeriods, options);

  const version = options.version ?? definition.version ?? 0;
  const values: KpiValue[] = [];
  // Dimension values by group key: a key recurs in every period.
  const groupValues = new Map<string, FieldValue[]>();
  for (const start of periods) {
    const end = periodEnd(grain, start);
    const periodStartText = isoTime(start);
    const periodEndText = isoTime(end);
    const groups = new Set<string>();
    if (plan.dimensionNames.length > 0) {
      for (const table of tables) for (const group of table.periods.get(start)?.keys() ?? []) groups.add(group);
    }
    const provisional = options.asOf < end + plan.settleMillis;
    for (const group of [OVERALL, ...[...groups].sort(compareText)]) {
      const evaluated = evaluate(plan.root, start, group);
      const status = evaluateStatus(definition.target, evaluated.value, evaluated.sampleSize, definition.minimumSample);
      values.push({
        kpiId: definition.id,
        version,
        periodStart: periodStartText,
        periodEnd: periodEndText,
        grain,
        dimensions: group === OVERALL ? {} : dimensionsOf(plan.dimensionNames, group, groupValues),
        value: evaluated.value,
        status,
        sampleSize: evaluated.sampleSize,
        reason:
          evaluated.reason ??
          (status === 'insufficient_data'
            ? `sample of ${evaluated.sampleSize} is below the minimum of ${definition.minimumSample}`
            : null),
        provisional,
        components: evaluated.components,
      });
    }
  }
  return { values, skipped: withDropped(state.skippedCounts(), dropped) };
}

function reportedPeriods(definition: KpiDefinition, dataPeriods: Set<number>, options: FinalizeOptions): number[] {
  const grain = definition.grain;
  const sorted = [...dataPeriods].sort((a, b) => a - b);
  const first = options.from ?? sorted[0];
  const last = options.to ?? (sorted.length === 0 ? undefined : periodEnd(grain, sorted[sorted.length - 1] as number));
  if (first === undefined || last === undefined) return [];
  let count = 0;
  for (let start = periodStart(grain, first); start < last; start = periodEnd(grain, start)) {
    count += 1;
    if (count > MAX_PERIODS) {
      throw new ValidationError(
        `${definition.id}: more than ${MAX_PERIODS} ${grain} periods between ${isoTime(first)} and ${isoTime(last)}; narrow the range with from/to`,
      );
    }
  }
  return periodsBetween(grain, first, last);
}

function dimensionsOf(
  names: readonly string[],
  group: string,
  parsed: Map<string, FieldValue[]>,
): Record<string, FieldValue> {
  let values = parsed.get(group);
  if (values === undefined) {
    values = JSON.parse(group) as FieldValue[];
    parsed.set(group, values);
  }
  const dimensions: Record<string, FieldValue> = {};
  for (let index = 0; index < names.length; index++) dimensions[names[index] as string] = values[index] ?? null;
  return dimensions;
}

function fromAggregate(result: AggregateResult): Evaluated {
  return { value: result.value, sampleSize: result.sampleSize, reason: result.reason, components: {} };
}

function scaled(evaluated: Evaluated, unitMillis: number): Evaluated {
  return evaluated.value === null || unitMillis === 1
    ? evaluated
    : { ...evaluated, value: evaluated.value / unitMillis };
}

function measureTable(source: MeasureTable): AggregatorTable {
  const table = new AggregatorTable(source.plan.kind);
  for (const [start, groups] of source.periods) table.periods.set(start, groups);
  return table;
}

function buildFunnel(
  entities: EntityTable,
  windowMillis: number,
  periodOf: (time: number) => number,
): Table<FunnelCounts> {
  const table = new Table<FunnelCounts>(
    () => ({ entered: 0, converted: 0 }),
    (target, value) => {
      target.entered += value.entered;
      target.converted += value.converted;
    },
  );
  for (const [entity, start] of entities.starts) {
    const counts = table.slot(periodOf(start.time), start.group);
    counts.entered += 1;
    const end = firstAtOrAfter(entities.endTimes(entity), start.time);
    if (end !== undefined && end < start.time + windowMillis) counts.converted += 1;
  }
  return table;
}

/**
 * The durations of an entity join by period and group: each entity's first start paired with its
 * first end at or after it (or, keeping negatives, its latest end before it), within the window.
 * `dropped` counts, by reason, the entities that give no duration.
 */
function buildDurations(
  entities: EntityTable,
  node: Extract<CalculationNode, { kind: 'entity_duration' }>,
  periodOf: (time: number) => number,
  dropped: Map<string, number>,
): AggregatorTable {
  const table = new AggregatorTable(node.statistic);
  const drop = (reason: SkipReason) => dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
  const window = node.windowMillis;
  for (const [entity, start] of entities.starts) {
    const times = entities.endTimes(entity);
    if (times.length === 0) {
      drop('no_end');
      continue;
    }
    let end = firstAtOrAfter(times, start.time);
    if (end === undefined) {
      if (!node.keepNegative) {
        drop('negative_duration');
        continue;
      }
      end = times[times.length - 1] as number;
    }
    if (window !== null && (end >= start.time + window || end <= start.time - window)) {
      drop('outside_window');
      continue;
    }
    const placedAt = node.placeBy === 'start' ? start.time : end;
    table.slot(periodOf(placedAt), start.group).add(end - start.time);
  }
  return table;
}

/** The engine's skipped records with the entities dropped at the join added, parts and reasons sorted. */
function withDropped(
  skipped: Record<string, Record<string, number>>,
  dropped: ReadonlyMap<string, ReadonlyMap<string, number>>,
): Record<string, Record<string, number>> {
  const merged = new Map<string, Map<string, number>>();
  for (const [part, reasons] of Object.entries(skipped)) merged.set(part, new Map(Object.entries(reasons)));
  for (const [part, reasons] of dropped) {
    if (reasons.size === 0) continue;
    const target = merged.get(part) ?? new Map<string, number>();
    for (const [reason, count] of reasons) target.set(reason, (target.get(reason) ?? 0) + count);
    merged.set(part, target);
  }
  const sorted: Record<string, Record<string, number>> = {};
  for (const part of [...merged.keys()].sort(compareText)) {
    const reasons = merged.get(part) as Map<string, number>;
    sorted[part] = Object.fromEntries([...reasons].sort((a, b) => compareText(a[0], b[0])));
  }
  return sorted;
}

/** The first of sorted `times` that is ≥ `time`. */
function firstAtOrAfter(times: readonly number[], time: number): number | undefined {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] as number) < time) low = middle + 1;
    else high = middle;
  }
  return times[low];
}

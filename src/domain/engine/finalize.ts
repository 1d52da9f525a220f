import type { KpiDefinition } from '../definition/schema';
import { PipelineError, ValidationError } from '../errors';
import { evaluateStatus } from '../evaluation/status';
import type { FieldValue } from '../records';
import type { CompiledPlan, EntityPlan, MeasurePlan } from './compile';
import { type EvaluationContext, evaluateNode, nodeTables } from './evaluators';
import {
  type AggregatorTable,
  buildDurations,
  buildFunnel,
  type FunnelCounts,
  measureTable,
  OVERALL,
  type PeriodGroups,
  type Table,
} from './finalize-tables';
import { compareText, type EntityTable, type KpiState } from './state';
import { isoTime, periodEnd, periodStart, periodsBetween } from './time';
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
  /** Entity join key → reason → entities that gave no duration. */
  const dropped = new Map<string, Map<string, number>>();
  const context = evaluationContext(definition, state, dropped);
  const tables = context.tables(plan.root);
  const dataPeriods = new Set<number>();
  for (const table of tables) for (const start of table.periods.keys()) dataPeriods.add(start);
  const version = options.version ?? definition.version ?? 0;
  const values: KpiValue[] = [];
  // Dimension values by group key: a key recurs in every period.
  const groupValues = new Map<string, FieldValue[]>();
  for (const start of reportedPeriods(definition, dataPeriods, options)) {
    const end = periodEnd(grain, start);
    const period = {
      periodStart: isoTime(start),
      periodEnd: isoTime(end),
      provisional: options.asOf < end + plan.settleMillis,
    };
    for (const group of [OVERALL, ...groupsOf(plan, tables, start)]) {
      const evaluated = context.evaluate(plan.root, start, group);
      const status = evaluateStatus(definition.target, evaluated.value, evaluated.sampleSize, definition.minimumSample);
      values.push({
        kpiId: definition.id,
        version,
        periodStart: period.periodStart,
        periodEnd: period.periodEnd,
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
        provisional: period.provisional,
        components: evaluated.components,
      });
    }
  }
  return { values, skipped: withDropped(state.skippedCounts(), dropped) };
}

/**
 * The tables of a state as evaluators read them: measures as accumulated, entity joins as funnels
 * or durations built on first use (`dropped` collects, per join, the entities that gave no duration).
 */
function evaluationContext(
  definition: KpiDefinition,
  state: KpiState,
  dropped: Map<string, Map<string, number>>,
): EvaluationContext {
  const grain = definition.grain;
  const periodOf = (time: number) => periodStart(grain, time);
  const measures = new Map(state.measures.map((table) => [table.plan.key, measureTable(table)]));
  const entities = new Map(state.entities.map((table) => [table.plan.key, table]));
  const funnels = new Map<string, Table<FunnelCounts>>();
  const durations = new Map<string, AggregatorTable>();
  const entityTable = (entity: EntityPlan): EntityTable =>
    entities.get(entity.key) ?? missing(definition, `entity join ${entity.key}`);
  const context: EvaluationContext = {
    grain,
    measure: (plan: MeasurePlan) => measures.get(plan.key) ?? missing(definition, `measure ${plan.key}`),
    funnel(entity, windowMillis) {
      const known = funnels.get(entity.key);
      if (known) return known;
      const table = buildFunnel(entityTable(entity), windowMillis, periodOf);
      funnels.set(entity.key, table);
      return table;
    },
    durations(node) {
      const known = durations.get(node.entity.key);
      if (known) return known;
      const counts = new Map<string, number>();
      const table = buildDurations(entityTable(node.entity), node, periodOf, counts);
      durations.set(node.entity.key, table);
      dropped.set(node.entity.key, counts);
      return table;
    },
    evaluate: (node, start, group) => evaluateNode(node, start, group, context),
    tables: (node) => nodeTables(node, context),
  };
  return context;
}

function missing(definition: KpiDefinition, part: string): never {
  throw new PipelineError(`${definition.id}: the state holds no ${part} of the compiled plan`);
}

/** The groups (keys, sorted) with data in the period, when the KPI has dimensions. */
function groupsOf(plan: CompiledPlan, tables: readonly PeriodGroups[], start: number): string[] {
  if (plan.dimensionNames.length === 0) return [];
  const groups = new Set<string>();
  for (const table of tables) for (const group of table.periods.get(start)?.keys() ?? []) groups.add(group);
  return [...groups].sort(compareText);
}

function reportedPeriods(definition: KpiDefinition, dataPeriods: Set<number>, options: FinalizeOptions): number[] {
  const grain = definition.grain;
  const sorted = [...dataPeriods].sort((a, b) => a - b);
  const first = options.from ?? sorted[0];
  const newest = sorted.at(-1);
  const last = options.to ?? (newest === undefined ? undefined : periodEnd(grain, newest));
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
  for (const [index, name] of names.entries()) dimensions[name] = values[index] ?? null;
  return dimensions;
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
  for (const [part, reasons] of [...merged].sort((a, b) => compareText(a[0], b[0]))) {
    sorted[part] = Object.fromEntries([...reasons].sort((a, b) => compareText(a[0], b[0])));
  }
  return sorted;
}

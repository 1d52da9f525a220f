// Domain: what finalizing reads, per period and group: a measure's aggregations, an entity join's
// funnel counts or durations. Each also gives the overall row of a period: its groups merged.
import {
  type AggregateResult,
  type AggregationKind,
  type Aggregator,
  createAggregator,
  resultOfMerged,
} from './aggregators';
import type { CalculationNode, SkipReason } from './compile';
import type { EntityTable, MeasureTable } from './state';

/** The group key of a period's overall row. */
export const OVERALL = '';

/** The periods and groups a table holds data for. */
export interface PeriodGroups {
  readonly periods: ReadonlyMap<number, ReadonlyMap<string, unknown>>;
}

/** Entities that entered a funnel in a period and group, and those of them that converted in the window. */
export interface FunnelCounts {
  entered: number;
  converted: number;
}

/** Per period, per group, something mergeable into an overall value. */
export class Table<T> implements PeriodGroups {
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
export class AggregatorTable extends Table<Aggregator> {
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

/** A measure's accumulated aggregations as a table finalizing reads. */
export function measureTable(source: MeasureTable): AggregatorTable {
  const table = new AggregatorTable(source.plan.kind);
  for (const [start, groups] of source.periods) table.periods.set(start, groups);
  return table;
}

/** The funnel of an entity join by period and group: each entity's first start, converted when an end follows within the window. */
export function buildFunnel(
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
export function buildDurations(
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
    const end = firstAtOrAfter(times, start.time) ?? (node.keepNegative ? times.at(-1) : undefined);
    if (end === undefined) {
      drop(times.length === 0 ? 'no_end' : 'negative_duration');
      continue;
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

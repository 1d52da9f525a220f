// Domain: the mergeable partial state of one KPI: per measure, per period, per group, an aggregation;
// per entity join, the first start and every end time of each entity; and the records skipped, by reason.
import type { Grain } from '../definition/schema';
import type { FieldValue, TypedRecord } from '../records';
import { type Aggregator, type AggregatorJson, aggregatorFromJSON, createAggregator } from './aggregators';
import type { CompiledPlan, EntityPlan, EntitySidePlan, MeasurePlan, Skip, SkipReason } from './compile';
import { isMissing } from './filter';
import { isoTime, PeriodLocator } from './time';

/** Version of the partial-state format. */
export const PARTIAL_STATE_FORMAT = 1;

/**
 * The partial state of one KPI over some records: JSON, canonical (keys sorted, values ordered), so
 * the same records give byte-identical states whatever their order or partitioning.
 */
export interface KpiPartialState {
  readonly format: typeof PARTIAL_STATE_FORMAT;
  readonly kpiId: string;
  /** Fingerprint of everything in the definition that shapes the state; states merge only when equal. */
  readonly signature: string;
  /** Measure key → period start (ISO) → group key (JSON array of dimension values) → aggregation state. */
  readonly measures: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, AggregatorJson>>>>>>;
  /** Entity join key → entity (typed text) → first start [time, group key] / sorted distinct end times. */
  readonly entities: Readonly<
    Record<
      string,
      {
        readonly starts: Readonly<Record<string, readonly [number, string]>>;
        readonly ends: Readonly<Record<string, readonly number[]>>;
      }
    >
  >;
  /** Part (measure or entity join) → reason → records skipped. */
  readonly skipped: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Encodes dimension values as the JSON array used for group keys, caching per distinct value. */
class GroupKeyer {
  private readonly root = new Map<FieldValue, unknown>();
  constructor(private readonly fields: readonly string[]) {}

  key(record: TypedRecord): string {
    const fields = this.fields;
    if (fields.length === 0) return '[]';
    let node: Map<FieldValue, unknown> = this.root;
    for (let i = 0; i < fields.length - 1; i++) {
      const value = normalized(record[fields[i] as string]);
      let next = node.get(value) as Map<FieldValue, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const last = normalized(record[fields[fields.length - 1] as string]);
    let key = node.get(last) as string | undefined;
    if (key === undefined) {
      key = JSON.stringify(fields.map((field) => normalized(record[field])));
      node.set(last, key);
    }
    return key;
  }
}

function normalized(value: FieldValue | undefined): FieldValue {
  return isMissing(value) ? null : value;
}

/** Typed text of an entity id, so that 1 and "1" stay different entities. */
function entityText(value: FieldValue): string {
  return typeof value === 'string' ? `s:${value}` : `${typeof value === 'number' ? 'n' : 'b'}:${String(value)}`;
}

class SkipCounter {
  readonly counts = new Map<SkipReason, number>();
  count(reason: SkipReason, times = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + times);
  }
}

/** Accumulates one measure. */
export class MeasureTable {
  /** Period start → group key → aggregation. */
  readonly periods = new Map<number, Map<string, Aggregator>>();
  readonly skipped = new SkipCounter();
  private readonly keyer: GroupKeyer;
  private readonly locator: PeriodLocator;
  private currentStart = Number.NaN;
  private currentGroups: Map<string, Aggregator> | undefined;

  constructor(
    readonly plan: MeasurePlan,
    grain: Grain,
  ) {
    this.keyer = new GroupKeyer(plan.dimensionFields);
    this.locator = new PeriodLocator(grain);
  }

  add(record: TypedRecord): void {
    const plan = this.plan;
    if (plan.predicate !== null && !plan.predicate(record)) return;
    const time = record[plan.timeField];
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      this.skipped.count('missing_time');
      return;
    }
    const start = this.locator.locate(time);
    let groups = this.currentGroups;
    if (start !== this.currentStart || groups === undefined) {
      groups = this.periods.get(start);
      if (groups === undefined) {
        groups = new Map();
        this.periods.set(start, groups);
      }
      this.currentStart = start;
      this.currentGroups = groups;
    }
    const key = this.keyer.key(record);
    let aggregator = groups.get(key);
    if (aggregator === undefined) {
      aggregator = createAggregator(plan.kind);
      groups.set(key, aggregator);
    }
    const value = plan.read(record);
    if (value === undefined) return;
    if (typeof value === 'object' && value !== null) {
      this.skipped.count((value as Skip).skip);
      return;
    }
    aggregator.add(value);
  }

  aggregatorAt(start: number, key: string): Aggregator {
    let groups = this.periods.get(start);
    if (groups === undefined) {
      groups = new Map();
      this.periods.set(start, groups);
    }
    let aggregator = groups.get(key);
    if (aggregator === undefined) {
      aggregator = createAggregator(this.plan.kind);
      groups.set(key, aggregator);
    }
    return aggregator;
  }
}

/** First start (time, group) of an entity. */
interface EntityStart {
  time: number;
  group: string;
}

/** Accumulates one entity join. */
export class EntityTable {
  readonly starts = new Map<string, EntityStart>();
  readonly ends = new Map<string, number[]>();
  readonly skipped = new SkipCounter();
  private readonly keyer: GroupKeyer;

  constructor(readonly plan: EntityPlan) {
    this.keyer = new GroupKeyer(plan.start.dimensionFields);
  }

  addStart(record: TypedRecord): void {
    const side = this.plan.start;
    const located = this.locate(side, record);
    if (located === null) return;
    const group = this.keyer.key(record);
    this.offerStart(located.entity, located.time, group);
  }

  addEnd(record: TypedRecord): void {
    const located = this.locate(this.plan.end, record);
    if (located === null) return;
    this.offerEnd(located.entity, located.time);
  }

  offerStart(entity: string, time: number, group: string): void {
    const current = this.starts.get(entity);
    if (current === undefined || time < current.time || (time === current.time && group < current.group)) {
      this.starts.set(entity, { time, group });
    }
  }

  offerEnd(entity: string, time: number): void {
    const times = this.ends.get(entity);
    if (times === undefined) this.ends.set(entity, [time]);
    else times.push(time);
  }

  /** The end times of an entity, sorted and distinct. */
  endTimes(entity: string): readonly number[] {
    const times = this.ends.get(entity);
    if (times === undefined) return [];
    return sortedDistinct(times);
  }

  private locate(side: EntitySidePlan, record: TypedRecord): { entity: string; time: number } | null {
    if (side.predicate !== null && !side.predicate(record)) return null;
    const time = record[side.timeField];
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      this.skipped.count('missing_time');
      return null;
    }
    const id = record[side.entityKey];
    if (isMissing(id)) {
      this.skipped.count('missing_entity_key');
      return null;
    }
    return { entity: entityText(id), time };
  }
}

/** Sorts in place and removes duplicates; returns the same array. */
function sortedDistinct(times: number[]): number[] {
  times.sort((a, b) => a - b);
  let write = 0;
  for (let read = 0; read < times.length; read++) {
    if (read === 0 || times[read] !== times[write - 1]) times[write++] = times[read] as number;
  }
  times.length = write;
  return times;
}

/** The accumulating state of one KPI. */
export class KpiState {
  readonly measures: MeasureTable[];
  readonly entities: EntityTable[];
  private readonly routes = new Map<string, ((record: TypedRecord) => void)[]>();

  constructor(
    readonly kpiId: string,
    readonly signature: string,
    plan: CompiledPlan,
    readonly grain: Grain,
  ) {
    this.measures = plan.measures.map((measure) => new MeasureTable(measure, grain));
    this.entities = plan.entities.map((entity) => new EntityTable(entity));
    const route = (dataset: string, add: (record: TypedRecord) => void) => {
      const list = this.routes.get(dataset);
      if (list === undefined) this.routes.set(dataset, [add]);
      else list.push(add);
    };
    for (const table of this.measures) route(table.plan.dataset, (record) => table.add(record));
    for (const table of this.entities) {
      route(table.plan.start.dataset, (record) => table.addStart(record));
      route(table.plan.end.dataset, (record) => table.addEnd(record));
    }
  }

  /** Datasets this KPI reads. */
  get datasets(): string[] {
    return [...this.routes.keys()];
  }

  /** Adds one record of `dataset`; a dataset the KPI does not read is ignored. */
  add(dataset: string, record: TypedRecord): void {
    const adds = this.routes.get(dataset);
    if (adds === undefined) return;
    for (let i = 0; i < adds.length; i++) (adds[i] as (record: TypedRecord) => void)(record);
  }

  /** Adds records of `dataset`. */
  addAll(dataset: string, records: Iterable<TypedRecord>): void {
    const adds = this.routes.get(dataset);
    if (adds === undefined) return;
    if (adds.length === 1) {
      const add = adds[0] as (record: TypedRecord) => void;
      for (const record of records) add(record);
      return;
    }
    for (const record of records) for (const add of adds) add(record);
  }

  /** Adds a partial state (of the same signature). */
  absorb(state: KpiPartialState): void {
    for (const table of this.measures) {
      const periods = state.measures[table.plan.key] ?? {};
      for (const [period, groups] of Object.entries(periods)) {
        const start = Date.parse(period);
        for (const [key, json] of Object.entries(groups)) {
          table.aggregatorAt(start, key).merge(aggregatorFromJSON(table.plan.kind, json));
        }
      }
      for (const [reason, count] of Object.entries(state.skipped[table.plan.key] ?? {})) {
        table.skipped.count(reason as SkipReason, count);
      }
    }
    for (const table of this.entities) {
      const entities = state.entities[table.plan.key];
      if (entities !== undefined) {
        for (const [entity, [time, group]] of Object.entries(entities.starts)) table.offerStart(entity, time, group);
        for (const [entity, times] of Object.entries(entities.ends))
          for (const time of times) table.offerEnd(entity, time);
      }
      for (const [reason, count] of Object.entries(state.skipped[table.plan.key] ?? {})) {
        table.skipped.count(reason as SkipReason, count);
      }
    }
  }

  /** Skipped records: part → reason → count (parts and reasons sorted). */
  skippedCounts(): Record<string, Record<string, number>> {
    const skipped: Record<string, Record<string, number>> = {};
    const parts: [string, SkipCounter][] = [
      ...this.measures.map((table) => [table.plan.key, table.skipped] as [string, SkipCounter]),
      ...this.entities.map((table) => [table.plan.key, table.skipped] as [string, SkipCounter]),
    ];
    for (const [part, counter] of parts.sort((a, b) => compareText(a[0], b[0]))) {
      if (counter.counts.size === 0) continue;
      skipped[part] = Object.fromEntries([...counter.counts.entries()].sort((a, b) => compareText(a[0], b[0])));
    }
    return skipped;
  }

  /** The canonical JSON partial state. */
  toJSON(): KpiPartialState {
    const measures: Record<string, Record<string, Record<string, AggregatorJson>>> = {};
    for (const table of [...this.measures].sort((a, b) => compareText(a.plan.key, b.plan.key))) {
      const periods: Record<string, Record<string, AggregatorJson>> = {};
      for (const start of [...table.periods.keys()].sort((a, b) => a - b)) {
        const groups = table.periods.get(start) as Map<string, Aggregator>;
        const json: Record<string, AggregatorJson> = {};
        for (const key of [...groups.keys()].sort(compareText)) json[key] = (groups.get(key) as Aggregator).toJSON();
        periods[isoTime(start)] = json;
      }
      measures[table.plan.key] = periods;
    }
    const entities: Record<
      string,
      { starts: Record<string, readonly [number, string]>; ends: Record<string, readonly number[]> }
    > = {};
    for (const table of [...this.entities].sort((a, b) => compareText(a.plan.key, b.plan.key))) {
      const starts: Record<string, readonly [number, string]> = {};
      for (const entity of [...table.starts.keys()].sort(compareText)) {
        const start = table.starts.get(entity) as EntityStart;
        starts[entity] = [start.time, start.group];
      }
      const ends: Record<string, readonly number[]> = {};
      for (const entity of [...table.ends.keys()].sort(compareText)) ends[entity] = [...table.endTimes(entity)];
      entities[table.plan.key] = { starts, ends };
    }
    return {
      format: PARTIAL_STATE_FORMAT,
      kpiId: this.kpiId,
      signature: this.signature,
      measures,
      entities,
      skipped: this.skippedCounts(),
    };
  }
}

/** Code-unit order, the same everywhere (unlike localeCompare). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

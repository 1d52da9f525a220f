// Domain: the mergeable partial state of one KPI: per measure, per period, per group, an aggregation;
// per entity join, the first start and every end time of each entity; and the records skipped, by reason.
import type { ColumnBatch } from '../dataset/columns';
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

/**
 * Numbers the groups of records by their dimension values (a tree of maps, one level per
 * dimension) and keeps each group's key: the JSON array of its values.
 */
class GroupKeyer {
  private readonly root = new Map<FieldValue, unknown>();
  /** Group number → group key. */
  readonly keys: string[] = [];
  constructor(private readonly fields: readonly string[]) {}

  /** The number of the record's group. */
  group(record: TypedRecord): number {
    const fields = this.fields;
    if (fields.length === 0) return this.keys.length === 0 ? this.add('[]') : 0;
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
    let group = node.get(last) as number | undefined;
    if (group === undefined) {
      group = this.add(JSON.stringify(fields.map((field) => normalized(record[field]))));
      node.set(last, group);
    }
    return group;
  }

  /** The key of the record's group. */
  key(record: TypedRecord): string {
    return this.keys[this.group(record)] as string;
  }

  private add(key: string): number {
    this.keys.push(key);
    return this.keys.length - 1;
  }
}

/**
 * Places records in cells: a cell is one period (of a time field at a grain) and one group (of
 * dimension fields). Every measure of a dataset that places records alike (same time field,
 * grain and dimensions, in any KPI accumulated together) shares one placer, so a record is placed
 * once for all of them. Cells are numbered in the order they are first seen.
 */
export class RecordPlacer {
  /** Cell number → period start. */
  readonly cellStarts: number[] = [];
  /** Cell number → group key. */
  readonly cellGroups: string[] = [];
  private readonly keyer: GroupKeyer;
  private readonly locator: PeriodLocator;
  /** Period start → cell number by group number (-1: none yet). */
  private readonly cellsByPeriod = new Map<number, number[]>();
  private currentStart = Number.NaN;
  private currentCells: number[] = [];
  /** The last batch placed, and its cells (valid until the next call of `forget`). */
  private placedRecords: readonly TypedRecord[] | null = null;
  private placedCells = new Int32Array(0);
  /** The last batch of columns placed, and its cells in `placedCells` (until `forget`). */
  private placedColumns: ColumnBatch | null = null;

  constructor(
    private readonly timeField: string,
    grain: Grain,
    private readonly dimensionFields: readonly string[],
  ) {
    this.keyer = new GroupKeyer(dimensionFields);
    this.locator = new PeriodLocator(grain);
  }

  /** The cell of a record; -1 when its time is not a finite number. */
  place(record: TypedRecord): number {
    const time = record[this.timeField];
    if (typeof time !== 'number' || !Number.isFinite(time)) return -1;
    const cells = this.periodCells(time);
    return this.cellOf(cells, this.keyer.group(record));
  }

  /** The cells of the period of `time` by group number (and that period made the current one). */
  private periodCells(time: number): number[] {
    const start = this.locator.locate(time);
    if (start === this.currentStart) return this.currentCells;
    let known = this.cellsByPeriod.get(start);
    if (known === undefined) {
      known = [];
      this.cellsByPeriod.set(start, known);
    }
    this.currentStart = start;
    this.currentCells = known;
    return known;
  }

  /** The cell of `group` in the current period's `cells`, made when new. */
  private cellOf(cells: number[], group: number): number {
    let cell = group < cells.length ? (cells[group] as number) : -1;
    if (cell < 0) {
      cell = this.cellStarts.length;
      this.cellStarts.push(this.currentStart);
      this.cellGroups.push(this.keyer.keys[group] as string);
      while (cells.length < group) cells.push(-1);
      cells[group] = cell;
    }
    return cell;
  }

  /**
   * The cells of a batch of columns, as `placeAll` gives them for its records; null when the
   * columns cannot say (the time field is not a number column, or the records are grouped by more
   * than one field or by one that is not a text column).
   */
  placeColumns(columns: ColumnBatch): Int32Array | null {
    if (columns === this.placedColumns) return this.placedCells;
    const times = columns.numberColumn(this.timeField);
    const dimensions = this.dimensionFields;
    const codes = dimensions.length === 1 ? columns.textColumn(dimensions[0] as string) : null;
    if (times === null || dimensions.length > 1 || (dimensions.length === 1 && codes === null)) return null;
    if (this.placedCells.length < columns.length) this.placedCells = new Int32Array(columns.length);
    const cells = this.placedCells;
    // Group number by text code + 1 (0: null), found through the keyer once per code and batch.
    const groups = new Int32Array(columns.texts.texts.length + 1).fill(-1);
    const texts = columns.texts.texts;
    const field = dimensions[0] as string;
    for (let i = 0; i < columns.length; i++) {
      const time = times[i] as number;
      if (!Number.isFinite(time)) {
        cells[i] = -1;
        continue;
      }
      const period = this.periodCells(time);
      const code = codes === null ? -1 : (codes[i] as number);
      let group = groups[code + 1] as number;
      if (group < 0) {
        group = this.keyer.group(codes === null ? {} : { [field]: code < 0 ? null : (texts[code] as string) });
        groups[code + 1] = group;
      }
      cells[i] = this.cellOf(period, group);
    }
    this.placedColumns = columns;
    this.placedRecords = null;
    return cells;
  }

  /** The cells of a batch, placed once however many measures ask between two calls of `forget`. */
  placeAll(records: readonly TypedRecord[]): Int32Array {
    if (records === this.placedRecords) return this.placedCells;
    this.placedColumns = null;
    if (this.placedCells.length < records.length) this.placedCells = new Int32Array(records.length);
    const cells = this.placedCells;
    for (let i = 0; i < records.length; i++) cells[i] = this.place(records[i] as TypedRecord);
    this.placedRecords = records;
    return cells;
  }

  /** Ends a batch: the next `placeAll` places its records afresh. */
  forget(): void {
    this.placedRecords = null;
    this.placedColumns = null;
  }
}

/** The placers of accumulators fed the same batches, by what they place by. */
export class RecordPlacers {
  private readonly placers = new Map<string, RecordPlacer>();

  /** The placer of records of `dataset` by `timeField` at `grain`, grouped by `dimensionFields`. */
  placer(dataset: string, timeField: string, grain: Grain, dimensionFields: readonly string[]): RecordPlacer {
    const key = JSON.stringify([dataset, timeField, grain, dimensionFields]);
    let placer = this.placers.get(key);
    if (placer === undefined) {
      placer = new RecordPlacer(timeField, grain, dimensionFields);
      this.placers.set(key, placer);
    }
    return placer;
  }

  /** Ends a batch (see {@link RecordPlacer.forget}). */
  forget(): void {
    for (const placer of this.placers.values()) placer.forget();
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
  /** Cell number (of the placer) → aggregation. */
  private readonly byCell: (Aggregator | undefined)[] = [];

  constructor(
    readonly plan: MeasurePlan,
    private readonly placer: RecordPlacer,
  ) {}

  add(record: TypedRecord): void {
    if (this.plan.predicate !== null && !this.plan.predicate(record)) return;
    this.addAt(record, this.placer.place(record));
  }

  /** Adds a batch, placed by the shared placer. */
  addAll(records: readonly TypedRecord[]): void {
    const cells = this.placer.placeAll(records);
    const predicate = this.plan.predicate;
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as TypedRecord;
      if (predicate !== null && !predicate(record)) continue;
      this.addAt(record, cells[i] as number);
    }
  }

  /**
   * Adds a batch of columns, placed by the shared placer, as `addAll` adds its records.
   * @returns false (nothing added) when the columns cannot say what `read` would: a filter, a
   * value that is not a number column, a placer that cannot place columns
   */
  addColumns(columns: ColumnBatch): boolean {
    const read = this.plan.columnRead;
    if (this.plan.predicate !== null || read === null) return false;
    const values = read.field === null ? null : columns.numberColumn(read.field);
    if (read.field !== null && values === null) return false;
    const cells = this.placer.placeColumns(columns);
    if (cells === null) return false;
    for (let i = 0; i < columns.length; i++) {
      const cell = cells[i] as number;
      if (cell < 0) {
        this.skipped.count('missing_time');
        continue;
      }
      let aggregator = this.byCell[cell];
      if (aggregator === undefined) {
        aggregator = this.aggregatorAt(this.placer.cellStarts[cell] as number, this.placer.cellGroups[cell] as string);
        this.byCell[cell] = aggregator;
      }
      if (values === null) aggregator.add(true);
      else {
        const value = values[i] as number;
        // A null is NaN here, and adds nothing; `+ 0` turns -0 into 0, as the record reader does.
        if (!Number.isNaN(value)) aggregator.add(value + 0);
      }
    }
    return true;
  }

  private addAt(record: TypedRecord, cell: number): void {
    if (cell < 0) {
      this.skipped.count('missing_time');
      return;
    }
    let aggregator = this.byCell[cell];
    if (aggregator === undefined) {
      aggregator = this.aggregatorAt(this.placer.cellStarts[cell] as number, this.placer.cellGroups[cell] as string);
      this.byCell[cell] = aggregator;
    }
    const value = this.plan.read(record);
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
  /** Per dataset, the measure tables and entity sides that read it. */
  private readonly routes = new Map<string, { measures: MeasureTable[]; starts: EntityTable[]; ends: EntityTable[] }>();

  /** @param placers shared by the states of KPIs fed the same batches (see `accumulateTogether`) */
  constructor(
    readonly kpiId: string,
    readonly signature: string,
    plan: CompiledPlan,
    readonly grain: Grain,
    private readonly placers: RecordPlacers = new RecordPlacers(),
  ) {
    this.measures = plan.measures.map(
      (measure) =>
        new MeasureTable(measure, placers.placer(measure.dataset, measure.timeField, grain, measure.dimensionFields)),
    );
    this.entities = plan.entities.map((entity) => new EntityTable(entity));
    const route = (dataset: string) => {
      let entry = this.routes.get(dataset);
      if (entry === undefined) {
        entry = { measures: [], starts: [], ends: [] };
        this.routes.set(dataset, entry);
      }
      return entry;
    };
    for (const table of this.measures) route(table.plan.dataset).measures.push(table);
    for (const table of this.entities) {
      route(table.plan.start.dataset).starts.push(table);
      route(table.plan.end.dataset).ends.push(table);
    }
  }

  /** Datasets this KPI reads. */
  get datasets(): string[] {
    return [...this.routes.keys()];
  }

  /** Adds one record of `dataset`; a dataset the KPI does not read is ignored. */
  add(dataset: string, record: TypedRecord): void {
    const route = this.routes.get(dataset);
    if (route === undefined) return;
    for (const table of route.measures) table.add(record);
    for (const table of route.starts) table.addStart(record);
    for (const table of route.ends) table.addEnd(record);
  }

  /** Adds records of `dataset`. */
  addAll(dataset: string, records: Iterable<TypedRecord>): void {
    if (!Array.isArray(records)) {
      for (const record of records) this.add(dataset, record);
      return;
    }
    this.placers.forget();
    this.addPlaced(dataset, records);
    this.placers.forget();
  }

  /**
   * Adds a batch of `dataset` placed by the shared placers: with states of other KPIs fed the
   * same batch, between two calls of `RecordPlacers.forget`.
   */
  addPlaced(dataset: string, records: readonly TypedRecord[]): void {
    const route = this.routes.get(dataset);
    if (route === undefined) return;
    for (const table of route.measures) table.addAll(records);
    for (const table of route.starts) for (const record of records) table.addStart(record);
    for (const table of route.ends) for (const record of records) table.addEnd(record);
  }

  /** Adds a batch of columns of `dataset` (placers not shared with other states). */
  addColumnsAlone(dataset: string, columns: ColumnBatch): void {
    this.placers.forget();
    this.addColumns(dataset, columns);
    this.placers.forget();
  }

  /**
   * Adds a batch of columns of `dataset` placed by the shared placers (see `addPlaced`). Measures
   * the columns cannot feed, and entity joins, read its records.
   */
  addColumns(dataset: string, columns: ColumnBatch): void {
    const route = this.routes.get(dataset);
    if (route === undefined) return;
    for (const table of route.measures) if (!table.addColumns(columns)) table.addAll(columns.records());
    if (route.starts.length === 0 && route.ends.length === 0) return;
    const records = columns.records();
    for (const table of route.starts) for (const record of records) table.addStart(record);
    for (const table of route.ends) for (const record of records) table.addEnd(record);
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

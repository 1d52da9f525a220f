// Use case: compute one KPI over a range of periods from the raw store, incrementally. Each raw hour
// partition becomes a partial aggregate once, cached with the partition's fingerprint; a period is
// finalized again only when the partitions it reads changed (new or late batches), its definition
// or code changed, or it was still provisional. Values carry their lineage and drift assessment and
// are written only when they changed. The same inputs, definition, code and `asOf` always give the
// same values, byte for byte.

import { forEachConcurrently } from '../domain/concurrency';
import type { KpiDefinition } from '../domain/definition/schema';
import { type CompiledKpi, compileKpi } from '../domain/engine/kpi';
import type { KpiPartialState } from '../domain/engine/state';
import { isoTime, periodEnd, periodsBetween } from '../domain/engine/time';
import type { Annotation } from '../domain/evaluation/drift/annotations';
import {
  assessDriftInOrder,
  type FinalizedPeriod,
  historyLookbackPeriods,
  type SeriesPoint,
  type SeriesRead,
  seriesToRead,
} from '../domain/evaluation/drift-pass';
import {
  inputHours,
  latestUnchangedPeriod,
  type PeriodPlan,
  partitionKey,
  planPeriods,
} from '../domain/evaluation/due-periods';
import { type ComputedWith, keptPeriodEntry, periodLineage, periodValues } from '../domain/evaluation/period-values';
import type { KpiValue } from '../domain/values/kpi-value';
import type { Restatement } from '../domain/values/restatement';
import { sha256Hex } from '../domain/versioning/sha256';
import type { Clock } from '../ports/clock';
import type { DefinitionState, DefinitionStore } from '../ports/definition-store';
import type { Forecaster } from '../ports/forecast-model';
import type { InputArchive } from '../ports/input-archive';
import type { KpiValueStore } from '../ports/kpi-value-store';
import type { PartStateStore } from '../ports/part-states';
import {
  type CachedPartition,
  type KeptPartition,
  type KeptPeriod,
  monthOf,
  type PartialCache,
  type PartialIndex,
  type WantedState,
} from '../ports/partial-cache';
import type { RawPartition, RawPartitionSource } from '../ports/raw-partitions';
import { forecastPeriod } from './forecast-values';

/** `<dataset>/date=YYYY-MM-DD/hour=HH`: a partition's name in the cache. */
export { partitionKey };

export interface ComputeKpiRequest {
  readonly kpiId: string;
  /** Periods starting in [from, to) are computed (epoch ms; widened to whole periods). */
  readonly from: number;
  readonly to: number;
  /** The instant the values are computed as of: decides which periods are provisional. */
  readonly asOf: number;
  /** Finalize every period of the range, whatever the cache says. @default false */
  readonly force?: boolean;
}

export interface ComputeKpiDependencies {
  readonly definitions: Pick<DefinitionStore<KpiDefinition>, 'get'>;
  readonly raw: RawPartitionSource;
  readonly cache: PartialCache;
  readonly values: KpiValueStore;
  /** Where each period's full list of input partitions is archived; without it, only summaries. */
  readonly inputs?: InputArchive;
  /** Package version and commit of the computing code, recorded in lineage. */
  readonly codeVersion: string;
  /** The field a dataset is partitioned by in the raw store, when known (see widenRange). */
  readonly partitionTimeField?: (dataset: string) => string | undefined;
  readonly annotations?: readonly Annotation[];
  /** Partitions read and aggregated at once. @default 4 */
  readonly concurrency?: number;
  /**
   * States the parts of a fanned-out computation kept of stale partitions (see compute-kpi-part.ts):
   * taken, for a partition's current fingerprint only, before its raw objects are read.
   */
  readonly parts?: Pick<PartStateStore, 'take'>;
  /**
   * Asked with the stale partitions before any is aggregated: true when it handed the computation
   * to the fan-out (too much for one invocation), and this run stops there (`handed-off`).
   */
  readonly handOff?: (stale: readonly RawPartition[], request: ComputeKpiRequest) => Promise<boolean>;
  readonly clock?: Clock;
  /**
   * Forecasts the latest final value of each series (scheduled refreshes). Without it nothing is
   * forecast: backfills and explicit recomputes leave the past as it was evaluated.
   */
  readonly forecasting?: Forecaster;
}

/** What a partition's records (or some of its objects) come to. */
export interface AggregatedPartition {
  readonly state: KpiPartialState;
  readonly rows: number;
  readonly newestEventAt: string | null;
}

export interface ComputeKpiResult {
  readonly kpiId: string;
  /**
   * `computed`; `inactive` when the KPI is not published or is retired; `handed-off` when its
   * stale partitions were handed to the fan-out (see `handOff`).
   */
  readonly outcome: 'computed' | 'inactive' | 'handed-off';
  readonly version: number;
  readonly periods: { readonly inRange: number; readonly finalized: number };
  readonly partitions: { readonly read: number; readonly aggregated: number; readonly reused: number };
  readonly values: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly restatements: readonly Restatement[];
  /** Values created or updated, with their drift. */
  readonly written: readonly KpiValue[];
  /** The active definition it computed with. */
  readonly state: DefinitionState<KpiDefinition> | null;
  /** What the partial cache keeps of each raw partition of this KPI, as written by this run. */
  readonly keptPartitions?: Readonly<Record<string, CachedPartition>>;
}

export async function computeKpi(deps: ComputeKpiDependencies, request: ComputeKpiRequest): Promise<ComputeKpiResult> {
  const state = await deps.definitions.get(request.kpiId);
  if (state?.status !== 'active') return inactive(request.kpiId, state ?? null);
  const definition = state.definition;
  const kpi = compileKpi(definition);
  const starts = periodsBetween(definition.grain, request.from, request.to);
  if (starts.length === 0) return { ...inactive(request.kpiId, state), outcome: 'computed', version: state.version };

  // 1. The partitions the whole range reads; those changed since they were aggregated are aggregated.
  const partitions = await listInputs(kpi, starts, deps);
  const listed = [...partitions.values()].flat();
  const months = indexMonths(listed, starts);
  const index = await deps.cache.readIndex(definition.id, kpi.signature, months);
  const states = new Map<string, KpiPartialState>();
  /** States this run aggregated: kept for the next one. */
  const fresh = new Map<string, KeptPartition>();
  const stale = listed.filter((p) => index.partitions[partitionKey(p)]?.fingerprint !== p.fingerprint);
  if (deps.handOff && (await deps.handOff(stale, request))) {
    return { ...inactive(request.kpiId, state), outcome: 'handed-off', version: state.version };
  }
  await aggregateInto(stale, { kpi, states, fresh, index }, deps);

  // 2. The periods to finalize: those whose inputs, definition or code changed, or were provisional.
  const run: ComputedWith = {
    definition: { id: definition.id, version: state.version, hash: state.hash },
    codeVersion: deps.codeVersion,
    computedAt: isoTime(deps.clock?.now() ?? request.asOf),
    asOf: request.asOf,
  };
  const plans = planPeriods({
    kpi,
    starts,
    partitions,
    partitionTimeField: deps.partitionTimeField,
    kept: index.periods,
    definitionHash: state.hash,
    codeVersion: deps.codeVersion,
    force: request.force === true,
  });
  const due = plans.filter((p) => p.due);

  // 3. Finalize them with their lineage, then assess drift in time order against each series' history.
  const merged = await mergedInputs(kpi, due, { states, fresh, index }, deps);
  const finalized = await finalizePeriods(kpi, due, merged.merged, { index, run }, deps);
  const lookback = historyLookbackPeriods(definition, Boolean(deps.forecasting));
  const stored = await readSeries(deps, definition, seriesToRead(definition, finalized, lookback));
  const drift = assessDriftInOrder(definition, finalized, stored, deps.annotations ?? []);
  for (const period of finalized) {
    index.periods[isoTime(period.start)] = keptPeriodEntry(period.plan, period.values, period.inputsRef, run);
  }

  // 4. Forecast (the forecaster and its code are asked only when there is something to forecast), write.
  const forecast = {
    definition,
    values: drift.values,
    latestStoredFinal: latestUnchangedPeriod(plans),
    history: (key: string) => drift.series.get(key) ?? [],
    asOf: request.asOf,
  };
  const evaluated =
    deps.forecasting && forecastPeriod(forecast) !== null ? await deps.forecasting.forecast(forecast) : drift.values;
  const report = await deps.values.write(evaluated);
  await deps.cache.write(definition.id, kpi.signature, { partitions: fresh, periods: merged.changed, index, months });
  return {
    kpiId: definition.id,
    outcome: 'computed',
    version: state.version,
    periods: { inRange: starts.length, finalized: due.length },
    partitions: { read: listed.length, aggregated: fresh.size, reused: listed.length - fresh.size },
    values: { created: report.created, updated: report.updated, unchanged: report.unchanged },
    restatements: report.restatements,
    written: report.written,
    state,
    keptPartitions: index.partitions,
  };
}

/** What aggregating and merging a run's partitions fills in as it goes. */
interface RunStates {
  /** Partition key → its partial state, as read or aggregated. */
  readonly states: Map<string, KpiPartialState>;
  /** Partials this run aggregated: kept for the next one. */
  readonly fresh: Map<string, KeptPartition>;
  readonly index: PartialIndex;
}

/** A due period finalized: its plan, its values (drift not yet assessed), where its inputs are archived. */
interface FinalizedPlan extends FinalizedPeriod {
  readonly plan: PeriodPlan<RawPartition>;
  readonly values: KpiValue[];
  readonly inputsRef: string | null;
}

/** The raw partitions of each dataset the periods starting at `starts` read. */
export async function listInputs(
  kpi: CompiledKpi,
  starts: readonly number[],
  deps: Pick<ComputeKpiDependencies, 'raw' | 'partitionTimeField'>,
): Promise<Map<string, RawPartition[]>> {
  const first = starts[0] as number;
  const end = periodEnd(kpi.definition.grain, starts.at(-1) as number);
  const partitions = new Map<string, RawPartition[]>();
  await Promise.all(
    inputHours(kpi, first, end, deps.partitionTimeField).map(async ([dataset, wide]) => {
      partitions.set(dataset, await deps.raw.list(dataset, wide.from, wide.to));
    }),
  );
  return partitions;
}

/** The months of the partial cache's index a run reads and writes: its partitions' and its periods'. */
function indexMonths(partitions: readonly RawPartition[], starts: readonly number[]): string[] {
  const months = new Set([
    ...partitions.map((p) => monthOf(partitionKey(p))),
    ...starts.map((s) => monthOf(isoTime(s))),
  ]);
  return [...months].sort();
}

/** Aggregates partitions from the raw store, recording each state, as fresh, and in the index. */
async function aggregateInto(
  partitions: readonly RawPartition[],
  into: { readonly kpi: CompiledKpi } & RunStates,
  deps: Pick<ComputeKpiDependencies, 'raw' | 'concurrency' | 'parts'>,
): Promise<void> {
  const { kpi } = into;
  await forEachConcurrently(partitions, deps.concurrency ?? 4, async (partition) => {
    const key = partitionKey(partition);
    // What a part of a fan-out kept of this partition's current objects, else the raw store.
    const taken = await deps.parts?.take(kpi.definition.id, kpi.signature, key, partition.fingerprint);
    const { state, cached } = taken ?? (await aggregate(kpi, kpi.definition, partition, deps));
    into.states.set(key, state);
    into.fresh.set(key, { fingerprint: partition.fingerprint, state });
    into.index.partitions[key] = cached;
  });
}

/**
 * Each due period's values from its merged state, with lineage. The full input list of a period is
 * archived where it changed (content-addressed, in one write for the run); otherwise the kept reference stands.
 */
async function finalizePeriods(
  kpi: CompiledKpi,
  due: readonly PeriodPlan<RawPartition>[],
  merged: ReadonlyMap<number, KpiPartialState>,
  context: { readonly index: PartialIndex; readonly run: ComputedWith },
  deps: Pick<ComputeKpiDependencies, 'inputs'>,
): Promise<FinalizedPlan[]> {
  const { index, run } = context;
  const lineageOf = (plan: PeriodPlan<RawPartition>) => periodLineage(plan.inputs, (key) => index.partitions[key]);
  const refs = new Map<number, string | null>();
  const archive: PeriodPlan<RawPartition>[] = [];
  for (const plan of due) {
    const previous = index.periods[isoTime(plan.start)];
    if (previous?.inputs === plan.digest && previous.inputsRef !== undefined) refs.set(plan.start, previous.inputsRef);
    else if (deps.inputs) archive.push(plan);
  }
  if (deps.inputs && archive.length > 0) {
    const archived = await deps.inputs.putAll(kpi.definition.id, archive.map(lineageOf));
    for (const [i, plan] of archive.entries()) refs.set(plan.start, archived[i] ?? null);
  }
  return due.map((plan) => {
    const { values } = kpi.finalize(merged.get(plan.start) as KpiPartialState, {
      asOf: run.asOf,
      from: plan.start,
      to: plan.end,
      version: run.definition.version,
    });
    const inputsRef = refs.get(plan.start) ?? null;
    return { start: plan.start, plan, inputsRef, values: periodValues(values, plan, lineageOf(plan), inputsRef, run) };
  });
}

/** The stored history of every series the run touches, read once and concurrently. */
async function readSeries(
  deps: Pick<ComputeKpiDependencies, 'values' | 'concurrency'>,
  definition: KpiDefinition,
  read: SeriesRead | null,
): Promise<Map<string, SeriesPoint[]>> {
  const series = new Map<string, SeriesPoint[]>();
  if (read === null) return series;
  await forEachConcurrently([...read.series], deps.concurrency ?? 8, async ([key, dimensions]) => {
    const history = await deps.values.series({
      kpiId: definition.id,
      dimensions,
      grain: definition.grain,
      from: read.from,
      to: read.to,
    });
    series.set(key, history);
  });
  return series;
}

function inactive(kpiId: string, state: DefinitionState<KpiDefinition> | null): ComputeKpiResult {
  return {
    kpiId,
    outcome: 'inactive',
    version: state?.version ?? 0,
    periods: { inRange: 0, finalized: 0 },
    partitions: { read: 0, aggregated: 0, reused: 0 },
    values: { created: 0, updated: 0, unchanged: 0 },
    restatements: [],
    written: [],
    state,
  };
}

/** A partition's partial state, with what the partial cache's index keeps of it. */
export async function aggregate(
  kpi: CompiledKpi,
  definition: KpiDefinition,
  partition: RawPartition,
  deps: Pick<ComputeKpiDependencies, 'raw'>,
): Promise<{ state: KpiPartialState; cached: CachedPartition }> {
  const { state, rows, newestEventAt } = await aggregateRecords(kpi, definition, partition, deps);
  const summary = await deps.raw.batches(partition);
  return {
    state,
    cached: {
      fingerprint: partition.fingerprint,
      rows,
      quarantined: summary.quarantined,
      newestEventAt,
      manifests: summary.manifests,
      objects: partition.objects.length,
    },
  };
}

/**
 * The partial state of a partition's records (all its objects, or some), streamed: a batch of
 * records at a time goes into the accumulator, so memory holds the groups of the state and one
 * batch, whatever the partition's size.
 */
export async function aggregateRecords(
  kpi: CompiledKpi,
  definition: KpiDefinition,
  partition: RawPartition,
  deps: Pick<ComputeKpiDependencies, 'raw'>,
  objects: RawPartition['objects'] = partition.objects,
): Promise<AggregatedPartition> {
  const timeField = definition.datasets.find((d) => d.id === partition.dataset)?.timeField;
  const accumulator = kpi.accumulator();
  let rows = 0;
  let newest = Number.NEGATIVE_INFINITY;
  for await (const records of deps.raw.scan(partition, objects)) {
    accumulator.addAll(partition.dataset, records);
    rows += records.length;
    if (timeField) {
      for (const record of records) {
        const time = record[timeField];
        if (typeof time === 'number' && time > newest) newest = time;
      }
    }
  }
  return {
    state: accumulator.state(),
    rows,
    newestEventAt: Number.isFinite(newest) ? isoTime(newest) : null,
  };
}

/**
 * The merged partial state of each period's inputs. A period merged before from a subset of today's
 * inputs, all unchanged (a new hour arrived, nothing was corrected), starts from that merged state
 * plus the new partitions: the same state, since merging is associative and order-free. Otherwise
 * every input partial is merged again. Kept states are read in one go (each checked against what it
 * must have been made of); partials the cache lost are rebuilt from the raw store. Returns the
 * merged states and, to be kept, those that differ from what the cache holds.
 */
async function mergedInputs(
  kpi: CompiledKpi,
  plans: readonly PeriodPlan<RawPartition>[],
  run: RunStates,
  deps: Pick<ComputeKpiDependencies, 'raw' | 'cache' | 'concurrency'>,
): Promise<{ merged: Map<number, KpiPartialState>; changed: Map<string, KeptPeriod> }> {
  const { states, index } = run;
  const reusable = reusablePeriods(plans, index);
  const read = await deps.cache.readStates(kpi.definition.id, kpi.signature, statesToRead(plans, reusable, run));
  // A period whose kept state is gone merges every input again: read those partials too.
  const lost = lostPartials(plans, reusable, read, run);
  if (lost.size > 0)
    for (const [key, state] of await deps.cache.readStates(kpi.definition.id, kpi.signature, lost))
      read.set(key, state);
  for (const [key, state] of read) if (!key.startsWith(PERIOD_PREFIX)) states.set(key, state);
  // The index knew these partitions but their partials are gone (the work bucket is derived data).
  await aggregateInto(unreadInputs(plans, keptParts(reusable, read), states), { kpi, ...run }, deps);
  return mergePeriods(kpi, plans, keptParts(reusable, read), read, states);
}

const PERIOD_PREFIX = 'period/';

/** A period's merged state's name among the states the cache reads. */
function periodKey(start: number): string {
  return `${PERIOD_PREFIX}${isoTime(start)}`;
}

/** The periods kept before from partitions that are all unchanged today: period start → those partitions. */
function reusablePeriods(
  plans: readonly PeriodPlan<RawPartition>[],
  index: PartialIndex,
): Map<number, Readonly<Record<string, string>>> {
  const reusable = new Map<number, Readonly<Record<string, string>>>();
  for (const plan of plans) {
    const previous = index.periods[isoTime(plan.start)]?.partitions;
    const current = new Map(plan.inputs.map((p) => [partitionKey(p), p.fingerprint]));
    if (previous && Object.entries(previous).every(([key, fingerprint]) => current.get(key) === fingerprint)) {
      reusable.set(plan.start, previous);
    }
  }
  return reusable;
}

/** What the cache must hold of a partition's partial. */
function partitionWanted(p: RawPartition, index: PartialIndex): WantedState {
  return { made: p.fingerprint, location: index.partitions[partitionKey(p)]?.location };
}

/** The kept period states to start from, and the partials neither they nor this run hold. */
function statesToRead(
  plans: readonly PeriodPlan<RawPartition>[],
  reusable: ReadonlyMap<number, Readonly<Record<string, string>>>,
  { states, index }: RunStates,
): Map<string, WantedState> {
  const wanted = new Map<string, WantedState>();
  for (const [start, previous] of reusable) {
    wanted.set(periodKey(start), {
      made: partitionsDigest(previous),
      location: index.periods[isoTime(start)]?.location,
    });
  }
  for (const plan of plans) {
    const previous = reusable.get(plan.start);
    for (const p of plan.inputs) {
      const key = partitionKey(p);
      if (!(previous && key in previous) && !states.has(key)) wanted.set(key, partitionWanted(p, index));
    }
  }
  return wanted;
}

/** The partials of reusable periods whose kept state the cache no longer has, not read yet. */
function lostPartials(
  plans: readonly PeriodPlan<RawPartition>[],
  reusable: ReadonlyMap<number, unknown>,
  read: ReadonlyMap<string, KpiPartialState>,
  { states, index }: RunStates,
): Map<string, WantedState> {
  const lost = new Map<string, WantedState>();
  for (const plan of plans) {
    if (!reusable.has(plan.start) || read.has(periodKey(plan.start))) continue;
    for (const p of plan.inputs) {
      const key = partitionKey(p);
      if (!states.has(key) && !read.has(key)) lost.set(key, partitionWanted(p, index));
    }
  }
  return lost;
}

/** The reusable periods whose kept state was read: period start → the partitions it holds. */
function keptParts(
  reusable: ReadonlyMap<number, Readonly<Record<string, string>>>,
  read: ReadonlyMap<string, KpiPartialState>,
): Map<number, Readonly<Record<string, string>>> {
  return new Map([...reusable].filter(([start]) => read.has(periodKey(start))));
}

/** The inputs of `plans` whose partial is neither held nor inside a kept period state. */
function unreadInputs(
  plans: readonly PeriodPlan<RawPartition>[],
  kept: ReadonlyMap<number, Readonly<Record<string, string>>>,
  states: ReadonlyMap<string, KpiPartialState>,
): RawPartition[] {
  const missing = new Map<string, RawPartition>();
  for (const plan of plans) {
    const parts = kept.get(plan.start);
    for (const p of plan.inputs) {
      const key = partitionKey(p);
      if (!(parts && key in parts) && !states.has(key)) missing.set(key, p);
    }
  }
  return [...missing.values()];
}

/** Each period's merged state: its kept state (if any) plus the partials it lacks; changed ones to keep. */
function mergePeriods(
  kpi: CompiledKpi,
  plans: readonly PeriodPlan<RawPartition>[],
  kept: ReadonlyMap<number, Readonly<Record<string, string>>>,
  read: ReadonlyMap<string, KpiPartialState>,
  states: ReadonlyMap<string, KpiPartialState>,
): { merged: Map<number, KpiPartialState>; changed: Map<string, KeptPeriod> } {
  const merged = new Map<number, KpiPartialState>();
  const changed = new Map<string, KeptPeriod>();
  for (const plan of plans) {
    const start = read.get(periodKey(plan.start));
    const parts = start ? kept.get(plan.start) : undefined;
    const added = plan.inputs
      .filter((p) => !(parts && partitionKey(p) in parts))
      .map((p) => states.get(partitionKey(p)) as KpiPartialState);
    if (start && added.length === 0) {
      // Nothing new since it was kept: the same state, not written again.
      merged.set(plan.start, start);
      continue;
    }
    const state = kpi.merge(start ? [start, ...added] : added);
    merged.set(plan.start, state);
    const partitions = Object.fromEntries(plan.inputs.map((p) => [partitionKey(p), p.fingerprint]));
    changed.set(isoTime(plan.start), { inputs: partitionsDigest(partitions), state });
  }
  return { merged, changed };
}

/** What identifies the partitions a merged state was made of: their keys and fingerprints. */
function partitionsDigest(partitions: Readonly<Record<string, string>>): string {
  return sha256Hex(
    Object.entries(partitions)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, fingerprint]) => `${key}:${fingerprint}`)
      .join('\n'),
  );
}

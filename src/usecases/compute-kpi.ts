// Use case: compute one KPI over a range of periods from the raw store, incrementally. Each raw hour
// partition becomes a partial aggregate once, cached with the partition's fingerprint; a period is
// finalized again only when the partitions it reads changed (new or late batches), its definition
// or code changed, or it was still provisional. Values carry their lineage and drift assessment and
// are written only when they changed. The same inputs, definition, code and `asOf` always give the
// same values, byte for byte.
import type { KpiDefinition } from '../domain/definition/schema';
import type { Annotation } from '../domain/drift/annotations';
import { type CompiledKpi, compileKpi } from '../domain/engine/kpi';
import type { KpiPartialState } from '../domain/engine/state';
import { isoTime, periodEnd, periodsBetween, shiftPeriod } from '../domain/engine/time';
import { driftLookbackPeriods, driftOf } from '../domain/evaluation/evaluate-value';
import { forecastLookbackPeriods } from '../domain/evaluation/forecast-value';
import { inputConfidence } from '../domain/values/confidence';
import { dimensionKey } from '../domain/values/dimension-key';
import { type InputPartition, type KpiValue, summarizeInputs } from '../domain/values/kpi-value';
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

const HOUR = 3_600_000;

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

interface Range {
  readonly from: number | null;
  readonly to: number;
}

export async function computeKpi(deps: ComputeKpiDependencies, request: ComputeKpiRequest): Promise<ComputeKpiResult> {
  const state = await deps.definitions.get(request.kpiId);
  if (state?.status !== 'active') return inactive(request.kpiId, state ?? null);
  const definition = state.definition;
  const kpi = compileKpi(definition);
  const starts = periodsBetween(definition.grain, request.from, request.to);
  if (starts.length === 0) return { ...inactive(request.kpiId, state), outcome: 'computed', version: state.version };
  const rangeStart = starts[0] as number;
  const rangeEnd = periodEnd(definition.grain, starts.at(-1) as number);
  const widen = (dataset: string, range: Range): Range => widenRange(definition, dataset, range, deps);

  // 1. The partitions the whole range reads, and which of them changed since they were aggregated.
  const partitions = new Map<string, RawPartition[]>();
  await Promise.all(
    Object.entries(kpi.inputRanges(rangeStart, rangeEnd)).map(async ([dataset, range]) => {
      const wide = widen(dataset, range);
      partitions.set(dataset, await deps.raw.list(dataset, wide.from, wide.to));
    }),
  );
  const listed = [...partitions.values()].flat();
  const months = [
    ...new Set([...listed.map((p) => monthOf(partitionKey(p))), ...starts.map((start) => monthOf(isoTime(start)))]),
  ].sort();
  const index = await deps.cache.readIndex(definition.id, kpi.signature, months);
  const states = new Map<string, KpiPartialState>();
  /** States this run aggregated: kept for the next one. */
  const fresh = new Map<string, KeptPartition>();
  const stale = listed.filter((p) => index.partitions[partitionKey(p)]?.fingerprint !== p.fingerprint);
  if (deps.handOff && (await deps.handOff(stale, request))) {
    return { ...inactive(request.kpiId, state), outcome: 'handed-off', version: state.version };
  }
  await forEachConcurrently(stale, deps.concurrency ?? 4, async (partition) => {
    const key = partitionKey(partition);
    const taken = await deps.parts?.take(definition.id, kpi.signature, key, partition.fingerprint);
    const { state: partial, cached } = taken ?? (await aggregate(kpi, definition, partition, deps));
    states.set(key, partial);
    fresh.set(key, { fingerprint: partition.fingerprint, state: partial });
    index.partitions[key] = cached;
  });
  // 2. The periods to finalize: those whose inputs, definition or code changed, or were provisional.
  const computedAt = isoTime(deps.clock?.now() ?? request.asOf);
  const plans = starts.map((start) => {
    const end = periodEnd(definition.grain, start);
    const inputs = Object.entries(kpi.inputRanges(start, end)).flatMap(([dataset, range]) => {
      const wide = widen(dataset, range);
      return (partitions.get(dataset) ?? []).filter(
        (p) => (wide.from === null || p.start >= wide.from) && p.start < wide.to,
      );
    });
    const digest = sha256Hex(inputs.map((p) => `${partitionKey(p)}:${p.fingerprint}`).join('\n'));
    const previous = index.periods[isoTime(start)];
    const due =
      request.force === true ||
      !previous ||
      previous.provisional ||
      previous.inputs !== digest ||
      previous.definitionHash !== state.hash ||
      previous.codeVersion !== deps.codeVersion;
    return { start, end, inputs, digest, due };
  });
  const due = plans.filter((p) => p.due);

  // 3. Finalize them, then assess drift in time order against each series' history.
  const finalized: { plan: (typeof due)[number]; values: KpiValue[]; inputsRef: string | null }[] = [];
  const { merged: mergedByPeriod, changed: changedPeriods } = await mergedInputs(
    kpi,
    definition,
    due,
    states,
    fresh,
    index,
    deps,
  );
  // The full input list of each period, archived where it changed (content-addressed, all at once).
  const lineageOf = (plan: (typeof due)[number]): InputPartition[] =>
    plan.inputs.map((p) => {
      const cached = index.partitions[partitionKey(p)] as CachedPartition;
      return {
        dataset: p.dataset,
        partition: p.label,
        objects: p.objects.length,
        etag: p.fingerprint,
        manifests: [...cached.manifests],
        rows: cached.rows,
        quarantined: cached.quarantined,
        newestEventAt: cached.newestEventAt,
      };
    });
  const refs = new Map<number, string | null>();
  await forEachConcurrently(due, 8, async (plan) => {
    const previous = index.periods[isoTime(plan.start)];
    if (previous?.inputs === plan.digest && previous.inputsRef !== undefined) {
      refs.set(plan.start, previous.inputsRef);
      return;
    }
    refs.set(plan.start, deps.inputs ? await deps.inputs.put(definition.id, lineageOf(plan)) : null);
  });
  for (const plan of due) {
    const merged = mergedByPeriod.get(plan.start) as KpiPartialState;
    const { values } = kpi.finalize(merged, {
      asOf: request.asOf,
      from: plan.start,
      to: plan.end,
      version: state.version,
    });
    const summaries = summarizeInputs(lineageOf(plan), sha256Hex);
    const inputsRef = refs.get(plan.start) ?? null;
    const confidence = inputConfidence({
      inputs: summaries,
      periodStart: plan.start,
      periodEnd: plan.end,
      computedAt: request.asOf,
    });
    finalized.push({
      plan,
      inputsRef,
      values: values.map((v) => ({
        kpiId: v.kpiId,
        grain: v.grain,
        periodStart: v.periodStart,
        periodEnd: v.periodEnd,
        dimensions: v.dimensions,
        value: v.value,
        status: v.status,
        reason: v.reason,
        sampleSize: v.sampleSize,
        provisional: v.provisional,
        confidence,
        drift: null,
        forecast: null,
        lineage: {
          definition: { id: definition.id, version: state.version, hash: state.hash },
          inputs: summaries,
          inputsRef,
          codeVersion: deps.codeVersion,
          computedAt,
        },
      })),
    });
  }

  // The stored history of every series the run touches, read once and concurrently.
  const series = new Map<string, Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>[]>();
  // Drift compares each value with its own lookback; a forecast may read further back.
  const driftLookback = driftLookbackPeriods(definition);
  const lookback = Math.max(driftLookback, deps.forecasting ? forecastLookbackPeriods(definition) : 0);
  if (due.length > 0) {
    const first = (due[0] as { start: number }).start;
    const rows = new Map(finalized.flatMap((f) => f.values.map((v) => [dimensionKey(v.dimensions), v.dimensions])));
    await forEachConcurrently([...rows], deps.concurrency ?? 8, async ([key, dimensions]) => {
      const history = await deps.values.series({
        kpiId: definition.id,
        dimensions,
        grain: definition.grain,
        from: isoTime(shiftPeriod(definition.grain, first, -lookback)),
        to: isoTime(first),
      });
      series.set(key, history);
    });
  }
  const computed: KpiValue[] = [];
  for (const { plan, values, inputsRef } of finalized) {
    const from = isoTime(shiftPeriod(definition.grain, plan.start, -driftLookback));
    const before = isoTime(plan.start);
    let provisional = false;
    for (const value of values) {
      provisional ||= value.provisional;
      const known = series.get(dimensionKey(value.dimensions)) ?? [];
      const history = known.filter((p) => p.periodStart >= from && p.periodStart < before);
      const { summary } = driftOf(definition, value, history, deps.annotations ?? []);
      computed.push({ ...value, drift: summary });
      known.push({ periodStart: value.periodStart, periodEnd: value.periodEnd, value: value.value });
      series.set(dimensionKey(value.dimensions), known);
    }
    index.periods[isoTime(plan.start)] = {
      inputs: plan.digest,
      definitionHash: state.hash,
      codeVersion: deps.codeVersion,
      provisional,
      partitions: Object.fromEntries(plan.inputs.map((p) => [partitionKey(p), p.fingerprint])),
      inputsRef,
    };
  }
  // The forecaster (and its code) is asked only when there is something to forecast.
  const forecast = {
    definition,
    values: computed,
    latestStoredFinal: latestUnchangedPeriod(plans),
    history: (key: string) => series.get(key) ?? [],
    asOf: request.asOf,
  };
  const evaluated =
    deps.forecasting && forecastPeriod(forecast) !== null ? await deps.forecasting.forecast(forecast) : computed;
  const report = await deps.values.write(evaluated);
  await deps.cache.write(definition.id, kpi.signature, { partitions: fresh, periods: changedPeriods, index, months });
  const read = [...partitions.values()].flat().length;
  return {
    kpiId: definition.id,
    outcome: 'computed',
    version: state.version,
    periods: { inRange: starts.length, finalized: due.length },
    partitions: { read, aggregated: fresh.size, reused: read - fresh.size },
    values: { created: report.created, updated: report.updated, unchanged: report.unchanged },
    restatements: report.restatements,
    written: report.written,
    state,
    keptPartitions: index.partitions,
  };
}

/** The latest period of the range the run left as stored (final, since only final periods are skipped). */
function latestUnchangedPeriod(plans: readonly { start: number; due: boolean }[]): string | null {
  const skipped = plans.filter((p) => !p.due).at(-1);
  return skipped ? isoTime(skipped.start) : null;
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

/** `<dataset>/date=YYYY-MM-DD/hour=HH`: a partition's name in the cache. */
export function partitionKey(partition: Pick<RawPartition, 'dataset' | 'label'>): string {
  return `${partition.dataset}/${partition.label}`;
}

/**
 * The raw hours a KPI's range needs from a dataset: the engine's input range on hour boundaries.
 * When the KPI places records by another field than the one the raw store is partitioned by, any
 * hour may hold records of the period: then every hour up to the range's end is read.
 */
export function widenRange(
  definition: KpiDefinition,
  dataset: string,
  range: Range,
  deps: Pick<ComputeKpiDependencies, 'partitionTimeField'>,
): Range {
  const to = Math.ceil(range.to / HOUR) * HOUR;
  const partitionField = deps.partitionTimeField?.(dataset);
  const kpiField = definition.datasets.find((d) => d.id === dataset)?.timeField;
  if (partitionField && kpiField && partitionField !== kpiField) return { from: null, to };
  return { from: range.from === null ? null : Math.floor(range.from / HOUR) * HOUR, to };
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
  definition: KpiDefinition,
  plans: readonly { start: number; inputs: RawPartition[] }[],
  states: Map<string, KpiPartialState>,
  fresh: Map<string, KeptPartition>,
  index: PartialIndex,
  deps: Pick<ComputeKpiDependencies, 'raw' | 'cache' | 'concurrency'>,
): Promise<{ merged: Map<number, KpiPartialState>; changed: Map<string, KeptPeriod> }> {
  const periodKey = (start: number) => `period/${isoTime(start)}`;
  const reusable = new Map<number, Readonly<Record<string, string>>>();
  for (const plan of plans) {
    const previous = index.periods[isoTime(plan.start)]?.partitions;
    const current = new Map(plan.inputs.map((p) => [partitionKey(p), p.fingerprint]));
    if (previous && Object.entries(previous).every(([key, fingerprint]) => current.get(key) === fingerprint)) {
      reusable.set(plan.start, previous);
    }
  }
  const wanted = new Map<string, WantedState>();
  const partitionWanted = (p: RawPartition): WantedState => ({
    made: p.fingerprint,
    location: index.partitions[partitionKey(p)]?.location,
  });
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
      if (!(previous && key in previous) && !states.has(key)) wanted.set(key, partitionWanted(p));
    }
  }
  const read = await deps.cache.readStates(definition.id, kpi.signature, wanted);
  // A period whose kept state is gone merges every input again: read those partials too.
  const lost = new Map<string, WantedState>();
  for (const plan of plans) {
    if (!reusable.has(plan.start) || read.has(periodKey(plan.start))) continue;
    for (const p of plan.inputs) {
      const key = partitionKey(p);
      if (!states.has(key) && !read.has(key)) lost.set(key, partitionWanted(p));
    }
  }
  if (lost.size > 0)
    for (const [key, state] of await deps.cache.readStates(definition.id, kpi.signature, lost)) read.set(key, state);
  for (const [key, state] of read) if (!key.startsWith('period/')) states.set(key, state);
  // The index knew these partitions but their partials are gone (the work bucket is derived data).
  const missing = new Map<string, RawPartition>();
  for (const plan of plans) {
    const kept = read.has(periodKey(plan.start)) ? reusable.get(plan.start) : undefined;
    for (const p of plan.inputs) {
      const key = partitionKey(p);
      if (!(kept && key in kept) && !states.has(key)) missing.set(key, p);
    }
  }
  await forEachConcurrently([...missing.values()], deps.concurrency ?? 4, async (partition) => {
    const { state, cached } = await aggregate(kpi, definition, partition, deps);
    states.set(partitionKey(partition), state);
    fresh.set(partitionKey(partition), { fingerprint: partition.fingerprint, state });
    index.partitions[partitionKey(partition)] = cached;
  });
  const merged = new Map<number, KpiPartialState>();
  const changed = new Map<string, KeptPeriod>();
  for (const plan of plans) {
    const start = read.get(periodKey(plan.start));
    const kept = start ? reusable.get(plan.start) : undefined;
    const parts = plan.inputs
      .filter((p) => !(kept && partitionKey(p) in kept))
      .map((p) => states.get(partitionKey(p)) as KpiPartialState);
    if (start && parts.length === 0) {
      // Nothing new since it was kept: the same state, not written again.
      merged.set(plan.start, start);
      continue;
    }
    const state = kpi.merge(start ? [start, ...parts] : parts);
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

/** Runs `run` over `items`, at most `concurrency` at once. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  run: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// Use case: a KPI's computation fanned out over raw partitions. Beyond what one invocation should
// read, a range's stale partitions (those whose objects changed since the partial cache last
// aggregated them) are split into parts: `planParts` counts them and writes the item list of the
// parts; each part (`computeKpiPart`) aggregates every `of`-th of them and keeps each state on its
// own (PartStateStore), never in the partial cache's index, whose months concurrent writers would
// overwrite. The finalizing invocation (computeKpi with `parts`) then takes those states instead of
// reading the raw store, and merges and writes values and the index once: the same values,
// lineage and kept states as one invocation computing everything.

import { forEachConcurrently } from '../domain/concurrency';
import type { KpiDefinition } from '../domain/definition/schema';
import { type CompiledKpi, compileKpi } from '../domain/engine/kpi';
import { isoTime, periodsBetween } from '../domain/engine/time';
import type { FanOutPlans, FanOutStarter, PartItem, PartStateStore } from '../ports/part-states';
import { monthOf } from '../ports/partial-cache';
import type { RawPartition } from '../ports/raw-partitions';
import { aggregate, type ComputeKpiDependencies, listInputs, partitionKey } from './compute-kpi';

/** Stale partitions one invocation aggregates before a computation is fanned out. @default 48 */
export const DEFAULT_PARTITIONS_PER_PART = 48;
/**
 * Records in stale partitions beyond which a scheduled refresh is handed to the fan-out: about two
 * minutes of one invocation at the throughput measured in docs/scaling.md. @default 50,000,000
 */
export const DEFAULT_REFRESH_THRESHOLD_RECORDS = 50_000_000;

export type FanOutDependencies = Pick<
  ComputeKpiDependencies,
  'definitions' | 'raw' | 'cache' | 'partitionTimeField' | 'concurrency'
>;

export interface FanOutRange {
  readonly kpiId: string;
  /** Periods starting in [from, to) (epoch ms), as computeKpi takes them. */
  readonly from: number;
  readonly to: number;
}

export interface PartPlan {
  readonly kpiId: string;
  /** Stale partitions of the range. */
  readonly stale: number;
  /** Parts to aggregate them in; 0 when one invocation takes them all (nothing to fan out). */
  readonly parts: number;
  readonly fannedOut: boolean;
  /** Where the item list of the parts is (present when fanned out). */
  readonly items?: { readonly bucket: string; readonly key: string };
}

export interface PartResult {
  readonly kpiId: string;
  readonly part: PartItem;
  readonly partitions: {
    /** Stale partitions this part is given. */
    readonly assigned: number;
    readonly aggregated: number;
    /** Given, but kept already (by an earlier try of this part). */
    readonly kept: number;
  };
}

/**
 * Counts the range's stale partitions and, when there are more than `partitionsPerPart`, writes
 * the item list of `ceil(stale / partitionsPerPart)` parts under `name` (the same name and range
 * give the same list: a retried plan rewrites it).
 */
export async function planParts(
  deps: FanOutDependencies & { readonly plans: FanOutPlans },
  request: FanOutRange & { readonly partitionsPerPart: number; readonly name: string },
): Promise<PartPlan> {
  if (!Number.isInteger(request.partitionsPerPart) || request.partitionsPerPart < 1) {
    throw new RangeError(`partitionsPerPart must be a positive integer, got ${request.partitionsPerPart}`);
  }
  const found = await staleOfRange(deps, request);
  const stale = found?.stale.length ?? 0;
  if (stale <= request.partitionsPerPart) return { kpiId: request.kpiId, stale, parts: 0, fannedOut: false };
  const of = Math.ceil(stale / request.partitionsPerPart);
  const items = Array.from({ length: of }, (_, index) => ({ index, of }));
  const where = await deps.plans.put(request.kpiId, request.name, items);
  return { kpiId: request.kpiId, stale, parts: of, fannedOut: true, items: where };
}

/**
 * Aggregates part `index` of `of`: every `of`-th stale partition of the range, in key order, and
 * keeps each state. A partition whose state is kept already (a retry after a crash) is skipped.
 */
export async function computeKpiPart(
  deps: FanOutDependencies & { readonly parts: PartStateStore },
  request: FanOutRange & { readonly part: PartItem },
): Promise<PartResult> {
  const { index, of } = request.part;
  if (!Number.isInteger(of) || of < 1 || !Number.isInteger(index) || index < 0 || index >= of) {
    throw new RangeError(`part ${index} of ${of} does not exist: index must be in [0, of)`);
  }
  const found = await staleOfRange(deps, request);
  const assigned = (found?.stale ?? []).filter((_, i) => i % of === index);
  let aggregated = 0;
  await forEachConcurrently(assigned, deps.concurrency ?? 4, async (partition) => {
    if (!found) return;
    const { definition, kpi } = found;
    const key = partitionKey(partition);
    if (await deps.parts.has(definition.id, kpi.signature, key, partition.fingerprint)) return;
    await deps.parts.put(definition.id, kpi.signature, key, await aggregate(kpi, definition, partition, deps));
    aggregated += 1;
  });
  return {
    kpiId: request.kpiId,
    part: { index, of },
    partitions: { assigned: assigned.length, aggregated, kept: assigned.length - aggregated },
  };
}

/**
 * The `handOff` of a scheduled refresh (see ComputeKpiDependencies): when its stale partitions hold
 * more than `thresholdRecords` records (as their commits counted them), the refresh's range goes to
 * the fan-out, which runs the refresh once the parts are kept; otherwise the refresh computes on.
 */
export function refreshHandOff(
  starter: FanOutStarter,
  thresholdRecords: number,
  scheduledTime: string,
): NonNullable<ComputeKpiDependencies['handOff']> {
  return async (stale, request) => {
    const records = stale.reduce((sum, p) => sum + p.objects.reduce((n, o) => n + o.records, 0), 0);
    if (records <= thresholdRecords) return false;
    await starter.start({ kpiId: request.kpiId, from: isoTime(request.from), to: isoTime(request.to), scheduledTime });
    return true;
  };
}

/**
 * The partitions the range reads (as computeKpi lists them) that the partial cache holds no state
 * of for their current objects, in key order; null when the KPI is not active.
 */
async function staleOfRange(
  deps: FanOutDependencies,
  request: FanOutRange,
): Promise<{ definition: KpiDefinition; kpi: CompiledKpi; stale: RawPartition[] } | null> {
  const state = await deps.definitions.get(request.kpiId);
  if (state?.status !== 'active') return null;
  const definition = state.definition;
  const kpi = compileKpi(definition);
  const starts = periodsBetween(definition.grain, request.from, request.to);
  if (starts.length === 0) return { definition, kpi, stale: [] };
  const listed = [...(await listInputs(kpi, starts, deps)).values()].flat();
  const months = [...new Set(listed.map((p) => monthOf(partitionKey(p))))].sort();
  const index = await deps.cache.readIndex(definition.id, kpi.signature, months);
  const stale = listed
    .filter((p) => index.partitions[partitionKey(p)]?.fingerprint !== p.fingerprint)
    .sort((a, b) => (partitionKey(a) < partitionKey(b) ? -1 : partitionKey(a) > partitionKey(b) ? 1 : 0));
  return { definition, kpi, stale };
}

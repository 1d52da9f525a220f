// Use case: recompute a KPI over a historical range, chunk by chunk, resumable: each chunk is
// recorded as done once computed, and a run that is started again (after a crash, a Ctrl-C) skips
// those and computes the rest as of the same instant, so two runs give byte-identical values.
import type { Grain } from '../domain/definition/schema';
import { isoTime, periodEnd, periodsBetween } from '../domain/engine/time';
import type { BackfillCheckpoints } from '../ports/backfill-checkpoints';

export interface BackfillChunk {
  readonly from: string;
  readonly to: string;
}

/** The range's periods in chunks of `size` periods, oldest first. */
export function backfillChunks(grain: Grain, from: number, to: number, size: number): BackfillChunk[] {
  const starts = periodsBetween(grain, from, to);
  const chunks: BackfillChunk[] = [];
  for (let i = 0; i < starts.length; i += size) {
    const slice = starts.slice(i, i + size);
    chunks.push({ from: isoTime(slice[0] as number), to: isoTime(periodEnd(grain, slice.at(-1) as number)) });
  }
  return chunks;
}

export interface ChunkResult {
  readonly values: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly restatements: number;
}

export interface BackfillRequest {
  readonly kpiId: string;
  /** Content hash of the definition in force: a new version starts a new run. */
  readonly hash: string;
  readonly grain: Grain;
  readonly from: number;
  readonly to: number;
  readonly chunkPeriods: number;
  /** The instant to compute as of when the run is new (a resumed run keeps its first one). */
  readonly asOf: string;
  /**
   * Compute every chunk again, those a previous run finished too (as of that run's instant, so
   * values move only where inputs, definition or code changed). @default false
   */
  readonly force?: boolean;
}

export interface BackfillReport {
  readonly asOf: string;
  readonly chunks: number;
  /** Chunks a previous run had finished. */
  readonly resumed: number;
  /** Chunks computed by this run (with `force`, all of them). */
  readonly computed: number;
  readonly values: { created: number; updated: number; unchanged: number };
  readonly restatements: number;
}

export async function backfillKpi(
  deps: {
    readonly checkpoints: BackfillCheckpoints;
    readonly computeChunk: (chunk: BackfillChunk & { kpiId: string; asOf: string }) => Promise<ChunkResult>;
    readonly onProgress?: (done: number, total: number) => void;
  },
  request: BackfillRequest,
): Promise<BackfillReport> {
  const chunks = backfillChunks(request.grain, request.from, request.to, request.chunkPeriods);
  const key = `${request.kpiId}#${isoTime(request.from)}#${isoTime(request.to)}#${request.chunkPeriods}#${request.hash}`;
  const checkpoint = await deps.checkpoints.open(key, request.asOf, chunks.length);
  const done = new Set(checkpoint.done);
  const totals = { created: 0, updated: 0, unchanged: 0 };
  let restatements = 0;
  const force = request.force ?? false;
  let computed = 0;
  deps.onProgress?.(force ? 0 : done.size, chunks.length);
  for (const [index, chunk] of chunks.entries()) {
    if (done.has(index) && !force) continue;
    const result = await deps.computeChunk({ kpiId: request.kpiId, asOf: checkpoint.asOf, ...chunk });
    totals.created += result.values.created;
    totals.updated += result.values.updated;
    totals.unchanged += result.values.unchanged;
    restatements += result.restatements;
    await deps.checkpoints.markDone(key, index);
    done.add(index);
    computed += 1;
    deps.onProgress?.(force ? computed : done.size, chunks.length);
  }
  return {
    asOf: checkpoint.asOf,
    chunks: chunks.length,
    resumed: checkpoint.done.length,
    computed,
    values: totals,
    restatements,
  };
}

// Use case steps: commit a written batch. The dataset's days first, then the data-quality records,
// then the logical file's head; only then are late hours marked and the claim completed. The order
// is the protocol (docs/ingestion.md): a run that dies between two steps leaves whole committed days,
// and its rerun commits the rest.
import { PIPELINE_INGEST_DATASET } from '../../domain/ingest/data-quality';
import type { BatchManifest } from '../../domain/ingest/manifest';
import {
  type BatchRecord,
  type ClaimedBatch,
  countsOf,
  hoursOfEntries,
  lateMarks,
  manifestOf,
  mergeMarks,
  ownHours,
  problemsOf,
} from './batch-facts';
import { type CommitDaysResult, commitDays, type DayCommit } from './commit-days';
import { finishSource } from './source-head';
import type { WrittenBatch, WrittenPlan } from './write-batch';
import { putManifest, writeDataQuality } from './write-batch';
import { type WrittenDay, writeDay } from './write-days';

/** Commits the dataset's days; a day whose keys a concurrent batch took first is written again. */
export async function commitRecords(batch: ClaimedBatch, written: WrittenBatch): Promise<CommitDaysResult> {
  const { request, deps, batchId } = batch;
  return commitDays({
    log: deps.log,
    store: deps.store,
    dataset: request.dataset.id,
    batchId,
    source: request.replaces ?? batchId,
    supersedes: batch.supersedes.map((s) => s.batchId),
    days: [
      ...[...written.days.values()].map((w) => dayCommit(w)),
      ...written.removalDays.map((date) => ({ date, objects: [], keysKey: null, keys: 0, snapshotVersion: 0 })),
    ],
    manifestKey: batch.manifestKey,
    committedAt: deps.clock.now(),
    rewrite: async (date) => {
      const again = await writeDay(written.context, date, written.hoursByDay.get(date) ?? []);
      written.days.set(date, again);
      return dayCommit(again);
    },
  });
}

/**
 * Commits the data-quality records, after writing them again when the commit rewrote days (their
 * duplicates changed; an earlier attempt's committed records stay as they are), then frees the head.
 */
export async function commitDataQuality(
  batch: ClaimedBatch,
  written: WrittenBatch,
  plan: WrittenPlan,
  committed: CommitDaysResult,
): Promise<BatchRecord> {
  const { deps, batchId, ingestHour, ingestedAt } = batch;
  const stale = committed.rewritten.length > 0 && !plan.dataQualityCommitted;
  const counts = stale ? countsOf(batch, written) : plan.counts;
  const dataQuality = stale
    ? await writeDataQuality(batch, counts, lateMarks(batch, ownHours(written)))
    : plan.dataQuality;
  const { key, records, bytes, sha256 } = dataQuality;
  await commitDays({
    log: deps.log,
    store: deps.store,
    dataset: PIPELINE_INGEST_DATASET,
    batchId: `dq-${batchId}`,
    source: `dq-${batchId}`,
    supersedes: [],
    days: [
      {
        date: ingestHour.date,
        objects: [
          { key, hour: ingestHour.start, records, bytes, sha256, minEventTime: ingestedAt, maxEventTime: ingestedAt },
        ],
        keysKey: null,
        keys: 0,
        snapshotVersion: 0,
      },
    ],
    manifestKey: batch.manifestKey,
    committedAt: deps.clock.now(),
  });
  if (written.head) await finishSource(deps.log, written.head);
  return { counts, marks: plan.marks, dataQuality };
}

/**
 * Marks for recomputation the hours that got records late and those a correction took records from,
 * rewrites the manifest if that or a rewritten day changed it, and completes the claim.
 */
export async function completeBatch(
  batch: ClaimedBatch,
  written: WrittenBatch,
  plan: WrittenPlan,
  committed: CommitDaysResult,
  record: BatchRecord,
): Promise<BatchManifest> {
  const { request, deps, outcome } = batch;
  const marks = mergeMarks([
    ...lateMarks(batch, ownHours(written)),
    ...lateMarks(batch, hoursOfEntries(committed.superseded)),
  ]);
  const manifest = manifestOf(batch, written, { ...record, marks });
  if (committed.rewritten.length > 0 || marks.length !== plan.marks.length) {
    await putManifest(batch, manifest);
  }
  await deps.ledger.markForRecompute(marks);
  await request.beforeComplete?.(manifest);
  const { read, valid, quarantined } = manifest.counts;
  await deps.ledger.complete({
    dataset: request.dataset.id,
    batchId: batch.batchId,
    owner: batch.owner,
    completedAt: deps.clock.now(),
    outcome,
    manifestKey: batch.manifestKey,
    read,
    valid,
    quarantined,
    problems: problemsOf(manifest, batch.input),
    declarationSha256: manifest.declarationSha256,
  });
  return manifest;
}

function dayCommit(written: WrittenDay): DayCommit {
  return {
    date: written.day.date,
    objects: written.committed,
    keysKey: written.day.keysKey,
    keys: written.keys,
    snapshotVersion: written.day.snapshotVersion,
    ...(written.snapshot ? { snapshot: written.snapshot } : {}),
  };
}

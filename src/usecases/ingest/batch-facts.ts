// Use case step support: the facts of a claimed batch that every later step reads (its outcome, its
// keys, what it supersedes), and the pure parts of its record: counts, problems, late hours, manifest.
import {
  dataQualityObjectKey,
  type HourPartition,
  hourPartition,
  isLate,
  manifestKey,
} from '../../contracts/raw-layout';
import { byObjectId, type CommitEntry, type SourceRevision } from '../../domain/ingest/commit-log';
import { PIPELINE_INGEST_DATASET } from '../../domain/ingest/data-quality';
import type { BatchCounts, BatchDay, BatchManifest, WrittenObject } from '../../domain/ingest/manifest';
import type { RecomputeMark } from '../../ports/ingest-ledger';
import type { IngestBatchRequest, IngestDependencies } from '../ingest-batch';
import { type BatchClaim, declarationSha256 } from './claim-batch';
import type { ReadInput } from './read-input';
import type { WrittenDay } from './write-days';

/** A claimed batch: what its steps read and never change. */
export interface ClaimedBatch extends BatchClaim {
  readonly request: IngestBatchRequest;
  readonly deps: IngestDependencies;
  readonly input: ReadInput;
  readonly outcome: BatchManifest['outcome'];
  /** The hour of `ingestedAt`, which names the manifest, the quarantine and the data-quality object. */
  readonly ingestHour: HourPartition;
  readonly manifestKey: string;
  readonly dataQualityKey: string;
  /** The revisions of the logical file a correction takes the place of. */
  readonly supersedes: readonly SourceRevision[];
}

/** The records a batch wrote; a commit that finds keys taken by a concurrent batch rewrites a day in `days`. */
export interface WrittenRecords {
  /** The quarantined rows, or the input itself when it could not be read. */
  readonly side: readonly WrittenObject[];
  readonly days: Map<string, WrittenDay>;
}

export function claimedBatch(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
  claim: BatchClaim,
): ClaimedBatch {
  const ingestHour = hourPartition(claim.ingestedAt);
  return {
    ...claim,
    request,
    deps,
    input,
    outcome: outcomeOf(request, input),
    ingestHour,
    manifestKey: manifestKey(request.dataset.id, ingestHour, claim.batchId),
    dataQualityKey: dataQualityObjectKey(PIPELINE_INGEST_DATASET, ingestHour, claim.batchId),
    supersedes: claim.source?.supersedes ?? [],
  };
}

export function outcomeOf(request: IngestBatchRequest, input: ReadInput): BatchManifest['outcome'] {
  if (input.failure?.kind === 'unreadable') return 'unreadable';
  if (input.failure) return 'too_large';
  if (request.mode === 'all_or_nothing' && input.counts.quarantined > 0) return 'rejected';
  return 'ingested';
}

export function countsOf(batch: ClaimedBatch, written: WrittenRecords): BatchCounts {
  const { input, outcome } = batch;
  if (outcome === 'unreadable' || outcome === 'too_large') {
    return { read: 0, valid: 0, quarantined: 0, duplicate: 0, quarantinedByReason: {} };
  }
  const days = daysOf(written);
  const duplicate = days.reduce((n, day) => n + day.duplicates, 0);
  const kept = days.reduce((n, day) => n + day.records, 0);
  return {
    read: input.counts.read,
    valid: outcome === 'ingested' ? kept : input.counts.valid,
    quarantined: input.counts.quarantined,
    duplicate,
    quarantinedByReason: { ...input.counts.quarantinedByReason },
  };
}

export function problemOf(
  outcome: BatchManifest['outcome'],
  input: ReadInput,
  counts: Pick<BatchCounts, 'read' | 'quarantined' | 'quarantinedByReason'>,
): BatchManifest['problem'] {
  const failure = input.failure;
  if (failure?.kind === 'unreadable') return { code: failure.error.code, reason: failure.error.reason };
  if (failure) return { code: 'too_large', reason: failure.reason };
  if (outcome === 'rejected') {
    return {
      code: Object.keys(counts.quarantinedByReason).sort()[0] ?? 'rejected',
      reason: `${counts.quarantined} of ${counts.read} rows are invalid; nothing of the batch was ingested`,
    };
  }
  return null;
}

/** Problems kept for a batch not ingested (and returned to a client sending it again). */
export function problemsOf(manifest: BatchManifest, input: ReadInput): string[] {
  if (manifest.outcome === 'ingested') return [];
  if (manifest.outcome === 'rejected') return input.problems;
  return manifest.problem ? [manifest.problem.reason] : [];
}

/** Marks for the hours among `hours` (start → records) that ended too long before the batch came. */
export function lateMarks(batch: ClaimedBatch, hours: Iterable<[number, number]>): RecomputeMark[] {
  const { request, ingestedAt, batchId } = batch;
  return [...hours]
    .filter(([start]) => isLate(hourPartition(start), ingestedAt, request.lateAfterMinutes))
    .map(([start, records]) => ({
      dataset: request.dataset.id,
      periodStart: start,
      batchId,
      records,
      markedAt: ingestedAt,
    }));
}

/** The records the batch itself keeps, per hour start. */
export function ownHours(written: WrittenRecords): Map<number, number> {
  return new Map([...written.days.values()].flatMap((w) => [...w.recordsPerHour].filter(([, n]) => n > 0)));
}

/** Records per hour start of the commits a correction superseded. */
export function hoursOfEntries(entries: readonly CommitEntry[]): Map<number, number> {
  const hours = new Map<number, number>();
  for (const entry of entries) for (const o of entry.objects) hours.set(o.hour, (hours.get(o.hour) ?? 0) + o.records);
  return hours;
}

/** One mark per hour: the records the batch added there and those a correction took away. */
export function mergeMarks(marks: readonly RecomputeMark[]): RecomputeMark[] {
  const byHour = new Map<number, RecomputeMark>();
  for (const mark of marks) {
    const seen = byHour.get(mark.periodStart);
    byHour.set(mark.periodStart, seen ? { ...seen, records: seen.records + mark.records } : mark);
  }
  return [...byHour.values()].sort((a, b) => a.periodStart - b.periodStart);
}

/** What the manifest says of the batch, as it stands: its counts, late hours and data-quality object. */
export interface BatchRecord {
  readonly counts: BatchCounts;
  readonly marks: readonly RecomputeMark[];
  readonly dataQuality: WrittenObject;
}

export function manifestOf(batch: ClaimedBatch, written: WrittenRecords, record: BatchRecord): BatchManifest {
  const { request, deps, input, outcome, source } = batch;
  const { counts, dataQuality } = record;
  const readEvents = outcome === 'ingested' || outcome === 'rejected';
  return {
    manifestVersion: 2,
    batchId: batch.batchId,
    dataset: request.dataset.id,
    connector: request.connector,
    outcome,
    problem: problemOf(outcome, input, counts),
    contentSha256: input.contentSha256,
    replaces:
      source && request.replaces !== undefined
        ? {
            source: request.replaces,
            revision: source.revision.revision,
            supersedes: batch.supersedes.map((s) => s.batchId),
          }
        : null,
    ingestedAt: batch.ingestedAt,
    completedAt: deps.clock.now(),
    attempt: batch.attempt,
    codeVersion: deps.codeVersion,
    declarationSha256: declarationSha256(request.dataset.declaration),
    declarationVersion: request.declarationVersion ?? null,
    replayOf: [...(request.replayOf ?? [])],
    sources: input.sources,
    counts,
    warnings: input.warnings,
    newestEventTime: readEvents ? input.newestEventTime : null,
    oldestEventTime: readEvents ? input.oldestEventTime : null,
    latePartitions: aggregateLate(record.marks),
    days: daysOf(written),
    objects: [...written.side, ...[...written.days.values()].flatMap((w) => w.objects), dataQuality].sort(byObjectId),
  };
}

function daysOf(written: WrittenRecords): BatchDay[] {
  return [...written.days.values()].map((w) => w.day);
}

function aggregateLate(marks: readonly RecomputeMark[]): BatchManifest['latePartitions'] {
  const byHour = new Map<number, number>();
  for (const mark of marks) byHour.set(mark.periodStart, (byHour.get(mark.periodStart) ?? 0) + mark.records);
  return [...byHour]
    .sort(([a], [b]) => a - b)
    .map(([start, records]) => ({ date: hourPartition(start).date, hour: hourPartition(start).hour, records }));
}

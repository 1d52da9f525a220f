// Use case support, the commit of a batch: one entry per day in the commit log, each written under
// the day's next version with a put-if-absent. A day is committed atomically; a batch's days a few
// at once, so a run that dies in the middle leaves whole days committed and the rerun commits the
// rest (an entry of the batch already in a day's log means done). Before taking a
// version, a keyed batch checks the entries committed since it decided its duplicates: if one of
// them added a key it also adds, the day is written again against the keys visible now (or, when
// the scratch runs are gone, the whole batch is retried). Writers never both take one version, so
// two batches of one dataset never both add one key to a day.

import { mapConcurrently } from '../../domain/concurrency';
import { ConflictError } from '../../domain/errors';
import { type CommitEntry, type CommittedObject, visibleEntries } from '../../domain/ingest/commit-log';
import { KEY_BYTES, KeySet } from '../../domain/ingest/key-set';
import type { IngestObjectStore } from '../../ports/object-store';
import type { RawCommitLog } from '../../ports/raw-commit-log';

/** What a batch commits on one day: its objects there, or nothing but the batches it supersedes there. */
export interface DayCommit {
  readonly date: string;
  readonly objects: readonly CommittedObject[];
  readonly keysKey: string | null;
  readonly keys: number;
  /** The day's log version the batch's duplicates were decided against. */
  readonly snapshotVersion: number;
  /**
   * The day's entries as read at that version, when the run read them: the first attempt takes the
   * next version against them without reading the log again (versions are dense, so if it is
   * still free nothing was committed since); a lost put reads the log as every later attempt does.
   */
  readonly snapshot?: readonly CommitEntry[];
}

export interface CommitDaysRequest {
  readonly log: RawCommitLog;
  readonly store: IngestObjectStore;
  readonly dataset: string;
  readonly batchId: string;
  /** The logical file (replace datasets), else the batch id. */
  readonly source: string;
  readonly supersedes: readonly string[];
  readonly days: readonly DayCommit[];
  readonly manifestKey: string;
  readonly committedAt: number;
  /** Writes a day again against the keys visible now; absent when the batch's records are no longer at hand. */
  readonly rewrite?: (date: string) => Promise<DayCommit>;
  /** Attempts at one day's version before giving up (other writers keep taking it). @default 50 */
  readonly maxAttempts?: number;
}

export interface CommitDaysResult {
  /** Days this run committed, and days an earlier attempt of the batch had committed already. */
  readonly committed: string[];
  readonly alreadyCommitted: string[];
  /** Days written again because a concurrent batch added some of the same keys. */
  readonly rewritten: string[];
  /** Per day, what the batch committed in the end (a rewrite changes it). */
  readonly days: DayCommit[];
  /** The entries of the superseded batches on the days committed (their hours are restated). */
  readonly superseded: CommitEntry[];
}

/**
 * Days of a batch committed at once. Each day is its own put-if-absent under its own log; whichever
 * subset of them a run that dies commits, the rerun finds those in their logs and commits the rest.
 */
export const DAY_COMMITS_IN_FLIGHT = 4;

export async function commitDays(request: CommitDaysRequest): Promise<CommitDaysResult> {
  const result: CommitDaysResult = { committed: [], alreadyCommitted: [], rewritten: [], days: [], superseded: [] };
  const supersedes = new Set(request.supersedes);
  const planned = [...request.days].sort((a, b) => (a.date < b.date ? -1 : 1));
  const days = await mapConcurrently(planned, DAY_COMMITS_IN_FLIGHT, (day) =>
    commitDay(request, supersedes, day, result),
  );
  // Reported in the order of the dates, whichever day's put came back first.
  result.days.push(...days);
  for (const dates of [result.committed, result.alreadyCommitted, result.rewritten]) dates.sort();
  result.superseded.sort((a, b) => (a.date === b.date ? a.version - b.version : a.date < b.date ? -1 : 1));
  return result;
}

/** Commits one day under its next version (writing it again while a concurrent batch took its keys). */
async function commitDay(
  request: CommitDaysRequest,
  supersedes: ReadonlySet<string>,
  planned: DayCommit,
  result: CommitDaysResult,
): Promise<DayCommit> {
  let day = planned;
  for (let attempt = 1; ; attempt++) {
    if (attempt > (request.maxAttempts ?? 50)) {
      throw new ConflictError(
        `the commit log of ${request.dataset} on ${day.date} kept moving: ${attempt - 1} attempts to commit batch ${request.batchId}`,
      );
    }
    const entries =
      attempt === 1 && day.snapshot ? day.snapshot : await request.log.entries(request.dataset, day.date, day.date);
    if (entries.some((entry) => entry.batchId === request.batchId)) {
      result.alreadyCommitted.push(day.date);
      return day;
    }
    const since = visibleEntries(entries).filter(
      (entry) => entry.version > day.snapshotVersion && !supersedes.has(entry.batchId),
    );
    if (day.keys > 0 && (await sharesKeys(request.store, day, since))) {
      if (!request.rewrite) {
        throw new ConflictError(
          `batch ${request.batchId} of ${request.dataset} adds keys that a batch committed meanwhile on ${day.date} also added; the batch is retried`,
        );
      }
      day = await request.rewrite(day.date);
      if (!result.rewritten.includes(day.date)) result.rewritten.push(day.date);
      continue;
    }
    const version = entries.reduce((max, entry) => Math.max(max, entry.version), 0) + 1;
    const appended = await request.log.append({
      dataset: request.dataset,
      date: day.date,
      version,
      batchId: request.batchId,
      source: request.source,
      supersedes: [...request.supersedes],
      objects: [...day.objects],
      keysKey: day.keysKey,
      keys: day.keys,
      manifestKey: request.manifestKey,
      committedAt: request.committedAt,
    });
    if (!appended) continue;
    result.committed.push(day.date);
    result.superseded.push(...entries.filter((entry) => supersedes.has(entry.batchId)));
    return day;
  }
}

/**
 * Whether a batch committed since the snapshot added one of the keys this day adds. The set is made
 * of theirs (a few batches committed in the meantime); ours is scanned, however large.
 */
async function sharesKeys(store: IngestObjectStore, day: DayCommit, since: readonly CommitEntry[]): Promise<boolean> {
  const others = since.filter((entry) => entry.keysKey && entry.keys > 0);
  if (others.length === 0 || !day.keysKey) return false;
  const theirs = new KeySet(others.reduce((n, entry) => n + entry.keys, 0));
  for (const entry of others) {
    const index = await store.get({ area: 'raw', key: entry.keysKey as string });
    if (!index) throw new Error(`the key index ${entry.keysKey} named by the commit log is missing`);
    theirs.addAll(index);
  }
  const ours = await store.get({ area: 'raw', key: day.keysKey });
  if (!ours) throw new Error(`the key index ${day.keysKey} of the batch being committed is missing`);
  for (let offset = 0; offset + KEY_BYTES <= ours.byteLength; offset += KEY_BYTES) {
    if (theirs.has(ours, offset)) return true;
  }
  return false;
}

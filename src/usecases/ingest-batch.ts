// Use case: ingest one batch (a dropped file, a run of API pages, a pushed request) into raw and
// quarantine, exactly once, in five steps:
//   read    the input once, to scratch runs by event hour, hashing its content (read-input.ts);
//   claim   the batch, identified by that content (or a connector's fixed id), in the ledger;
//   write   each day's objects, dropping keys already ingested, plus quarantine, data quality and
//           the manifest (write-days.ts); nothing of it is visible yet;
//   commit  each day in the raw commit log with a put-if-absent (commit-days.ts): from then on
//           readers see the batch's objects of that day, and never those of a batch it supersedes;
//   complete the claim, after marking late hours for recomputation.
// A run that dies anywhere leaves either nothing visible or whole committed days; the rerun writes
// the same keys and commits the days left. See docs/ingestion.md for the protocol and its invariants.
import { createHash, randomUUID } from 'node:crypto';
import {
  dataQualityObjectKey,
  hourPartition,
  isLate,
  manifestKey,
  quarantinedFileKey,
  quarantinedFileReasonKey,
  quarantineRowsKey,
} from '../contracts/raw-layout';
import { canonicalJson } from '../domain/canonical';
import type { CompiledDataset, Gunzip, RecordBatch } from '../domain/dataset';
import type { CommitEntry, SourceRevision } from '../domain/ingest/commit-log';
import { dataQualityRecords, PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import type {
  BatchCounts,
  BatchDay,
  BatchManifest,
  Connector,
  ReadWarning,
  WrittenObject,
} from '../domain/ingest/manifest';
import type { Clock } from '../ports/clock';
import type { IngestLedger, RecomputeMark } from '../ports/ingest-ledger';
import type { IngestObjectStore, ObjectRef } from '../ports/object-store';
import type { RawCommitLog } from '../ports/raw-commit-log';
import type { SpillStore } from '../ports/spill-store';
import { type CommitDaysResult, commitDays, type DayCommit } from './ingest/commit-days';
import { GzipNdjsonObject } from './ingest/gzip-ndjson-object';
import { type IngestPart, type ReadInput, readInput } from './ingest/read-input';
import { claimSource, finishSource, recordSourceDays, type SourceClaim } from './ingest/source-head';
import { daysOf, type WriteDaysContext, type WrittenDay, writeDay } from './ingest/write-days';

export type { IngestPart } from './ingest/read-input';

export interface IngestBatchRequest {
  readonly dataset: CompiledDataset;
  readonly connector: Connector;
  /** The source, as the data-quality records name it: `s3://bucket/key`, an API URL, `push:<agent>`. */
  readonly source: string;
  readonly parts: AsyncIterable<IngestPart> | Iterable<IngestPart>;
  /** `all_or_nothing`: one invalid row rejects the whole batch (pushed batches, whose sender can fix and resend). */
  readonly mode: 'partial' | 'all_or_nothing';
  /** Hours that ended this long before the ingestion are marked for recomputation. */
  readonly lateAfterMinutes: number;
  /**
   * How the batch is identified. By default by its content: the same bytes, under any key, name or
   * upload method, are one batch (`scope` adds what else makes it distinct, e.g. the pushing agent).
   * A connector whose batches are runs of a stateful traversal gives a fixed id instead.
   */
  readonly identity?: { readonly batchId: string } | { readonly scope: readonly string[] };
  /** For a `replace` dataset: the logical file this input is a version of (see source-head.ts). */
  readonly replaces?: string;
  /** The published version of the declaration `dataset` was compiled from; null (default) for the deployed one. */
  readonly declarationVersion?: number | null;
  /** A replay of quarantined rows: the batches whose rows it reads again (recorded in the manifest). */
  readonly replayOf?: readonly string[];
  /** The read time (future event times are judged against it). @default now */
  readonly readTime?: number;
  /** When the batch must be committed by; reading may take half of the time left. @default no limit */
  readonly deadline?: number;
  /**
   * Whether this batch had a whole run to itself: then an input too slow to read by the deadline
   * is refused as `too_large` for good; otherwise it is `deferred` to a run of its own. @default true
   */
  readonly wholeRun?: boolean;
  /** Keeps an input that cannot be read at all, whole, in quarantine (e.g. an S3 copy). */
  readonly preserveUnreadable?: (target: ObjectRef) => Promise<void>;
  /** Sees each batch of records as it is read (a pull connector tracks its watermark). */
  readonly observe?: (batch: RecordBatch) => void;
  /**
   * Runs once everything is committed, just before the batch is marked done (a pull connector saves
   * its new position here: if the run dies between the two, the next run finds the batch done).
   */
  readonly beforeComplete?: (manifest: BatchManifest) => Promise<void>;
}

export interface IngestDependencies {
  readonly store: IngestObjectStore;
  readonly ledger: IngestLedger;
  readonly log: RawCommitLog;
  readonly spill: SpillStore;
  readonly clock: Clock;
  /** Recorded in every manifest, e.g. `0.1.0+3f2c1ab`. */
  readonly codeVersion: string;
  readonly gunzip?: Gunzip;
  /** How long a claim holds when its owner dies. @default 16 minutes (longer than a Lambda run) */
  readonly leaseMillis?: number;
  /** Bytes of records held in memory before they are spilled to scratch runs. @default 64 MiB */
  readonly memoryBudgetBytes?: number;
  /** Uncompressed bytes of one raw object before its hour goes on in a next part. @default 256 MiB */
  readonly partBytes?: number;
  readonly gzipLevel?: number;
}

export type IngestResult =
  | {
      readonly status: 'ingested' | 'unreadable' | 'rejected' | 'too_large';
      readonly batchId: string;
      readonly manifestKey: string;
      readonly manifest: BatchManifest;
      /** For a batch not ingested: what was wrong, first problems first. */
      readonly problems: string[];
    }
  | {
      readonly status: 'duplicate';
      readonly batchId: string;
      readonly outcome: string;
      readonly manifestKey: string;
      readonly problems: readonly string[];
    }
  | { readonly status: 'busy'; readonly batchId: string; readonly leaseUntil: number }
  /** Ran out of time without a whole run to itself: left for a run of its own. */
  | { readonly status: 'deferred'; readonly reason: string };

/** Problems kept for a rejected batch (and returned to a client sending it again). */
const MAX_PROBLEMS = 20;
const DEFAULT_LEASE = 16 * 60_000;

/** A deterministic batch id: 32 hex characters of SHA-256 over the parts that identify the input. */
export function batchIdOf(...identity: readonly string[]): string {
  return createHash('sha256').update(identity.join('\n')).digest('hex').slice(0, 32);
}

/** SHA-256 of a declaration as canonical JSON (keys sorted), for lineage. */
export function declarationSha256(declaration: unknown): string {
  return createHash('sha256').update(canonicalJson(declaration)).digest('hex');
}

/**
 * Ingests one batch. Returns `duplicate` when the batch was done before (nothing written), `busy`
 * when another run holds it, `deferred` when it should start a run of its own. Any other error
 * releases the claim and is rethrown: a retry writes the same keys and commits what is left.
 */
export async function ingestBatch(request: IngestBatchRequest, deps: IngestDependencies): Promise<IngestResult> {
  const startedAt = deps.clock.now();
  const input = await readInput({
    dataset: request.dataset,
    parts: request.parts,
    readTime: request.readTime ?? startedAt,
    spill: deps.spill,
    budgetBytes: deps.memoryBudgetBytes ?? 64 * 1024 * 1024,
    clock: deps.clock,
    readDeadline:
      request.deadline === undefined ? Number.POSITIVE_INFINITY : startedAt + (request.deadline - startedAt) / 2,
    ...(deps.gunzip ? { gunzip: deps.gunzip } : {}),
    ...(request.observe ? { observe: request.observe } : {}),
    maxProblems: MAX_PROBLEMS,
  });
  try {
    if (input.failure?.kind === 'out_of_time' && request.wholeRun === false) {
      return { status: 'deferred', reason: input.failure.reason };
    }
    return await claimAndWrite(request, deps, input);
  } finally {
    await input.records.dispose();
    await input.quarantined.dispose();
  }
}

async function claimAndWrite(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
): Promise<IngestResult> {
  const { dataset } = request;
  const owner = randomUUID();
  const leaseMillis = deps.leaseMillis ?? DEFAULT_LEASE;
  let source: SourceClaim | null = null;
  let batchId: string;
  if (request.identity && 'batchId' in request.identity) batchId = request.identity.batchId;
  else if (request.replaces !== undefined && !input.failure) {
    const logical = request.replaces;
    source = await claimSource(deps.log, {
      dataset: dataset.id,
      source: logical,
      contentSha256: input.contentSha256,
      owner,
      now: deps.clock.now(),
      leaseMillis,
      batchIdOf: (revision) => batchIdOf('replace', dataset.id, logical, input.contentSha256, String(revision)),
    });
    if (source.kind === 'unchanged') {
      return {
        status: 'duplicate',
        batchId: source.current.batchId,
        outcome: 'ingested',
        manifestKey: '',
        problems: [],
      };
    }
    if (source.kind === 'busy') {
      return { status: 'busy', batchId: batchIdOf('replace', dataset.id, logical), leaseUntil: source.leaseUntil };
    }
    batchId = source.revision.batchId;
  } else {
    const scope = request.identity && 'scope' in request.identity ? request.identity.scope : [];
    batchId = batchIdOf('content', dataset.id, ...scope, input.contentSha256);
  }

  const declaration = declarationSha256(dataset.declaration);
  let claim = await deps.ledger.claim({ dataset: dataset.id, batchId, owner, now: deps.clock.now(), leaseMillis });
  if (
    claim.kind === 'done' &&
    (claim.outcome === 'unreadable' || claim.outcome === 'too_large') &&
    claim.declarationSha256 !== declaration &&
    (await deps.ledger.reopen(dataset.id, batchId, claim.outcome))
  ) {
    // Refused under another declaration (a fixed encoding, raised limits): read again under this one.
    claim = await deps.ledger.claim({ dataset: dataset.id, batchId, owner, now: deps.clock.now(), leaseMillis });
  }
  if (claim.kind === 'done') {
    return {
      status: 'duplicate',
      batchId,
      outcome: claim.outcome,
      manifestKey: claim.manifestKey,
      problems: claim.problems,
    };
  }
  if (claim.kind === 'busy') return { status: 'busy', batchId, leaseUntil: claim.leaseUntil };

  try {
    const manifest = await writeAndCommit(request, deps, input, {
      batchId,
      owner,
      attempt: claim.attempt,
      ingestedAt: claim.firstClaimedAt,
      source: source?.kind === 'acquired' ? source : null,
    });
    return {
      status: manifest.outcome,
      batchId,
      manifestKey: manifestKey(dataset.id, hourPartition(manifest.ingestedAt), batchId),
      manifest,
      problems: manifest.outcome === 'ingested' ? [] : problemsOf(manifest, input),
    };
  } catch (error) {
    // The error that stopped the batch is the one to report; a rerun rewrites the same keys.
    await deps.ledger.release(dataset.id, batchId, owner).catch(() => undefined);
    throw error;
  }
}

interface Claimed {
  readonly batchId: string;
  readonly owner: string;
  readonly attempt: number;
  readonly ingestedAt: number;
  readonly source: Extract<SourceClaim, { kind: 'acquired' }> | null;
}

async function writeAndCommit(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
  claimed: Claimed,
): Promise<BatchManifest> {
  const { dataset } = request;
  const { batchId, ingestedAt } = claimed;
  const ingestHour = hourPartition(ingestedAt);
  const level = deps.gzipLevel ?? 6;
  const outcome = outcomeOf(request, input);
  const objects: WrittenObject[] = [];

  // Quarantined rows (void when the whole input is refused: then the file itself is kept).
  if (outcome === 'ingested' || outcome === 'rejected') {
    const quarantine = await writeQuarantine(
      deps,
      input,
      dataset.id,
      quarantineRowsKey(dataset.id, ingestHour, batchId),
      level,
    );
    if (quarantine) objects.push(quarantine);
  } else if (request.preserveUnreadable) {
    objects.push(...(await preserveInput(request, deps, input, batchId, ingestHour)));
  }

  // Records, day by day, with the days of the batches a correction supersedes.
  const supersedes: readonly SourceRevision[] = claimed.source?.supersedes ?? [];
  const context: WriteDaysContext = {
    dataset: dataset.id,
    batchId,
    keyed: dataset.declaration.key !== undefined,
    records: input.records,
    store: deps.store,
    log: deps.log,
    ignore: new Set([batchId, ...supersedes.map((s) => s.batchId)]),
    gzipLevel: level,
    ...(deps.partBytes ? { partBytes: deps.partBytes } : {}),
  };
  const written = new Map<string, WrittenDay>();
  const hoursByDay = outcome === 'ingested' ? daysOf(input.records) : new Map<string, number[]>();
  for (const [date, hours] of hoursByDay) written.set(date, await writeDay(context, date, hours));
  const removalDays = [...new Set(supersedes.flatMap((s) => s.days))].filter((date) => !written.has(date));
  let head = claimed.source?.head ?? null;
  if (head) head = await recordSourceDays(deps.log, head, [...written.keys(), ...removalDays]);

  let counts = countsOf(
    input,
    outcome,
    [...written.values()].map((w) => w.day),
  );
  const late = (hours: Iterable<[number, number]>): RecomputeMark[] =>
    [...hours]
      .filter(([start]) => isLate(hourPartition(start), ingestedAt, request.lateAfterMinutes))
      .map(([start, records]) => ({ dataset: dataset.id, periodStart: start, batchId, records, markedAt: ingestedAt }));
  const ownHours = (): Map<number, number> =>
    new Map([...written.values()].flatMap((w) => [...w.recordsPerHour].filter(([, n]) => n > 0)));

  const mKey = manifestKey(dataset.id, ingestHour, batchId);
  const dqKey = dataQualityObjectKey(PIPELINE_INGEST_DATASET, ingestHour, batchId);
  const manifestOf = (
    days: readonly BatchDay[],
    marks: readonly RecomputeMark[],
    dq: WrittenObject,
  ): BatchManifest => ({
    manifestVersion: 2,
    batchId,
    dataset: dataset.id,
    connector: request.connector,
    outcome,
    problem: problemOf(outcome, input, counts),
    contentSha256: input.contentSha256,
    replaces:
      claimed.source && request.replaces !== undefined
        ? {
            source: request.replaces,
            revision: claimed.source.revision.revision,
            supersedes: supersedes.map((s) => s.batchId),
          }
        : null,
    ingestedAt,
    completedAt: deps.clock.now(),
    attempt: claimed.attempt,
    codeVersion: deps.codeVersion,
    declarationSha256: declarationSha256(dataset.declaration),
    declarationVersion: request.declarationVersion ?? null,
    replayOf: [...(request.replayOf ?? [])],
    sources: input.sources,
    counts,
    warnings: warningsOf(input),
    newestEventTime: outcome === 'ingested' || outcome === 'rejected' ? input.newestEventTime : null,
    oldestEventTime: outcome === 'ingested' || outcome === 'rejected' ? input.oldestEventTime : null,
    latePartitions: aggregateLate(marks),
    days: [...days],
    objects: [...objects, ...[...written.values()].flatMap((w) => w.objects), dq].sort((a, b) =>
      a.key < b.key ? -1 : 1,
    ),
  });

  // The data-quality records, then the manifest: the plan a rerun would follow.
  const plannedMarks = late(ownHours());
  const dqDay = (await deps.log.entries(PIPELINE_INGEST_DATASET, ingestHour.date, ingestHour.date)).find(
    (entry) => entry.batchId === `dq-${batchId}`,
  );
  let dq = dqDay
    ? committedDataQuality(deps, dqDay)
    : await writeDataQuality(deps, request, input, {
        batchId,
        outcome,
        counts,
        ingestedAt,
        lateRecords: plannedMarks.reduce((n, m) => n + m.records, 0),
        key: dqKey,
        level,
      });
  let manifest = manifestOf(
    [...written.values()].map((w) => w.day),
    plannedMarks,
    dq,
  );
  await deps.store.put({ area: 'raw', key: mKey }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');

  // Commit: the dataset's days, then the data-quality records.
  const dayCommits: DayCommit[] = [
    ...[...written.values()].map((w) => dayCommit(w)),
    ...removalDays.map((date) => ({ date, objects: [], keysKey: null, keys: 0, snapshotVersion: 0 })),
  ];
  const committed: CommitDaysResult = await commitDays({
    log: deps.log,
    store: deps.store,
    dataset: dataset.id,
    batchId,
    source: request.replaces ?? batchId,
    supersedes: supersedes.map((s) => s.batchId),
    days: dayCommits,
    manifestKey: mKey,
    committedAt: deps.clock.now(),
    rewrite: async (date) => {
      const again = await writeDay(context, date, hoursByDay.get(date) ?? []);
      written.set(date, again);
      return dayCommit(again);
    },
  });
  if (committed.rewritten.length > 0 && !dqDay) {
    // Keys a concurrent batch added first are duplicates now: the plan says so before it is done.
    counts = countsOf(
      input,
      outcome,
      [...written.values()].map((w) => w.day),
    );
    dq = await writeDataQuality(deps, request, input, {
      batchId,
      outcome,
      counts,
      ingestedAt,
      lateRecords: late(ownHours()).reduce((n, m) => n + m.records, 0),
      key: dqKey,
      level,
    });
  }
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
          {
            key: dq.key,
            hour: ingestHour.start,
            records: dq.records,
            bytes: dq.bytes,
            sha256: dq.sha256,
            minEventTime: ingestedAt,
            maxEventTime: ingestedAt,
          },
        ],
        keysKey: null,
        keys: 0,
        snapshotVersion: 0,
      },
    ],
    manifestKey: mKey,
    committedAt: deps.clock.now(),
  });
  if (head) await finishSource(deps.log, head);

  // Hours that got records late, and those a correction took records from, are computed again.
  const marks = mergeMarks([...late(ownHours()), ...late(hoursOfEntries(committed.superseded))]);
  manifest = manifestOf(
    [...written.values()].map((w) => w.day),
    marks,
    dq,
  );
  if (committed.rewritten.length > 0 || marks.length !== plannedMarks.length) {
    await deps.store.put({ area: 'raw', key: mKey }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  }
  await deps.ledger.markForRecompute(marks);
  await request.beforeComplete?.(manifest);
  await deps.ledger.complete({
    dataset: dataset.id,
    batchId,
    owner: claimed.owner,
    completedAt: deps.clock.now(),
    outcome,
    manifestKey: mKey,
    read: counts.read,
    valid: counts.valid,
    quarantined: counts.quarantined,
    problems: outcome === 'ingested' ? [] : problemsOf(manifest, input),
    declarationSha256: manifest.declarationSha256,
  });
  return manifest;
}

function outcomeOf(request: IngestBatchRequest, input: ReadInput): BatchManifest['outcome'] {
  if (input.failure?.kind === 'unreadable') return 'unreadable';
  if (input.failure) return 'too_large';
  if (request.mode === 'all_or_nothing' && input.counts.quarantined > 0) return 'rejected';
  return 'ingested';
}

function countsOf(input: ReadInput, outcome: BatchManifest['outcome'], days: readonly BatchDay[]): BatchCounts {
  if (outcome === 'unreadable' || outcome === 'too_large') {
    return { read: 0, valid: 0, quarantined: 0, duplicate: 0, quarantinedByReason: {} };
  }
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

function problemOf(
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

function problemsOf(manifest: BatchManifest, input: ReadInput): string[] {
  if (manifest.outcome === 'rejected') return input.problems;
  return manifest.problem ? [manifest.problem.reason] : [];
}

function warningsOf(input: ReadInput): ReadWarning[] {
  return input.warnings;
}

function dayCommit(written: WrittenDay): DayCommit {
  return {
    date: written.day.date,
    objects: written.committed,
    keysKey: written.day.keysKey,
    keys: written.keys,
    snapshotVersion: written.day.snapshotVersion,
  };
}

function hoursOfEntries(entries: readonly CommitEntry[]): Map<number, number> {
  const hours = new Map<number, number>();
  for (const entry of entries) for (const o of entry.objects) hours.set(o.hour, (hours.get(o.hour) ?? 0) + o.records);
  return hours;
}

/** One mark per hour: the records the batch added there and those a correction took away. */
function mergeMarks(marks: readonly RecomputeMark[]): RecomputeMark[] {
  const byHour = new Map<number, RecomputeMark>();
  for (const mark of marks) {
    const seen = byHour.get(mark.periodStart);
    byHour.set(mark.periodStart, seen ? { ...seen, records: seen.records + mark.records } : mark);
  }
  return [...byHour.values()].sort((a, b) => a.periodStart - b.periodStart);
}

function aggregateLate(marks: readonly RecomputeMark[]): BatchManifest['latePartitions'] {
  const byHour = new Map<number, number>();
  for (const mark of marks) byHour.set(mark.periodStart, (byHour.get(mark.periodStart) ?? 0) + mark.records);
  return [...byHour]
    .sort(([a], [b]) => a - b)
    .map(([start, records]) => ({ date: hourPartition(start).date, hour: hourPartition(start).hour, records }));
}

async function writeQuarantine(
  deps: IngestDependencies,
  input: ReadInput,
  dataset: string,
  key: string,
  level: number,
): Promise<WrittenObject | null> {
  if (input.counts.quarantined === 0) return null;
  const ref: ObjectRef = { area: 'quarantine', key };
  const object = new GzipNdjsonObject(
    ref,
    deps.store.stage(ref, 'application/x-ndjson'),
    { kind: 'quarantine', bucket: deps.store.bucket('quarantine'), dataset },
    level,
  );
  try {
    for await (const segment of input.quarantined.segmentsOf(0)) await object.append(segment.lines, segment.records);
    const written = await object.end();
    await object.staged.commit();
    return written;
  } catch (error) {
    await object.abort().catch(() => undefined);
    throw error;
  }
}

async function preserveInput(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
  batchId: string,
  ingestHour: ReturnType<typeof hourPartition>,
): Promise<WrittenObject[]> {
  const { dataset } = request;
  const failed = input.sources.at(-1);
  const file = failed?.uri.split('/').pop() ?? 'input';
  const target: ObjectRef = { area: 'quarantine', key: quarantinedFileKey(dataset.id, ingestHour, batchId, file) };
  await request.preserveUnreadable?.(target);
  const problem = problemOf(outcomeOf(request, input), input, input.counts);
  await deps.store.put(
    { area: 'quarantine', key: quarantinedFileReasonKey(dataset.id, ingestHour, batchId) },
    `${JSON.stringify({ dataset: dataset.id, batchId, source: request.source, file: failed?.uri, code: problem?.code, reason: problem?.reason }, null, 2)}\n`,
    'application/json',
  );
  return [
    {
      kind: 'quarantined_file',
      bucket: deps.store.bucket('quarantine'),
      key: target.key,
      dataset: dataset.id,
      records: 0,
      bytes: failed?.bytes ?? 0,
      sha256: failed?.sha256 ?? '',
      minEventTime: null,
      maxEventTime: null,
    },
  ];
}

/** The data-quality object an earlier attempt committed: never written again. */
function committedDataQuality(deps: IngestDependencies, entry: CommitEntry): WrittenObject {
  const object = entry.objects[0];
  if (!object) throw new Error(`the data-quality commit of ${entry.batchId} names no object`);
  return {
    kind: 'data_quality',
    bucket: deps.store.bucket('raw'),
    key: object.key,
    dataset: PIPELINE_INGEST_DATASET,
    records: object.records,
    bytes: object.bytes,
    sha256: object.sha256,
    minEventTime: object.minEventTime,
    maxEventTime: object.maxEventTime,
  };
}

async function writeDataQuality(
  deps: IngestDependencies,
  request: IngestBatchRequest,
  input: ReadInput,
  facts: {
    batchId: string;
    outcome: BatchManifest['outcome'];
    counts: BatchCounts;
    ingestedAt: number;
    lateRecords: number;
    key: string;
    level: number;
  },
): Promise<WrittenObject> {
  const ref: ObjectRef = { area: 'raw', key: facts.key };
  const object = new GzipNdjsonObject(
    ref,
    deps.store.stage(ref, 'application/x-ndjson'),
    { kind: 'data_quality', bucket: deps.store.bucket('raw'), dataset: PIPELINE_INGEST_DATASET },
    facts.level,
  );
  const problem = problemOf(facts.outcome, input, facts.counts);
  const records = dataQualityRecords({
    batchId: facts.batchId,
    dataset: request.dataset.id,
    connector: request.connector,
    source: request.source,
    outcome: facts.outcome,
    problemCode: problem?.code ?? null,
    ingestedAt: facts.ingestedAt,
    counts: facts.counts,
    warnings: warningsOf(input),
    newestEventTime: facts.outcome === 'ingested' ? input.newestEventTime : null,
    oldestEventTime: facts.outcome === 'ingested' ? input.oldestEventTime : null,
    lateRecords: facts.lateRecords,
    bytes: input.bytesRead,
    durationMs: Math.max(0, deps.clock.now() - input.startedAt),
  });
  await object.append(
    `${records.map((r) => JSON.stringify(r)).join('\n')}\n`,
    records.length,
    facts.ingestedAt,
    facts.ingestedAt,
  );
  const written = await object.end();
  await object.staged.commit();
  return written;
}

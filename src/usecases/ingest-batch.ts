// Use case: ingest one batch (a dropped file, a run of API pages, a pushed request) into raw and
// quarantine, exactly once, as a pipeline of named steps:
//   read     the input once, to scratch runs by event hour, hashing its content (read-input.ts);
//   claim    the batch, identified by that content (or a connector's fixed id), in the ledger
//            (claim-batch.ts);
//   write    the quarantine, each day's objects (dropping keys already ingested, write-days.ts),
//            then the data-quality records and the manifest (write-batch.ts); nothing is visible yet;
//   commit   each day in the raw commit log with a put-if-absent (commit-days.ts): from then on
//            readers see the batch's objects of that day, and never those of a batch it supersedes;
//            then the data-quality records (commit-batch.ts);
//   complete the claim, after marking late hours for recomputation (commit-batch.ts).
// A run that dies anywhere leaves either nothing visible or whole committed days; the rerun writes
// the same keys and commits the days left. See docs/ingestion.md for the protocol and its invariants.
import type { CompiledDataset, Gunzip, RecordBatch } from '../domain/dataset';
import type { BatchManifest, Connector } from '../domain/ingest/manifest';
import type { Clock } from '../ports/clock';
import type { IngestLedger } from '../ports/ingest-ledger';
import type { IngestObjectStore, ObjectRef } from '../ports/object-store';
import type { RawCommitLog } from '../ports/raw-commit-log';
import type { SpillStore } from '../ports/spill-store';
import { claimedBatch, problemsOf } from './ingest/batch-facts';
import { type BatchClaim, claimBatch } from './ingest/claim-batch';
import { commitDataQuality, commitRecords, completeBatch } from './ingest/commit-batch';
import { type IngestPart, type ReadInput, readInput } from './ingest/read-input';
import { writePlan, writeRecords } from './ingest/write-batch';

export { batchIdOf, declarationSha256 } from './ingest/claim-batch';
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
  /** Characters of lines up to which a day is one object of hour members. @default 8 Mi (write-days.ts) */
  readonly dayObjectChars?: number;
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

/**
 * Ingests one batch. Returns `duplicate` when the batch was done before (nothing written), `busy`
 * when another run holds it, `deferred` when it should start a run of its own. Any other error
 * releases the claim and is rethrown: a retry writes the same keys and commits what is left.
 */
export async function ingestBatch(request: IngestBatchRequest, deps: IngestDependencies): Promise<IngestResult> {
  const input = await readBatch(request, deps);
  try {
    if (input.failure?.kind === 'out_of_time' && request.wholeRun === false) {
      return { status: 'deferred', reason: input.failure.reason };
    }
    const claimed = await claimBatch(request, deps, input);
    if (claimed.kind === 'settled') return claimed.result;
    return await writeAndCommit(request, deps, input, claimed.claim);
  } finally {
    await input.records.dispose();
    await input.quarantined.dispose();
  }
}

/** Reads the input once, to scratch runs by event hour; reading may take half of the time left. */
function readBatch(request: IngestBatchRequest, deps: IngestDependencies): Promise<ReadInput> {
  const startedAt = deps.clock.now();
  return readInput({
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
}

/** Write, then commit, a claimed batch; on any error the claim is released for a rerun. */
async function writeAndCommit(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
  claim: BatchClaim,
): Promise<IngestResult> {
  const batch = claimedBatch(request, deps, input, claim);
  try {
    const written = await writeRecords(batch);
    const plan = await writePlan(batch, written);
    const committed = await commitRecords(batch, written);
    const record = await commitDataQuality(batch, written, plan, committed);
    const manifest = await completeBatch(batch, written, plan, committed, record);
    const { batchId, manifestKey } = batch;
    return { status: manifest.outcome, batchId, manifestKey, manifest, problems: problemsOf(manifest, input) };
  } catch (error) {
    // The error that stopped the batch is the one to report; a rerun rewrites the same keys.
    await deps.ledger.release(request.dataset.id, claim.batchId, claim.owner).catch(() => undefined);
    throw error;
  }
}

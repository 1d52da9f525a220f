// Port: ingestion's bookkeeping in the state table. Batch claims make reruns idempotent (a batch
// id is claimed once, completed once), recompute marks tell the compute stage which hours got
// late data, and watermarks let a pull connector fetch only what is new.

/** The answer to a claim. */
export type BatchClaim =
  /** Yours: go ahead. `firstClaimedAt` is the same on every attempt (the batch's ingestion time). */
  | { readonly kind: 'claimed'; readonly firstClaimedAt: number; readonly attempt: number }
  /** Already done by an earlier run: write nothing. */
  | {
      readonly kind: 'done';
      readonly completedAt: number;
      readonly outcome: string;
      readonly manifestKey: string;
      readonly problems: readonly string[];
      /** The declaration the batch was read with (absent for batches completed before it was recorded). */
      readonly declarationSha256?: string;
    }
  /** Another run holds it until `leaseUntil`. */
  | { readonly kind: 'busy'; readonly leaseUntil: number };

export interface ClaimRequest {
  readonly dataset: string;
  readonly batchId: string;
  /** Who claims (a request id); completion checks it. */
  readonly owner: string;
  readonly now: number;
  /** How long the claim holds if the owner dies without releasing it. */
  readonly leaseMillis: number;
}

export interface CompletionRequest {
  readonly dataset: string;
  readonly batchId: string;
  readonly owner: string;
  readonly completedAt: number;
  readonly outcome: string;
  readonly manifestKey: string;
  readonly read: number;
  readonly valid: number;
  readonly quarantined: number;
  /** First problems of a rejected batch, returned to a client that sends it again. */
  readonly problems: readonly string[];
  /** The declaration the batch was read with: a refused file is read again once it changes. */
  readonly declarationSha256?: string;
}

/** A name under which a batch is known besides its id (a landing file's key and version). */
export interface BatchAlias {
  readonly dataset: string;
  /** The name: e.g. a batch id derived from a landing file's key, ETag and upload time. */
  readonly aliasId: string;
  readonly batchId: string;
  readonly outcome: string;
  readonly completedAt: number;
}

/**
 * Days a recompute mark is kept: each KPI's scheduled refresh recomputes the marked periods older
 * than its own lookback until it has computed them with the marked batch, so a refresh that fails
 * or is skipped on one day catches up on the next.
 */
export const RECOMPUTE_MARK_DAYS = 7;

/** An hour of a dataset that received records after it may have been computed. */
export interface RecomputeMark {
  readonly dataset: string;
  /** Start of the hour, epoch ms; the period is `[periodStart, periodStart + 1 h)`. */
  readonly periodStart: number;
  readonly batchId: string;
  readonly records: number;
  readonly markedAt: number;
}

/** Where a pull connector stands. */
export interface WatermarkState {
  /** Newest value seen of the watermark field, ISO-8601; sent as the watermark parameter. */
  readonly watermark: string | null;
  /** A traversal cut short (page limit, time, failure): where to resume, and what it had seen. */
  readonly traversal: {
    readonly watermarkSent: string | null;
    readonly resume: string;
    readonly pendingWatermark: string | null;
    readonly pages: number;
  } | null;
  /** Optimistic-locking version; 0 before the first save. */
  readonly version: number;
}

export interface IngestLedger {
  /** Claims a batch, or says it is done or busy. */
  claim(request: ClaimRequest): Promise<BatchClaim>;
  /** Which of these batch ids are done (to skip them without a claim each). */
  completed(dataset: string, batchIds: readonly string[]): Promise<Set<string>>;
  /** Marks the batch done. Fails with ConflictError if `owner` no longer holds it. */
  complete(request: CompletionRequest): Promise<void>;
  /** Gives up a claim so that the next run may take it at once. */
  release(dataset: string, batchId: string, owner: string): Promise<void>;
  /** Records that `aliasId` is done as `batchId`: `completed` then lists it without reading it again. */
  alias(alias: BatchAlias): Promise<void>;
  /**
   * Makes a done batch claimable again if its outcome is still `outcome` (a file refused as
   * unreadable or too large, once its declaration changed). False when it was not so.
   */
  reopen(dataset: string, batchId: string, outcome: string): Promise<boolean>;
  /** Records hours to recompute; idempotent per (dataset, hour, batch). */
  markForRecompute(marks: readonly RecomputeMark[]): Promise<void>;
  /**
   * Recompute marks of a dataset, oldest hour first; what the compute stage queries. Marks expire
   * {@link RECOMPUTE_MARK_DAYS} days after they were made (every schedule has seen them by then).
   * @param markedSince only marks made at or after this instant (epoch ms)
   */
  recomputeMarks(dataset: string, markedSince?: number): Promise<RecomputeMark[]>;
  readWatermark(dataset: string): Promise<WatermarkState>;
  /** Saves the state if its version is still `state.version`; the saved version is one more. */
  saveWatermark(dataset: string, state: WatermarkState): Promise<void>;
}

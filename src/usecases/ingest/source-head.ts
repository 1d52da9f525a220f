// Use case support: the head of a logical file of a `replace` dataset. A corrected export takes the
// head's commit lease, names the batch in force (and any batch whose commit died half-way) as the
// batches it supersedes, commits, then becomes the one in force. The lease makes two corrections of
// one file take turns, so that on every day one of them is in force, never both. The same content as
// the batch in force changes nothing; the same content as an earlier revision becomes a new revision
// (the newest file dropped is the one that counts).

import { ConflictError } from '../../domain/errors';
import type { SourceHead, SourceRevision } from '../../domain/ingest/commit-log';
import type { RawCommitLog } from '../../ports/raw-commit-log';

export type SourceClaim =
  /** The content is what is in force already: nothing to do. */
  | { readonly kind: 'unchanged'; readonly current: SourceRevision }
  /** Another correction of the file is being committed. */
  | { readonly kind: 'busy'; readonly leaseUntil: number }
  /** Ours to commit as `revision`, superseding `supersedes`. */
  | {
      readonly kind: 'acquired';
      readonly revision: SourceRevision;
      readonly supersedes: readonly SourceRevision[];
      readonly head: SourceHead;
    };

export interface SourceClaimRequest {
  readonly dataset: string;
  readonly source: string;
  readonly contentSha256: string;
  readonly owner: string;
  readonly now: number;
  readonly leaseMillis: number;
  /** The batch id of a revision of this content. */
  readonly batchIdOf: (revision: number) => string;
}

export async function claimSource(log: RawCommitLog, request: SourceClaimRequest): Promise<SourceClaim> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const head: SourceHead = (await log.readSource(request.dataset, request.source)) ?? {
      dataset: request.dataset,
      source: request.source,
      current: null,
      committing: null,
      stamp: 0,
    };
    const { current, committing } = head;
    const mine = committing?.contentSha256 === request.contentSha256;
    if (!committing && current?.contentSha256 === request.contentSha256) return { kind: 'unchanged', current };
    if (committing && !mine && committing.leaseUntil > request.now) {
      return { kind: 'busy', leaseUntil: committing.leaseUntil };
    }
    const number = mine ? committing.revision : Math.max(current?.revision ?? 0, committing?.revision ?? 0) + 1;
    const revision: SourceRevision = mine
      ? {
          batchId: committing.batchId,
          contentSha256: committing.contentSha256,
          revision: number,
          days: committing.days,
        }
      : { batchId: request.batchIdOf(number), contentSha256: request.contentSha256, revision: number, days: [] };
    // A commit that died half-way may have made some of its days visible: supersede it too.
    const supersedes = [current, !mine && committing && committing.days.length > 0 ? committing : null].filter(
      (r): r is SourceRevision => r !== null && r.batchId !== revision.batchId,
    );
    const next: SourceHead = {
      ...head,
      committing: { ...revision, owner: request.owner, leaseUntil: request.now + request.leaseMillis },
      stamp: head.stamp + 1,
    };
    if (await log.writeSource(next)) {
      return { kind: 'acquired', revision, supersedes: supersedes.map(stripLease), head: next };
    }
  }
  throw new ConflictError(`the head of ${request.source} in ${request.dataset} kept moving`);
}

/** Records the days the batch is about to commit on, so that a successor knows where to supersede it. */
export async function recordSourceDays(
  log: RawCommitLog,
  head: SourceHead,
  days: readonly string[],
): Promise<SourceHead> {
  const committing = head.committing;
  if (!committing) throw new ConflictError(`${head.source}: no commit in progress`);
  const next: SourceHead = {
    ...head,
    committing: { ...committing, days: [...new Set([...committing.days, ...days])].sort() },
    stamp: head.stamp + 1,
  };
  if (!(await log.writeSource(next))) {
    throw new ConflictError(`${head.source}: another run took over the commit of batch ${committing.batchId}`);
  }
  return next;
}

/** Makes the committed batch the one in force. */
export async function finishSource(log: RawCommitLog, head: SourceHead): Promise<void> {
  const committing = head.committing;
  if (!committing) return;
  const next: SourceHead = { ...head, current: stripLease(committing), committing: null, stamp: head.stamp + 1 };
  if (!(await log.writeSource(next))) {
    throw new ConflictError(`${head.source}: another run took over the commit of batch ${committing.batchId}`);
  }
}

function stripLease(revision: SourceRevision): SourceRevision {
  return {
    batchId: revision.batchId,
    contentSha256: revision.contentSha256,
    revision: revision.revision,
    days: revision.days,
  };
}

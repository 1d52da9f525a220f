// Use case step: claim a batch that was read. Its id comes from a connector, from the logical file a
// `replace` dataset's input is a version of (source-head.ts), or from its content; the ledger then
// gives it to one run at a time. A batch done before, or held by a live run, goes no further.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../../domain/canonical';
import type { IngestBatchRequest, IngestDependencies, IngestResult } from '../ingest-batch';
import type { ReadInput } from './read-input';
import { claimSource, type SourceClaim } from './source-head';

const DEFAULT_LEASE = 16 * 60_000;

/** A correction that holds its logical file's head. */
export type AcquiredSource = Extract<SourceClaim, { kind: 'acquired' }>;

/** What the ledger gave this run: the batch, for as long as its lease holds. */
export interface BatchClaim {
  readonly batchId: string;
  /** This run, as the ledger knows it. */
  readonly owner: string;
  readonly attempt: number;
  /** When the batch was first claimed: reruns keep it, so they write the same keys. */
  readonly ingestedAt: number;
  readonly source: AcquiredSource | null;
}

/** The claim, or the result for a batch that goes no further (`duplicate` or `busy`). */
export type ClaimStep =
  | { readonly kind: 'claimed'; readonly claim: BatchClaim }
  | { readonly kind: 'settled'; readonly result: IngestResult };

/** A deterministic batch id: 32 hex characters of SHA-256 over the parts that identify the input. */
export function batchIdOf(...identity: readonly string[]): string {
  return createHash('sha256').update(identity.join('\n')).digest('hex').slice(0, 32);
}

/** SHA-256 of a declaration as canonical JSON (keys sorted), for lineage. */
export function declarationSha256(declaration: unknown): string {
  return createHash('sha256').update(canonicalJson(declaration)).digest('hex');
}

export async function claimBatch(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
): Promise<ClaimStep> {
  const owner = randomUUID();
  const leaseMillis = deps.leaseMillis ?? DEFAULT_LEASE;
  const identified = await identifyBatch(request, deps, input, owner, leaseMillis);
  if (identified.kind === 'settled') return identified;
  const { batchId, source } = identified;
  const dataset = request.dataset.id;
  const declaration = declarationSha256(request.dataset.declaration);
  let claim = await deps.ledger.claim({ dataset, batchId, owner, now: deps.clock.now(), leaseMillis });
  if (
    claim.kind === 'done' &&
    (claim.outcome === 'unreadable' || claim.outcome === 'too_large') &&
    claim.declarationSha256 !== declaration &&
    (await deps.ledger.reopen(dataset, batchId, claim.outcome))
  ) {
    // Refused under another declaration (a fixed encoding, raised limits): read again under this one.
    claim = await deps.ledger.claim({ dataset, batchId, owner, now: deps.clock.now(), leaseMillis });
  }
  if (claim.kind === 'done') {
    const { outcome, manifestKey, problems } = claim;
    return { kind: 'settled', result: { status: 'duplicate', batchId, outcome, manifestKey, problems } };
  }
  if (claim.kind === 'busy')
    return { kind: 'settled', result: { status: 'busy', batchId, leaseUntil: claim.leaseUntil } };
  return {
    kind: 'claimed',
    claim: { batchId, owner, attempt: claim.attempt, ingestedAt: claim.firstClaimedAt, source },
  };
}

type Identified =
  | { readonly kind: 'identified'; readonly batchId: string; readonly source: AcquiredSource | null }
  | { readonly kind: 'settled'; readonly result: IngestResult };

/** The batch id; for a correction, after taking its logical file's head (or finding it unchanged or busy). */
async function identifyBatch(
  request: IngestBatchRequest,
  deps: IngestDependencies,
  input: ReadInput,
  owner: string,
  leaseMillis: number,
): Promise<Identified> {
  const dataset = request.dataset.id;
  if (request.identity && 'batchId' in request.identity) {
    return { kind: 'identified', batchId: request.identity.batchId, source: null };
  }
  if (request.replaces === undefined || input.failure) {
    const scope = request.identity && 'scope' in request.identity ? request.identity.scope : [];
    return { kind: 'identified', batchId: batchIdOf('content', dataset, ...scope, input.contentSha256), source: null };
  }
  const logical = request.replaces;
  const source = await claimSource(deps.log, {
    dataset,
    source: logical,
    contentSha256: input.contentSha256,
    owner,
    now: deps.clock.now(),
    leaseMillis,
    batchIdOf: (revision) => batchIdOf('replace', dataset, logical, input.contentSha256, String(revision)),
  });
  if (source.kind === 'unchanged') {
    const result = {
      status: 'duplicate',
      batchId: source.current.batchId,
      outcome: 'ingested',
      manifestKey: '',
      problems: [],
    } as const;
    return { kind: 'settled', result };
  }
  if (source.kind === 'busy') {
    const result = {
      status: 'busy',
      batchId: batchIdOf('replace', dataset, logical),
      leaseUntil: source.leaseUntil,
    } as const;
    return { kind: 'settled', result };
  }
  return { kind: 'identified', batchId: source.revision.batchId, source };
}

// Port: where approval requests, their tier notices and task tokens, and the guardrail stage's
// idempotency markers live. Every state change is a conditional write, so that concurrent callers
// (fifty clicks on one link, a click racing a deadline) see exactly one winner.

import type { ApprovalOutcome, ApprovalRequest, ApprovalStatus, TierNotice } from '../domain/guardrails/approval';
import type { AutonomyMode } from '../domain/guardrails/autonomy';

/** Who holds a concern: the approval opened for it, and what it was opened from. */
export interface ConcernClaim {
  readonly concernKey: string;
  readonly approvalId: string;
  readonly violationKey: string;
  readonly previousMode: AutonomyMode;
  readonly claimedAt: string;
}

/** The result of a conditional transition: whether this caller won, and the request as it now stands. */
export type Transition = { readonly won: boolean; readonly request: ApprovalRequest };

export interface ApprovalStore {
  /** Claims a concern for a new approval; when another approval holds it, returns that claim. */
  claimConcern(
    claim: ConcernClaim,
    expiresAtEpochSeconds: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: ConcernClaim }>;
  /** The claim holding a concern now, if any (an expired claim counts as none). */
  getConcern(concernKey: string): Promise<ConcernClaim | undefined>;
  /** Frees a concern, if `approvalId` still holds it. */
  releaseConcern(concernKey: string, approvalId: string): Promise<void>;
  /** Remembers which approval took up a violation, so a re-evaluation never asks again. */
  markViolation(violationKey: string, approvalId: string, expiresAtEpochSeconds: number): Promise<void>;
  /** The approval that took up a violation, if one did. */
  violationMark(violationKey: string): Promise<{ approvalId: string } | undefined>;
  /**
   * Claims the notice to an owner for one delivery of a violation (`claimId`: the same on every
   * retry of that delivery, so a retried write or a rerun after a crash takes its own claim again).
   * `sent` when a delivery sent it already; `pending` when another delivery holds it and its lease
   * (longer than an intake run may live) has not run out.
   */
  claimOwnerNotice(claim: OwnerNoticeClaim): Promise<'claimed' | 'sent' | 'pending'>;
  /** Marks a claimed notice sent (nothing when another delivery has taken the claim over). */
  markOwnerNoticeSent(noticeKey: string, claimId: string): Promise<void>;
  /** Forgets a claimed notice whose sending failed, so a retry sends it. */
  releaseOwnerNotice(noticeKey: string, claimId: string): Promise<void>;

  /** Stores a new request; false when one with this id exists already. */
  createRequest(request: ApprovalRequest): Promise<boolean>;
  getRequest(approvalId: string): Promise<ApprovalRequest | undefined>;
  /** Requests in one status, oldest first (at most `limit`). */
  listRequests(status: ApprovalStatus, limit?: number): Promise<ApprovalRequest[]>;
  /**
   * Opens `notice.tier`: stores the notice and the task token, and sets the request's deadline.
   * @throws ConflictError unless the request is pending at that tier
   */
  openTier(notice: TierNotice, taskToken: string): Promise<void>;
  getTaskToken(approvalId: string, tier: number): Promise<string | undefined>;
  listTierNotices(approvalId: string): Promise<TierNotice[]>;
  /** pending at `outcome.tier`, before its deadline → approved or rejected. */
  recordDecision(approvalId: string, outcome: ApprovalOutcome): Promise<Transition>;
  /** pending at `tier` → pending at `tier + 1` (`escalate`) or expired (`expire`). */
  closeTier(approvalId: string, tier: number, next: 'escalate' | 'expire'): Promise<Transition>;
  /** pending → failed. */
  markFailed(approvalId: string): Promise<Transition>;
  /** Stamps a decided, expired or failed request as done (its outcome applied). */
  markClosed(approvalId: string, closedAt: string): Promise<void>;
}

/** A claim on the notice to an owner about one violation. */
export interface OwnerNoticeClaim {
  readonly noticeKey: string;
  /** Identifies the delivery of the violation: the same on its retries, another on a re-evaluation. */
  readonly claimId: string;
  /** How long a claim that was never marked sent holds before another delivery may take it over. */
  readonly leaseSeconds: number;
  /** When the notice is forgotten (a re-evaluation after that tells the owner again). */
  readonly expiresAtEpochSeconds: number;
}

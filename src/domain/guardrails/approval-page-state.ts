// Domain: the states of the approval page, as an approver sees them (the use case decides which;
// the page renders it).
import type { ApprovalRequest, TierNotice } from './approval';
import type { ApprovalLinkClaims } from './approval-link';

/** The request a genuine link names, as the page shows it. */
export interface ApprovalPageContext {
  readonly request: ApprovalRequest;
  readonly claims: ApprovalLinkClaims;
  /** Every tier asked so far, first first. */
  readonly notices: readonly TierNotice[];
}

/**
 * What the page shows:
 * - `invalid`: not a link this service signed (forged, tampered, malformed, unknown approval).
 * - `expired`: a genuine link past its expiry.
 * - `escalated`: a genuine link of a tier whose deadline passed; the request moved on.
 * - `closed`: nobody answered in time or the workflow failed; the safe default applied.
 * - `decided`: somebody (`byYou`: this approver) decided already.
 * - `open`: the approver may decide.
 * - `recorded`: this POST decided.
 */
export type ApprovalPage =
  | { readonly kind: 'invalid' }
  | ({ readonly kind: 'expired' } & ApprovalPageContext)
  | ({ readonly kind: 'escalated' } & ApprovalPageContext)
  | ({ readonly kind: 'closed' } & ApprovalPageContext)
  | ({ readonly kind: 'decided'; readonly byYou: boolean } & ApprovalPageContext)
  | ({ readonly kind: 'open' } & ApprovalPageContext)
  | ({ readonly kind: 'recorded'; readonly resumed: Resumed } & ApprovalPageContext);

/**
 * How the waiting workflow heard of the decision: `resumed` at once; otherwise (its token timed
 * out, is missing, or Step Functions failed to answer) it applies the recorded decision when the
 * tier's deadline fires.
 */
export type Resumed = 'resumed' | 'token_expired' | 'no_token' | 'deferred';

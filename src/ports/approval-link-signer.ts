// Port: signs and verifies approval links (HMAC-SHA256 with a key held in Secrets Manager on AWS).
import type { ApprovalLinkClaims } from '../domain/guardrails/approval-link';

export interface ApprovalLinkSigner {
  /** The base64url signature of the claims. */
  sign(claims: ApprovalLinkClaims): Promise<string>;
  /** Whether `signature` is the claims' signature under the current (or previous) key; constant-time. */
  verify(claims: ApprovalLinkClaims, signature: string): Promise<boolean>;
}

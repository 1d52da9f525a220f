// Port: signs and verifies the payload of a link (HMAC-SHA256 with the link-signing key held in
// Secrets Manager on AWS). Review links use it directly; approval links through ApprovalLinkSigner.

export interface PayloadSigner {
  /** The base64url signature of `payload`. */
  sign(payload: string): Promise<string>;
  /** Whether `signature` is the payload's signature under the current (or previous) key; constant-time. */
  verify(payload: string, signature: string): Promise<boolean>;
}

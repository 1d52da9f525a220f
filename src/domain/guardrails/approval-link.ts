// Domain: the approval link. It names an approval, the approver it was sent to, the tier and an
// expiry, signed with an HMAC; the task token never appears in it. A GET shows the request, a POST
// decides it. Signing itself happens in an adapter (the key lives in Secrets Manager).
import * as z from 'zod';
import { approvalIdSchema } from './approval';

/** Version of the signed payload; a change of format bumps it and old links stop verifying. */
export const APPROVAL_LINK_VERSION = 'v1';

/** Path of the approval page for one approval, relative to the page's base URL. */
export const APPROVAL_PAGE_PATH = 'approvals';

export interface ApprovalLinkClaims {
  readonly approvalId: string;
  /** The approver's email address, lower case. */
  readonly approver: string;
  /** The tier the link was sent to (0 is the first). */
  readonly tier: number;
  /** Epoch seconds after which the link no longer decides anything. */
  readonly expiresAt: number;
}

/** The exact bytes the HMAC covers: every claim, one per line, after the version. */
export function linkSigningPayload(claims: ApprovalLinkClaims): string {
  return [APPROVAL_LINK_VERSION, claims.approvalId, claims.approver, claims.tier, claims.expiresAt].join('\n');
}

/** The link an approver receives: `<base>/approvals/<id>?approver=…&tier=…&expires=…&sig=…`. */
export function approvalLinkUrl(baseUrl: string, claims: ApprovalLinkClaims, signature: string): string {
  const url = new URL(`${APPROVAL_PAGE_PATH}/${encodeURIComponent(claims.approvalId)}`, withTrailingSlash(baseUrl));
  url.search = new URLSearchParams({
    approver: claims.approver,
    tier: String(claims.tier),
    expires: String(claims.expiresAt),
    sig: signature,
  }).toString();
  return url.toString();
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

const linkQuerySchema = z.object({
  approvalId: approvalIdSchema,
  approver: z.email().max(254),
  tier: z.string().regex(/^(0|[1-9][0-9]?)$/),
  expires: z.string().regex(/^[1-9][0-9]{0,11}$/),
  // An HMAC-SHA256 in base64url: 43 characters.
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export type ParsedApprovalLink =
  | { readonly ok: true; readonly claims: ApprovalLinkClaims; readonly signature: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the claims of a link from its path parameter and query string, without trusting them:
 * the caller still verifies the signature and the expiry.
 */
export function parseApprovalLink(
  approvalId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
): ParsedApprovalLink {
  const parsed = linkQuerySchema.safeParse({ approvalId, ...query });
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues.map((i) => i.path.join('.') || 'link').join(', ') };
  }
  const { approver, tier, expires, sig } = parsed.data;
  return {
    ok: true,
    claims: { approvalId: parsed.data.approvalId, approver, tier: Number(tier), expiresAt: Number(expires) },
    signature: sig,
  };
}

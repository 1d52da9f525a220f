// Domain (review): the link each member of a pack's audience receives. It names the pack, the
// reviewer and an expiry, signed with the same key and HMAC as the approval links but under its own
// payload tag, so neither kind of link can pass for the other. A GET shows the pack's page; a POST
// records what the reviewer submits.
import * as z from 'zod';
import { REVIEW_KINDS, type ReviewKind, reviewPeriodOf } from './kinds';

/** Tag and version of the signed payload; a change of format bumps it and old links stop verifying. */
export const REVIEW_LINK_VERSION = 'review-v1';

/** Path of the review page, relative to the page's base URL: `reviews/<kind>/<period>`. */
export const REVIEW_PAGE_PATH = 'reviews';

export interface ReviewLinkClaims {
  readonly kind: ReviewKind;
  /** The period label, `2026-W47` or `2026-11`. */
  readonly period: string;
  /** The reviewer's email address, lower case. */
  readonly reviewer: string;
  /** Epoch seconds after which the link no longer records anything. */
  readonly expiresAt: number;
}

/** The exact bytes the HMAC covers: every claim, one per line, after the tag. */
export function reviewLinkSigningPayload(claims: ReviewLinkClaims): string {
  return [REVIEW_LINK_VERSION, claims.kind, claims.period, claims.reviewer, claims.expiresAt].join('\n');
}

/** `<base>/reviews/<kind>/<period>?reviewer=…&expires=…&sig=…`. */
export function reviewLinkUrl(baseUrl: string, claims: ReviewLinkClaims, signature: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL(
    `${REVIEW_PAGE_PATH}/${encodeURIComponent(claims.kind)}/${encodeURIComponent(claims.period)}`,
    base,
  );
  url.search = new URLSearchParams({
    reviewer: claims.reviewer,
    expires: String(claims.expiresAt),
    sig: signature,
  }).toString();
  return url.toString();
}

const linkSchema = z.object({
  kind: z.enum(REVIEW_KINDS),
  period: z.string().max(16),
  reviewer: z.email().max(254),
  expires: z.string().regex(/^[1-9][0-9]{0,11}$/),
  // An HMAC-SHA256 in base64url: 43 characters.
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export type ParsedReviewLink =
  | { readonly ok: true; readonly claims: ReviewLinkClaims; readonly signature: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the claims of a link from its path parameters and query string, without trusting them: the
 * caller still verifies the signature and the expiry.
 */
export function parseReviewLink(
  path: { readonly kind: string | undefined; readonly period: string | undefined },
  query: Readonly<Record<string, string | undefined>>,
): ParsedReviewLink {
  const parsed = linkSchema.safeParse({ kind: path.kind, period: path.period, ...query });
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues.map((i) => i.path.join('.') || 'link').join(', ') };
  }
  const { kind, period, reviewer, expires, sig } = parsed.data;
  if (!reviewPeriodOf(kind, period)) return { ok: false, problem: 'period' };
  return {
    ok: true,
    claims: { kind, period, reviewer: reviewer.toLowerCase(), expiresAt: Number(expires) },
    signature: sig,
  };
}

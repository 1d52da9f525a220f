// The layout of review packs, shared by the review functions (which write and read them) and the CDK
// app (which grants those functions their prefixes and schedules one function per kind), so the two
// cannot drift apart. The review kinds repeat src/domain/reviews/kinds.ts; a test keeps them equal.

/** The review kinds, each with its own schedule and function. */
export const REVIEW_KINDS = ['weekly-operational', 'monthly-business'] as const;
export type ReviewKindName = (typeof REVIEW_KINDS)[number];

/** Key prefix of the packs in the snapshots bucket: `reviews/<kind>/<period>/`. */
export const REVIEWS_PREFIX = 'reviews/';

/** The objects of one pack: a self-contained HTML page and the same content as JSON. */
export function reviewPackKeys(kind: string, period: string): { html: string; json: string } {
  const folder = `${REVIEWS_PREFIX}${kind}/${period}/`;
  return { html: `${folder}pack.html`, json: `${folder}pack.json` };
}

/** Message attribute the reviews topic's email subscriptions filter on: each reviewer gets their own link. */
export const REVIEWER_ATTRIBUTE = 'reviewer';

/** Path of the review page on the page API: `GET|POST /reviews/{kind}/{period}`. */
export const REVIEW_PAGE_ROUTE = '/reviews/{kind}/{period}';

// Report: what a review link's page shows, as the review page use case answers it and the HTTP
// adapter renders it: the stored pack, the link's claims, and the state now.
import type { ActionItem } from '../domain/reviews/action-items';
import type { DriftCase } from '../domain/reviews/drift-cases';
import type { ReviewLinkClaims } from '../domain/reviews/review-link';
import type { ReviewNote, ReviewStore } from '../ports/review-store';
import type { ReviewDocument } from './review-pack';

/** What the page shows besides the stored pack: the state now. */
export interface LiveState {
  readonly signOffs: Awaited<ReturnType<ReviewStore['listSignOffs']>>;
  readonly notes: readonly ReviewNote[];
  readonly openItems: readonly ActionItem[];
  readonly openCases: readonly DriftCase[];
}

/** The pack a genuine link opens, whose link it is, and the review's id. */
export interface ReviewPageContext {
  readonly document: ReviewDocument;
  readonly claims: ReviewLinkClaims;
  readonly reviewId: string;
}

/**
 * - `invalid`: not a link this service signed, for a pack that exists, to a member of its audience.
 * - `expired`: a genuine link past its expiry (the page is shown, nothing is recorded).
 * - `open`: the page with the form.
 * - `recorded`: this POST recorded `lines`.
 * - `refused`: this POST had problems (`lines`); nothing was recorded.
 */
export type ReviewPage =
  | { readonly kind: 'invalid' }
  | ({ readonly kind: 'expired' | 'open' } & ReviewPageContext & LiveState)
  | ({ readonly kind: 'recorded' | 'refused'; readonly lines: readonly string[] } & ReviewPageContext & LiveState);

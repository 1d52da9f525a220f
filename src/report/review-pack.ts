// Report: a review pack as stored (the review content and the report model its charts are drawn
// from), and its page. The page itself is review-pack-page.ts; this validates the document first.
import * as z from 'zod';
import { reviewPackSchema } from '../domain/reviews/pack';
import { reportModelSchema } from './model';
import { type ReviewPageState, renderReviewPackPage } from './review-pack-page';

export {
  CHANGE_SECTIONS,
  formatValue,
  NEW_ITEM_ROWS,
  type ReviewPageState,
} from './review-pack-page';

/** A pack as stored: the review content and the report model its charts are drawn from. */
export const reviewDocumentSchema = z.object({ pack: reviewPackSchema, report: reportModelSchema });
export type ReviewDocument = z.infer<typeof reviewDocumentSchema>;
export type ReviewDocumentInput = z.input<typeof reviewDocumentSchema>;

/**
 * The pack's page: the stored one (no state: how to sign off) or the one a review link serves (the
 * live sign-offs, notes, items and cases, and the form while the link may record).
 */
export function renderReviewPackHtml(input: ReviewDocumentInput, state?: ReviewPageState): string {
  return renderReviewPackPage(reviewDocumentSchema.parse(input), state);
}

// The review-pack function's page renderer (the pack's panels and the report's page, no schema),
// bundled on its own beside the function's bundle (lib/constructs/reviews.ts) and imported on the
// first pack the function renders (src/report/lazy-review-page.ts).
export const REVIEW_PAGE_BUNDLE = {
  file: 'review-pack-page.mjs',
  entry: 'src/report/review-pack-page.ts',
} as const;

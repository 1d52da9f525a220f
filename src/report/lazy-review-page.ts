// Report: the review-pack function's renderer, imported on the first pack it renders. In a function
// bundle it is `review-pack-page.mjs` beside the bundle (built from review-pack-page.ts by the
// function's bundling, see lib/constructs/reviews.ts), so the page's code (its styles and browser
// script, ~50 KB) weighs on neither the bundle nor its import; from the sources (local runtime,
// tests) it is review-pack-page.ts. The page module holds no schema: the use case renders the
// document it has just validated.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REVIEW_PAGE_BUNDLE } from '../contracts/review-page-bundle';
import type { ReviewDocument } from './review-pack';

type ReviewPageModule = typeof import('./review-pack-page');

/**
 * The module to import: the bundle's `review-pack-page.mjs` when one sits beside `moduleUrl`, else
 * the sources' review-pack-page.ts. Both by file URL, which the bundler leaves alone.
 */
export function reviewPageModuleUrl(moduleUrl = import.meta.url): string {
  const beside = path.join(path.dirname(fileURLToPath(moduleUrl)), REVIEW_PAGE_BUNDLE.file);
  return existsSync(beside) ? pathToFileURL(beside).href : new URL('./review-pack-page.ts', moduleUrl).href;
}

/** Renders a validated pack's stored page, importing the renderer on the first call and using it afterwards. */
export function lazyReviewPageRenderer(
  moduleUrl = reviewPageModuleUrl(),
): (document: ReviewDocument) => Promise<string> {
  let loading: Promise<ReviewPageModule> | undefined;
  return async (document) => {
    loading ??= (import(moduleUrl) as Promise<ReviewPageModule>).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return (await loading).renderReviewPackPage(document);
  };
}

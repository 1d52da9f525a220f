// HTTP adapter: a review pack's page as a review link serves it. The pack's own page (the report's
// renderer and charts, src/report/review-pack.ts) with the live state and the form, under the same
// hardening as the approval page: no caching or referrer, no framing, and a Content-Security-Policy
// that allows exactly the page's own inline scripts (by hash), its styles, and posts to itself only.
import { createHash } from 'node:crypto';
import { renderReviewPackHtml } from '../../report/review-pack';
import type { ReviewPage } from '../../report/review-page-state';
import { hardenedHeaders, type RenderedPage, renderNotice } from './approval-page-html';

/** SHA-256 (base64) of every inline script that runs (`<script>` without attributes). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script>([\s\S]*?)<\/script>/g)) {
    hashes.push(
      createHash('sha256')
        .update(match[1] ?? '')
        .digest('base64'),
    );
  }
  return hashes;
}

/** The page's policy: its own scripts by hash; inline styles (the charts set style attributes); no network. */
export function reviewPagePolicy(html: string): string {
  const scripts = inlineScriptHashes(html)
    .map((h) => `'sha256-${h}'`)
    .join(' ');
  return `default-src 'none'; script-src ${scripts}; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

/**
 * The page for one answer of the review page use cases, with its HTTP status: 200 for a page (and
 * a recorded POST), 400 when a POST had problems, 403 for an invalid link, 410 for an expired one.
 */
export function renderReviewPage(page: ReviewPage, now: number): RenderedPage {
  if (page.kind === 'invalid') {
    return renderNotice(
      403,
      'Link not valid',
      'This link is not valid',
      'It was not issued by the review service for this pack, or it was changed after it was sent (the reviewer, the period, the expiry or the signature no longer match), or you are not in the pack’s audience any more. Nothing was changed. Open the link exactly as it arrived in your email.',
    );
  }
  const today = new Date(now).toISOString().slice(0, 10);
  const base = {
    reviewer: page.claims.reviewer,
    signOffs: page.signOffs,
    notes: page.notes,
    openItems: page.openItems,
    openCases: page.openCases,
    today,
  };
  const state = (() => {
    switch (page.kind) {
      case 'expired':
        return {
          ...base,
          form: false,
          notice: {
            kind: 'warn' as const,
            title: 'This link has expired',
            lines: [
              `It could record until ${new Date(page.claims.expiresAt * 1000).toISOString()}. The pack is shown as it stands; nothing was changed. The next pack carries the open items and cases.`,
            ],
          },
        };
      case 'open':
        return { ...base, form: true };
      case 'recorded':
        return { ...base, form: true, notice: { kind: 'ok' as const, title: 'Recorded', lines: page.lines } };
      case 'refused':
        return {
          ...base,
          form: true,
          notice: { kind: 'bad' as const, title: 'Nothing was recorded', lines: page.lines },
        };
    }
  })();
  const html = renderReviewPackHtml(page.document, state);
  const statusCode = page.kind === 'expired' ? 410 : page.kind === 'refused' ? 400 : 200;
  return { statusCode, headers: hardenedHeaders(reviewPagePolicy(html)), body: html };
}

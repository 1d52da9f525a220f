import { describe, expect, it } from 'vitest';
import { inlineScriptHashes, renderReviewPage, reviewPagePolicy } from '../../../src/adapters/http/review-page-html';
import { renderReviewPackHtml, reviewDocumentSchema } from '../../../src/report/review-pack';
import { reportFixture } from '../../support/report-fixture';
import { actionItem, packFixture } from '../../support/review-fixtures';

const document = () => ({ pack: packFixture(), report: reportFixture() });
const state = {
  reviewer: 'cmo@example.com',
  signOffs: [],
  notes: [
    {
      reviewId: 'weekly-operational/2026-W47',
      reviewer: 'ops-lead@example.com',
      at: '2026-11-23T09:00:00.000Z',
      note: '<script>x</script>',
    },
  ],
  openItems: [actionItem()],
  openCases: packFixture().cases,
  form: true,
  today: '2026-11-23',
};

describe('the pack page', () => {
  it('gives every element its own id: the review panels never take one of the report', () => {
    const html = renderReviewPackHtml(document(), state);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(20);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes what people wrote: notes, reasons, sign-off notes', () => {
    const html = renderReviewPackHtml(document(), state);
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('v3 counted queued leads &#60;twice&#62;');
    expect(html).toContain('&#60;b&#62;fine&#60;/b&#62;');
    expect(html).not.toContain('<b>fine</b>');
  });

  it('shows the stored pack without a form, and the served one with a form for the reviewer', () => {
    expect(renderReviewPackHtml(document())).not.toContain('<form');
    const served = renderReviewPackHtml(document(), state);
    expect(served).toContain('<form method="post" id="review-form">');
    expect(served).toContain('name="case.lead_handoff_cycle_time_p95/2026-11-20T00:00:00.000Z" value="explain"');
    expect(served).toContain('name="close" value="item-1"');
    expect(served).toContain('Not signed off yet: ops-lead@example.com, cmo@example.com.');
  });

  it('allows exactly the inline scripts of the page, by hash', () => {
    const html = renderReviewPackHtml(document(), state);
    const hashes = inlineScriptHashes(html);
    expect(hashes).toHaveLength(2);
    expect(reviewPagePolicy(html)).toBe(
      `default-src 'none'; script-src 'sha256-${hashes[0]}' 'sha256-${hashes[1]}'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
  });

  it('answers an invalid link with 403 and an expired one with 410 and no form', () => {
    expect(renderReviewPage({ kind: 'invalid' }, Date.parse('2026-11-23T10:00:00Z')).statusCode).toBe(403);
    const expired = renderReviewPage(
      {
        kind: 'expired',
        document: reviewDocumentSchema.parse(document()),
        claims: { kind: 'weekly-operational', period: '2026-W47', reviewer: 'cmo@example.com', expiresAt: 1 },
        reviewId: 'weekly-operational/2026-W47',
        signOffs: [],
        notes: [],
        openItems: [],
        openCases: [],
      },
      Date.parse('2026-11-23T10:00:00Z'),
    );
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This link has expired');
    expect(expired.body).not.toContain('<form');
    expect(expired.headers['x-frame-options']).toBe('DENY');
  });
});

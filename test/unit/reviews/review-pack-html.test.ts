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

  it('colours an at_risk KPI as the report does and says its probability of red and horizon', () => {
    const html = renderReviewPackHtml(document());
    const section = /<div class="change" id="change-([^"]+)">([\s\S]*?)<\/div>\n?(?=<div class="change"|<\/section>)/g;
    const sections = Object.fromEntries([...html.matchAll(section)].map((m) => [m[1], m[2] ?? '']));
    // The page's styles are the report's: an at_risk badge is orange there, as on the report's tiles.
    expect(html).toContain('.badge.at_risk { background:var(--orange); }');
    const scorecard = /<section class="panel review" id="scorecard"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(scorecard).toContain(
      '<span class="badge at_risk">at risk</span> <span class="risk">62 % chance of red by 2026-11-29</span>',
    );
    expect(sections['status-transitions']).toContain(
      '<span class="badge green">green</span></td><td><span class="badge at_risk">at risk</span> <span class="risk">62 % chance of red by 2026-11-29</span>',
    );
    expect(sections['new-at-risks']).toContain(
      '<td>Runtime error rate</td><td>2026-11-21</td><td>2</td><td>1.8 %</td>',
    );
    expect(sections['new-at-risks']).toContain('62 % chance of red by 2026-11-29');
  });

  it('lists the calibration proposals: held for approval with the evidence, and decided since with who decided', () => {
    const html = renderReviewPackHtml(document());
    const proposals = /<div class="change" id="change-proposals">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    expect(proposals).toContain('<h3>Calibration proposals</h3>');
    expect(proposals).toContain('calibration-2026-w47');
    expect(proposals).toContain('<span class="proposal open">held for approval</span>');
    expect(proposals).toContain('green 0.02, yellow 0.05 → green 0.015, yellow 0.03');
    expect(proposals).toContain('Method: robust control limits\nImpact on 28 stored periods: 3 change status');
    expect(proposals).toContain('weekly calibration &#60;robust&#62;');
    expect(proposals).toContain('rejected 2026-11-18 15:00Z by cmo@example.com “looser targets hide the slowdown”');
    // The open drift case on the other KPI has no proposal to hand over to: the page says how to make one.
    expect(html).toContain(
      '(hands over to a calibration proposal) (none open: <code>kpi calibrate --kpi lead_handoff_cycle_time_p95</code> makes one)',
    );
  });

  it('hands a recalibration over to the open proposal of the case KPI', () => {
    const pack = packFixture();
    const withProposal = {
      ...pack,
      cases: pack.cases.map((c) => ({ ...c, kpiId: 'runtime_error_rate', kpiName: 'Runtime error rate' })),
    };
    const html = renderReviewPackHtml({ pack: withProposal, report: reportFixture() });
    expect(html).toContain(
      '(open: <a href="#change-proposals">calibration-2026-w47</a>, held for approval, green 0.02, yellow 0.05 → green 0.015, yellow 0.03)',
    );
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

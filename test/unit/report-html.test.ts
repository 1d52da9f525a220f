import { describe, expect, it } from 'vitest';
import { renderReportHtml, scriptSafeJson } from '../../src/report/render-html';
import { reportFixture } from '../support/report-fixture';

describe('report HTML', () => {
  it('embeds data that cannot close the script element it sits in', () => {
    const json = scriptSafeJson({ text: '</script><script>alert(1)</script>' });
    expect(json).not.toContain('</script>');
    expect(JSON.parse(json)).toEqual({ text: '</script><script>alert(1)</script>' });
  });

  it('is one self-contained file: no external script, style or image', () => {
    const html = renderReportHtml(reportFixture());
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.apache\.org)[^\s"']+\.(js|css|png)/);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes the title in the document head', () => {
    expect(renderReportHtml(reportFixture())).toContain('<title>Agent KPI Pipeline &#60;local run&#62;</title>');
  });

  it('refuses a model that does not validate, naming the field', () => {
    const broken = { ...reportFixture(), kpis: [{ ...reportFixture().kpis[0], category: 'vibes' }] };
    expect(() => renderReportHtml(broken as never)).toThrow(/category/);
  });
});

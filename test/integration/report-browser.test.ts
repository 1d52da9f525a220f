import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-html';
import { launchBrowser } from '../support/browser';
import { reportFixture } from '../support/report-fixture';

const artifacts = path.resolve('test/artifacts');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('report in headless Chromium', () => {
  it('renders tiles, drill-down, lineage, data quality and the audit trail with no console error', async () => {
    mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'report.html');
    writeFileSync(file, renderReportHtml(reportFixture()));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]');

    expect(await page.locator('.tile').count()).toBe(3);
    expect(await page.locator('.tile.red').count()).toBe(1);
    expect(await page.locator('#summary').textContent()).toContain('1 red');
    expect(await page.locator('#summary').textContent()).toContain('1 at risk');
    const atRisk = page.locator('.tile.at_risk');
    expect(await atRisk.count()).toBe(1);
    expect(await atRisk.locator('.outlook').textContent()).toBe('at risk (p = 0.64) by 2026-10-27');
    expect(await page.locator('#proposals').textContent()).toContain('calibration-2026-w43');

    await atRisk.click();
    await page.waitForSelector('#detail:not([hidden]) #trend svg');
    // The trend runs seven forecast days past the last value, the bands shaded, the point marked at risk.
    expect(await page.locator('#trend svg path[fill="rgb(9,105,218)"]').count()).toBe(2);
    // The at-risk point in its colour, and its marker.
    expect(await page.locator('#trend svg path[fill="#d1580b"]').count()).toBe(2);
    expect(await page.locator('#lineage').textContent()).toContain('probability of red at the horizon 0.64');
    await page.screenshot({ path: path.join(artifacts, 'report-forecast.png'), fullPage: true });

    await page.locator('.tile[data-kpi="lead_handoff_cycle_time_p95"]').click();
    await page.waitForSelector('#detail:not([hidden]) #trend svg');
    expect(await page.locator('#dimension option').allTextContents()).toEqual(['agent', 'channel']);
    expect(await page.locator('#breakdown-table tbody tr').count()).toBe(3);
    expect(await page.locator('#breakdown-table').textContent()).toContain('(missing)');
    expect(await page.locator('#lineage').textContent()).toContain('version 3');
    expect(await page.locator('#lineage').textContent()).toContain(
      '24 hour partitions, date=2026-10-20/hour=00 → date=2026-10-20/hour=23',
    );
    expect(await page.locator('#lineage').textContent()).toContain(
      'lineage/kpi=lead_handoff_cycle_time_p95/c0ffee.json.gz',
    );
    await page.screenshot({ path: path.join(artifacts, 'report-detail.png'), fullPage: true });

    // The change log: every definition change listed under the chart, and marked on it when in range.
    expect(await page.locator('#changes tbody tr').count()).toBe(2);
    expect(await page.locator('#changes').textContent()).toContain('v2 → v3 (published)');
    expect(await page.locator('#changes').textContent()).toContain('<i>too</i>');
    expect(await page.locator('#trend svg text').allTextContents()).toContain('v3');
    // Hovering the 13th day (the test's tsconfig has no DOM types: the page code is a string).
    const tooltip = await page.evaluate(`(() => {
      const trend = document.getElementById('trend');
      echarts.getInstanceByDom(trend).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 12 });
      return trend.parentElement.textContent;
    })()`);
    expect(tooltip).toContain('definition v3');
    expect(tooltip).toContain('restated from 2.9');
    expect(await page.locator('#links a').getAttribute('href')).toBe('reviews/weekly-operational/2026-W41/pack.html');

    await page.locator('nav button[data-category="data_quality"]').click();
    expect(await page.locator('.tile').count()).toBe(1);
    expect(await page.locator('#dq-table').textContent()).toContain('invalid_timestamp: 30');
    expect(await page.locator('#approvals').textContent()).toContain('<b>not</b> HTML');
    expect(await page.locator('#audit li').count()).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });
});

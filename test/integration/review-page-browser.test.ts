// A review pack's page in headless Chromium, served by the review page function through the local
// page API under its Content-Security-Policy: the charts run (their scripts are allowed by hash), the
// panels read, and a reviewer signs off with a note, an action item and a case decision by the form.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../src/local/local-cloud';
import { launchBrowser } from '../support/browser';
import { LocalReviews, lastWeeklyRun } from '../support/local-reviews';

const artifacts = path.resolve('test/artifacts');
let browser: Browser;
let cloud: LocalCloud;
let link: string;
let reviews: LocalReviews;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  reviews = await LocalReviews.attach(cloud);
  const at = lastWeeklyRun(Date.now());
  await reviews.seedWeek(at);
  await reviews.fire('weekly-operational', at);
  link = (await reviews.emails())[0]?.link ?? '';
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

describe('the review page in headless Chromium', () => {
  it('shows the pack with its charts under the page policy, and records a sign-off, an item and a decision', async () => {
    mkdirSync(artifacts, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(link);
    await page.waitForSelector('body[data-ready="true"]');

    expect(await page.locator('#change-new-reds').textContent()).toContain('Lead handoff SLA adherence');
    expect(await page.locator('#change-restatements').textContent()).toContain('late or corrected input data');
    expect(await page.locator('#change-data-quality').textContent()).toContain('crm_leads');
    expect(await page.locator('#change-approvals').textContent()).toContain('kpi-owners@example.com');
    expect(await page.locator('#cases article').count()).toBe(1);
    expect(await page.locator('#cases').textContent()).toContain(
      'Data quality of the inputs over the drifting periods',
    );
    expect(await page.locator('#scorecard tbody tr').count()).toBe(3);

    // The scorecard opens a KPI's chart, with its definition's change log.
    await page.locator('#scorecard a[data-kpi-link="sla_adherence"]').click();
    await page.waitForSelector('#detail:not([hidden]) #trend svg');
    expect(await page.locator('#changes').textContent()).toContain('v1 published');

    await page.locator('input[name="signOff"]').check();
    await page.locator('#note').fill('Red explained by the CRM lag');
    await page.locator('input[name="item0.what"]').fill('Alert on CRM lag');
    await page.locator('input[name="item0.owner"]').fill('data-eng@example.com');
    await page
      .locator('input[name="item0.due"]')
      .fill(new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10));
    await page.locator('select[name="item0.kpi"]').selectOption('data_freshness');
    await page.locator('#review-form input[type="radio"][value="explain"]').check();
    await Promise.all([page.waitForURL(link), page.locator('#review-form button[type="submit"]').click()]);
    await page.waitForSelector('body[data-ready="true"]');

    expect(await page.locator('#notice').textContent()).toContain('Signed off with your note.');
    expect(await page.locator('#sign-offs').textContent()).toContain('ops-lead@example.com');
    expect(await page.locator('#review-form').textContent()).toContain('Close “Alert on CRM lag”');
    expect(await page.locator('#cases').textContent()).toContain('Closed since this pack was built');
    await page.screenshot({ path: path.join(artifacts, 'review-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

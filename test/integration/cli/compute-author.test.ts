// What a new KPI author runs into with `kpi compute`, on a pack of their own: one declaration over
// files whose folders carry the policy and campaign, a KPI over all time, an entity duration whose
// ends can come before their starts, and a filter value with the wrong case.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKpiInProcess as runKpi } from '../../support/cli-in-process';

let dir: string;

const kpi = (id: string, body: string) =>
  writeFileSync(
    path.join(dir, 'definitions', `${id}.yaml`),
    `id: ${id}
name: ${id}
description: a KPI of a new author
category: business_impact
owner: { name: Ana, email: ana@example.com }
cadence: daily
target: { direction: higher_is_better, value: 0.5, description: half, thresholds: { green: 0.5, yellow: 0.2 } }
guardrail: { levelOfDecision: low, useCase: testing }
${body}`,
  );

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kpi-author-'));
  for (const folder of ['datasets', 'definitions']) mkdirSync(path.join(dir, folder));
  const clicks = {
    'bts/men': ['i1,2026-06-01T10:00:00Z,1', 'i2,2026-06-01T11:00:00Z,0', 'i3,2026-06-02T11:00:00Z,1'],
    'random/women': ['i1,2026-06-01T10:00:00Z,0', 'i2,2016-06-01T11:00:00Z,0'],
  };
  for (const [folder, rows] of Object.entries(clicks)) {
    mkdirSync(path.join(dir, 'obd', folder), { recursive: true });
    writeFileSync(path.join(dir, 'obd', folder, 'all.csv'), `item_id,shown_at,click\n${rows.join('\n')}\n`);
  }
  writeFileSync(
    path.join(dir, 'datasets', 'ad_clicks.yaml'),
    `id: ad_clicks
description: clicks of the bandit policies, one folder per policy and campaign
owner: ads@example.com
files: ../obd/{policy}/{campaign}/*.csv
format: { type: csv }
fields:
  item_id: { type: string, required: true }
  shown_at: { type: timestamp, required: true }
  click: { type: integer, min: 0, max: 1 }
  policy: { type: string, required: true, enum: [bts, random] }
  campaign: { type: string, required: true, enum: [all, men, women] }
eventTime: { field: shown_at, notBefore: '2010-01-01' }
`,
  );
  writeFileSync(path.join(dir, 'leads.csv'), 'lead,contacted_at\nL1,2026-06-01\nL2,2026-06-05\nL3,2026-06-02\n');
  writeFileSync(path.join(dir, 'deals.csv'), 'lead,won_at\nL1,2026-06-03\nL2,2026-06-03\n');
  for (const [id, field, file] of [
    ['leads', 'contacted_at', 'leads.csv'],
    ['deals', 'won_at', 'deals.csv'],
  ] as const) {
    writeFileSync(
      path.join(dir, 'datasets', `${id}.yaml`),
      `id: ${id}
description: ${id} of the CRM
owner: sales@example.com
files: ../${file}
format: { type: csv }
fields:
  lead: { type: string, required: true }
  ${field}: { type: timestamp, format: date, required: true }
eventTime: ${field}
`,
    );
  }
  kpi(
    'click_rate_by_policy',
    `datasets: [{ id: ad_clicks, timeField: shown_at }]
calculation:
  type: ratio
  numerator: { dataset: ad_clicks, aggregate: sum, field: click }
  denominator: { dataset: ad_clicks, aggregate: count }
dimensions: [policy]
grain: all_time
`,
  );
  kpi(
    'days_to_win',
    `datasets: [{ id: leads, timeField: contacted_at }, { id: deals, timeField: won_at }]
calculation:
  type: entity_duration
  start: { dataset: leads, entityKey: lead }
  end: { dataset: deals, entityKey: lead }
  statistic: max
  unit: days
grain: year
`,
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const compute = (...kpis: string[]) =>
  runKpi(
    [
      'compute',
      '--definitions',
      'definitions',
      '--datasets',
      'datasets',
      ...kpis.flatMap((id) => ['--kpi', id]),
      '--as-of',
      '2026-07-01T00:00:00Z',
      '--format',
      'json',
    ],
    dir,
  );

describe('kpi compute for a new author', () => {
  it('reads one declaration over folders that carry the policy and campaign, into an all-time value per policy', async () => {
    const run = await compute('click_rate_by_policy');
    expect(run.stderr).toContain('read ad_clicks: 5 rows, 5 valid, 0 quarantined');
    // The captured fields read no column: no file lacks one.
    expect(run.stderr).not.toContain('warning');
    expect(run.code).toBe(0);
    const values = JSON.parse(run.stdout) as {
      dimensions: object;
      value: number;
      periodStart: string;
      grain: string;
    }[];
    expect(values.map((v) => [v.grain, v.periodStart, v.dimensions, v.value])).toEqual([
      ['all_time', '1970-01-01T00:00:00.000Z', {}, 2 / 5],
      // JSON output states values to 15 significant digits (domain/values/precision.ts).
      ['all_time', '1970-01-01T00:00:00.000Z', { policy: 'bts' }, Number((2 / 3).toPrecision(15))],
      ['all_time', '1970-01-01T00:00:00.000Z', { policy: 'random' }, 0],
    ]);
  });

  it('counts the leads won before their first contact, and those not won, among the skipped', async () => {
    const run = await compute('days_to_win');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('skipped days_to_win (durations): negative_duration 1, no_end 1');
    const values = JSON.parse(run.stdout) as { periodStart: string; value: number; sampleSize: number }[];
    expect(values.map((v) => [v.periodStart, v.value, v.sampleSize])).toEqual([['2026-01-01T00:00:00.000Z', 2, 1]]);
  });

  it('refuses a filter value the field never holds, with a did-you-mean, and computes nothing', async () => {
    kpi(
      'men_clicks',
      `datasets: [{ id: ad_clicks, timeField: shown_at }]
calculation: { type: aggregate, dataset: ad_clicks, aggregate: sum, field: click, filter: { field: campaign, eq: Men } }
grain: day
`,
    );
    const run = await compute('men_clicks');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^definitions\/men_clicks\.yaml:10: calculation\.filter\.eq: "Men" is never a value of ad_clicks\.campaign \(its values: all, men, women\); did you mean "men"\?$/m,
    );
  });
});

import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpiValueSchema } from '../../../src/domain/engine/value';
import { writeSampleFiles } from '../../../src/sample/files';
import { generateSampleData } from '../../../src/sample/generate';
import { runKpi } from '../../support/cli';

let dir: string;
let json: ReturnType<typeof runKpi>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kpi-compute-'));
  await writeSampleFiles(dir, generateSampleData({ seed: 3, start: '2026-03-02', days: 6 }));
  appendFileSync(
    path.join(dir, 'web_sessions.ndjson'),
    '{"session_id":"S9","started_at":"2026-03-03T10:00:00Z","variant":"control","bounced":"maybe","converted":false}\n',
  );
  json = runKpi([
    'compute',
    '--definitions',
    'kpis/definitions',
    '--datasets',
    'kpis/datasets',
    '--kpi',
    'ctr',
    '--kpi',
    'bounce_rate_reduction',
    '--input',
    `ad_performance=${path.join(dir, 'ad_performance.ndjson')}`,
    '--input',
    `web_sessions=${path.join(dir, 'web_sessions.ndjson')}`,
    '--from',
    '2026-03-02',
    '--to',
    '2026-03-08',
    '--as-of',
    '2026-03-09T00:00:00Z',
    '--format',
    'json',
  ]);
});

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(path.join(dir, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('kpi compute --format json', () => {
  it('prints a JSON array of values with the fields of the contract', () => {
    expect(json.code).toBe(0);
    const values = JSON.parse(json.stdout) as unknown[];
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(kpiValueSchema.safeParse(value).success).toBe(true);
  });

  it('gives the CTR of each campaign and day that summing the file directly gives', () => {
    const totals = new Map<string, { clicks: number; impressions: number }>();
    for (const row of lines('ad_performance.ndjson')) {
      const key = `${String(row.ts).slice(0, 10)}|${row.campaign_id}`;
      const total = totals.get(key) ?? { clicks: 0, impressions: 0 };
      total.clicks += row.clicks as number;
      total.impressions += row.impressions as number;
      totals.set(key, total);
    }
    const ctr = (
      JSON.parse(json.stdout) as {
        kpiId: string;
        periodStart: string;
        dimensions: { campaign_id?: string };
        value: number;
      }[]
    ).filter((v) => v.kpiId === 'ctr' && v.dimensions.campaign_id !== undefined);
    expect(ctr).toHaveLength(totals.size);
    for (const value of ctr) {
      const total = totals.get(`${value.periodStart.slice(0, 10)}|${value.dimensions.campaign_id}`);
      expect(value.value).toBeCloseTo((total?.clicks ?? Number.NaN) / (total?.impressions ?? Number.NaN), 12);
    }
  });

  it('gives the bounce-rate reduction of each day that counting the sessions directly gives', () => {
    const days = new Map<string, Record<string, { bounced: number; sessions: number }>>();
    for (const row of lines('web_sessions.ndjson')) {
      if (typeof row.bounced !== 'boolean') continue; // the planted bad row is quarantined
      const day = String(row.started_at).slice(0, 10);
      const byVariant = days.get(day) ?? {};
      const counts = byVariant[row.variant as string] ?? { bounced: 0, sessions: 0 };
      counts.sessions += 1;
      if (row.bounced) counts.bounced += 1;
      byVariant[row.variant as string] = counts;
      days.set(day, byVariant);
    }
    const reductions = (JSON.parse(json.stdout) as { kpiId: string; periodStart: string; value: number }[]).filter(
      (v) => v.kpiId === 'bounce_rate_reduction',
    );
    expect(reductions).toHaveLength(6);
    for (const value of reductions) {
      const { control, personalized } = days.get(value.periodStart.slice(0, 10)) as Record<
        string,
        { bounced: number; sessions: number }
      >;
      const controlRate = (control?.bounced ?? 0) / (control?.sessions ?? 1);
      const personalizedRate = (personalized?.bounced ?? 0) / (personalized?.sessions ?? 1);
      expect(value.value).toBeCloseTo((controlRate - personalizedRate) / controlRate, 12);
    }
  });

  it('reports quarantined rows on stderr with their counts and an example naming the file and line', () => {
    const sessions = lines('web_sessions.ndjson').length;
    expect(json.stderr).toContain(
      `read web_sessions: ${sessions} rows, ${sessions - 1} valid, 1 quarantined (invalid_boolean 1)`,
    );
    expect(json.stderr).toMatch(new RegExp(`quarantined \\S+web_sessions\\.ndjson:${sessions} bounced: `));
  });

  it('names an input given by its absolute path by that path or a shorter relative one, never a long ../ chain', () => {
    const shown = /quarantined (\S+web_sessions\.ndjson):/.exec(json.stderr)?.[1] ?? '';
    const absolute = path.join(dir, 'web_sessions.ndjson');
    expect([absolute, path.relative(process.cwd(), absolute)]).toContain(shown);
    expect(shown.length).toBeLessThanOrEqual(absolute.length);
  });
});

describe('kpi compute', () => {
  it('prints a table by default, with the overall row and the groups of each period', () => {
    const run = runKpi([
      'compute',
      '--definitions',
      'kpis/definitions',
      '--datasets',
      'kpis/datasets',
      '--kpi',
      'ctr',
      '--input',
      `ad_performance=${path.join(dir, 'ad_performance.ndjson')}`,
      '--from',
      '2026-03-03',
      '--to',
      '2026-03-04',
    ]);
    expect(run.code).toBe(0);
    const table = run.stdout.split('\n');
    expect(table[0]).toMatch(/^ctr — Click-through rate \(business_impact, per day; target ≥ 1\.5 %/);
    expect(table[1]).toMatch(/^period\s+campaign_id\s+value\s+status\s+sample\s+note$/);
    expect(table[3]).toMatch(/^2026-03-03 {2}\(all\)\s+\d+(\.\d+)? % {2}\w+/);
  });

  it('counts a row whose key came before on the same day once, as ingestion does, and says so', () => {
    const original = readFileSync(path.join(dir, 'ad_performance.ndjson'), 'utf8');
    const first = JSON.parse(original.split('\n')[0] as string) as Record<string, unknown>;
    const resent = path.join(dir, 'ad_performance-resent.ndjson');
    // The first row sent again (as an overlapping export would), with other counts.
    writeFileSync(resent, `${original}${JSON.stringify({ ...first, clicks: 999, impressions: 1000 })}\n`);
    const args = (file: string) => [
      'compute',
      '--definitions',
      'kpis/definitions',
      '--datasets',
      'kpis/datasets',
      '--kpi',
      'ctr',
      '--input',
      `ad_performance=${file}`,
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-08',
      '--as-of',
      '2026-03-09T00:00:00Z',
      '--format',
      'json',
    ];
    const once = runKpi(args(path.join(dir, 'ad_performance.ndjson')));
    const twice = runKpi(args(resent));
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout)).toEqual(JSON.parse(once.stdout));
    expect(twice.stderr).toContain('1 duplicate (key seen before that day)');
  });

  it('says in one line which input file is missing', () => {
    const run = runKpi([
      'compute',
      '--definitions',
      'kpis/definitions',
      '--datasets',
      'kpis/datasets',
      '--kpi',
      'ctr',
      '--input',
      `ad_performance=${path.join(dir, 'missing.ndjson')}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^kpi compute: ValidationError: \S+: no file matches \S+missing\.ndjson \(dataset "ad_performance"\)\n$/,
    );
  });
});

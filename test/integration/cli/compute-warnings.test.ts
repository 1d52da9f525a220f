import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKpiInProcess } from '../../support/cli-in-process';

describe('kpi compute warnings', () => {
  it('warns on stderr of an optional column renamed upstream, naming the file and the likely rename', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kpi-warnings-'));
    const file = path.join(dir, 'ads.ndjson');
    const line = (hour: number) =>
      JSON.stringify({
        ts: `2026-03-02T${String(hour).padStart(2, '0')}:00:00Z`,
        campaign_id: 'c1',
        channel: 'search',
        variant: 'agent',
        impressions: 100,
        clicks: 4,
        spend: 12.5,
        conversion_count: 1,
        bid_latency_ms: 80,
      });
    writeFileSync(file, `${line(1)}\n${line(2)}\n`);
    const root = path.resolve(import.meta.dirname, '../../..');
    const run = await runKpiInProcess(
      [
        'compute',
        '--definitions',
        path.join(root, 'kpis/definitions'),
        '--datasets',
        path.join(root, 'kpis/datasets'),
        '--kpi',
        'ad_spend',
        '--input',
        `ad_performance=${file}`,
        '--from',
        '2026-03-02',
        '--to',
        '2026-03-03',
        '--as-of',
        '2026-03-04T00:00:00Z',
        '--format',
        'json',
      ],
      dir,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `  warning missing_optional_column: ${file}: no object has the key "conversions", so optional field "conversions" is null in every record of this file. Keys no field reads: "conversion_count".`,
    );
    expect(run.stderr).toContain(
      `  warning unknown_column: ${file}: key "conversion_count" matches no declared field while optional field "conversions" has no key; if it is "conversions" renamed, add renames: { "conversion_count": conversions } to the declaration`,
    );
  });
});

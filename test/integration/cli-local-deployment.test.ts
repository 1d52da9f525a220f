import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../src/sample/files';
import { generateSampleData } from '../../src/sample/generate';
import { REPO_ROOT } from '../support/cli';
import { runKpiInProcess as runKpi } from '../support/cli-in-process';

let cwd: string;
let adFile: string;

beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'kpi-local-'));
  const files = await writeSampleFiles(path.join(cwd, 'sample'), generateSampleData({ start: '2026-06-01', days: 3 }));
  adFile = files.find((f) => f.dataset === 'ad_performance')?.file as string;
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

// One local deployment under the temporary folder, built up test after test.
describe('the kpi commands on the local deployment', () => {
  it('says that a KPI is not published on a fresh deployment, in one line', async () => {
    const run = await runKpi(['history', 'ctr'], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('kpi history: DefinitionNotFoundError: ctr: no such KPI has been published\n');
  });

  it('warns that a backfill reads a dataset with no raw partition in its range', async () => {
    const publish = await runKpi(
      ['publish', '--reason', 'first', path.join(REPO_ROOT, 'kpis/definitions/ctr.yaml')],
      cwd,
    );
    expect(publish.code).toBe(0);
    const run = await runKpi(['backfill', '--kpi', 'ctr', '--from', '2026-06-01', '--to', '2026-06-04'], cwd);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'kpi backfill: warning: ctr reads ad_performance, which has no raw partition from 2026-06-01T00:00Z to 2026-06-04T00:00Z on the local deployment (.local/state): those periods can only be insufficient_data. Ingest it first (kpi ingest --dataset ad_performance FILE…), then run this backfill again with --force.',
    );
  });

  it('ingests a file through the drop zone and prints what the connector reports', async () => {
    const run = await runKpi(['ingest', '--dataset', 'ad_performance', adFile], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ad_performance: 1 file(s) put in s3://');
    expect(run.stdout).toMatch(/ {2}files: 1 files, 1 ingested\n/);
    expect(run.stdout).toMatch(/ {2}rows: {2}[\d,]+ read, [\d,]+ valid/);
  });

  it('reports the same file ingested again as a duplicate that changes nothing', async () => {
    const run = await runKpi(['ingest', '--dataset', 'ad_performance', adFile], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ {2}files: 1 files, 1 duplicates \(ingested before: nothing done\)\n/);
  });

  it('quarantines the broken rows of a file with their reasons, and says how many', async () => {
    const broken = path.join(cwd, 'broken.ndjson');
    writeFileSync(
      broken,
      '{"ts":"2026-06-02T10:00:00Z","campaign_id":"c-1","channel":"search","impressions":"many","clicks":1}\nnot json\n',
    );
    const run = await runKpi(['ingest', '--dataset', 'ad_performance', broken], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rows: {2}2 read, .*2 quarantined with their reasons/);
  });

  it('backfills the ingested days again with --force, without a warning', async () => {
    const run = await runKpi(
      ['backfill', '--kpi', 'ctr', '--from', '2026-06-01', '--to', '2026-06-04', '--force'],
      cwd,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('warning');
    expect(run.stdout).toMatch(/values created [1-9]/);
  });

  it('refuses a dataset the deployment does not declare, and takes the files back', async () => {
    const run = await runKpi(['ingest', '--dataset', 'no_such_dataset', adFile], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('declares no dataset no_such_dataset; the files were taken back');
  });

  it('names a file that does not exist before touching the deployment', async () => {
    const run = await runKpi(['ingest', '--dataset', 'ad_performance', 'nowhere.csv'], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nowhere.csv: no such file');
  });

  it('sets and shows the autonomy of an agent on the local deployment, audited with the operator', async () => {
    const set = await runKpi(
      [
        'autonomy',
        'set',
        '--agent',
        'lead-router-1',
        '--mode',
        'paused',
        '--reason',
        'quarter close',
        '--operator',
        'ana',
      ],
      cwd,
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('agent lead-router-1: autonomous → paused (by operator ana, audited)');
    const show = await runKpi(['autonomy', 'show', '--agent', 'lead-router-1'], cwd);
    expect(show.stdout).toMatch(
      /agent lead-router-1: paused\n {2}last changed .* by operator:ana: quarter close\non the local deployment/,
    );
  });

  it('warns that diff --impact recomputes periods whose inputs have no raw partition', async () => {
    const run = await runKpi(
      ['diff', 'ctr', path.join(REPO_ROOT, 'kpis/definitions/ctr.yaml'), '--impact', '--periods', '2'],
      cwd,
      () => Date.UTC(2026, 0, 10),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'kpi diff: warning: ctr reads ad_performance, which has no raw partition from 2026-01-08T00:00Z to 2026-01-10T00:00Z',
    );
  });
});

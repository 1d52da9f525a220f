import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeployment } from '../../src/cli/deployment';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import { runKpiInProcess as runKpi } from '../support/cli-in-process';

let cwd: string;
const file = (name: string, text: string) => {
  const at = path.join(cwd, name);
  writeFileSync(at, text);
  return at;
};
let v1: string;
let v2: string;
let withoutConverted: string;

const session = (id: string, extra: Record<string, unknown> = { bounced: false }) =>
  JSON.stringify({
    session_id: id,
    started_at: new Date(Date.now() - 3 * 3_600_000).toISOString(),
    traffic_source: 'email',
    variant: 'control',
    pages: 2,
    converted: false,
    ...extra,
  });

beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'kpi-datasets-'));
  const original = readFileSync(path.resolve('kpis/datasets/web_sessions.yaml'), 'utf8')
    .replace(/^# yaml-language-server.*\n/, '')
    .replace(/^files: .*\n/m, '');
  v1 = file('web_sessions.yaml', original);
  v2 = file(
    'web_sessions-v2.yaml',
    original.replace(
      'bounced: { type: boolean, required: true }',
      "bounced: { type: boolean, required: true, default: 'false' }",
    ),
  );
  withoutConverted = file(
    'web_sessions-v3.yaml',
    original.replace('  converted: { type: boolean, required: true }\n', ''),
  );
  writeFileSync(
    path.join(cwd, 'conversion_rate.yaml'),
    readFileSync(path.resolve('kpis/definitions/conversion_rate.yaml'), 'utf8').replace(
      /^# yaml-language-server.*\n/,
      '',
    ),
  );
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

async function manifestsOf(dataset: string): Promise<BatchManifest[]> {
  const deployment = await openDeployment({}, { cwd, env: process.env, now: Date.now });
  try {
    const bucket = deployment.names.rawBucket;
    const listed = await deployment.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `raw/_manifests/dataset=${dataset}/` }),
    );
    const manifests: BatchManifest[] = [];
    for (const object of listed.Contents ?? []) {
      const { Body } = await deployment.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      manifests.push(JSON.parse((await Body?.transformToString()) ?? '{}') as BatchManifest);
    }
    return manifests.sort((a, b) => a.completedAt - b.completedAt);
  } finally {
    await deployment.close();
  }
}

// The commands build on each other: one local deployment kept under the temporary folder.
describe('kpi dataset: declarations versioned on the local deployment, read by ingestion at run time', () => {
  it('publishes a declaration as version 1, and an identical one as unchanged', async () => {
    const first = await runKpi(['dataset', 'publish', '--reason', 'first version', v1], cwd);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^web_sessions: published version 1 \(sha256:[0-9a-f]{12}…\)$/m);
    const again = await runKpi(['dataset', 'publish', '--reason', 'again', v1], cwd);
    expect(again.stdout).toContain('web_sessions: unchanged (identical to version 1 in force)');
  });

  it('quarantines a row without bounced under version 1', async () => {
    const run = await runKpi(
      ['ingest', '--dataset', 'web_sessions', file('a.ndjson', `${session('a1')}\n${session('a2', {})}\n`)],
      cwd,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rows: {2}2 read, 1 valid, 1 quarantined/);
    const [manifest] = await manifestsOf('web_sessions');
    expect(manifest?.declarationVersion).toBe(1);
    expect(manifest?.counts.quarantinedByReason).toEqual({ missing_required: 1 });
  });

  it('shows the impact of a proposal before publishing it: rows back from quarantine and records it would refuse', async () => {
    const fix = await runKpi(['dataset', 'diff', 'web_sessions', v2, '--impact'], cwd);
    expect(fix.stderr).toBe('');
    expect(fix.stdout).toContain('+ fields.bounced.default: "false" [loosened]');
    expect(fix.stdout).toContain('quarantined → valid: 1 of 1 (missing_required 1)');
    expect(fix.stdout).toMatch(
      /e\.g\. landing\/web_sessions\/a\.ndjson:2: missing_required → valid: .*"session_id":"a2"/,
    );
    expect(fix.stdout).toContain('valid → quarantined: 0 of 1 records');
    const strict = file(
      'web_sessions-strict.yaml',
      readFileSync(v1, 'utf8').replace('enum: [personalized, control]', 'enum: [personalized]'),
    );
    const tightened = await runKpi(['dataset', 'diff', 'web_sessions', strict, '--impact', '--format', 'json'], cwd);
    const impact = JSON.parse(tightened.stdout).impact;
    expect(impact.validToQuarantined).toEqual({ 'variant: not_in_enum': 1 });
    expect(impact.examples).toContainEqual(expect.objectContaining({ from: 'valid', to: 'variant: not_in_enum' }));
    // Nothing was written: the quarantine and raw are as they were.
    const history = await runKpi(['dataset', 'history', 'web_sessions'], cwd);
    expect(history.stdout).toContain('version 1 in force of 1');
  });

  it('publishes a fixed version 2 with its semantic diff; the next file passes with no redeploy', async () => {
    const publish = await runKpi(['dataset', 'publish', '--reason', 'bounced is absent when false', v2], cwd);
    expect(publish.stdout).toContain('web_sessions: published version 2');
    expect(publish.stdout).toContain('+ fields.bounced.default: "false" [loosened]');
    const run = await runKpi(
      ['ingest', '--dataset', 'web_sessions', file('b.ndjson', `${session('b1')}\n${session('b2', {})}\n`)],
      cwd,
    );
    expect(run.stdout).toMatch(/rows: {2}2 read, 2 valid/);
    const manifests = await manifestsOf('web_sessions');
    expect(manifests.map((m) => m.declarationVersion)).toEqual([1, 2]);
    expect(manifests[1]?.counts).toMatchObject({ read: 2, valid: 2, quarantined: 0 });
  });

  it('replays the quarantine of the day under version 2: the row moves to raw once, a second replay adds nothing', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const first = await runKpi(['replay', '--dataset', 'web_sessions', '--from', day], cwd);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`web_sessions: quarantine of ${day} to ${day} replayed under dataset version 2`);
    expect(first.stdout).toMatch(/before 1 = after 0 \+ moved 1/);
    expect(first.stdout).toContain('moved to raw, quarantined before for: missing_required 1');
    const again = await runKpi(['replay', '--dataset', 'web_sessions', '--from', day], cwd);
    expect(again.stdout).toContain('total: before 0 = after 0 + moved 0');
    const replays = (await manifestsOf('web_sessions')).filter((m) => m.connector === 'replay');
    expect(replays).toHaveLength(1);
    expect(replays[0]).toMatchObject({ declarationVersion: 2, counts: { read: 1, valid: 1, quarantined: 0 } });
  });

  it('shows the versions and the changes in the history, and a diff of two versions', async () => {
    const history = await runKpi(['dataset', 'history', 'web_sessions'], cwd);
    expect(history.stdout).toContain('web_sessions: active, version 2 in force of 2; owner growth@example.com');
    expect(history.stdout).toMatch(/\* v2 .* maria@example\.com: bounced is absent when false/);
    const diff = await runKpi(['dataset', 'diff', 'web_sessions'], cwd);
    expect(diff.stdout).toContain('web_sessions: v1 → v2');
    expect(diff.stdout).toContain('+ fields.bounced.default: "false" [loosened]');
  });

  it('refuses a version that removes a field a published KPI reads, naming the KPI', async () => {
    const kpi = await runKpi(['publish', '--reason', 'conversion', path.join(cwd, 'conversion_rate.yaml')], cwd);
    expect(kpi.code).toBe(0);
    const diff = await runKpi(['dataset', 'diff', 'web_sessions', withoutConverted], cwd);
    expect(diff.stdout).toMatch(/^ {2}- fields\.converted: \{.*"type":"boolean"\} \[field removed\]$/m);
    expect(diff.stdout).toMatch(/Would break 1 KPI\(s\) in force[\s\S]*conversion_rate: .*no field "converted"/);
    const publish = await runKpi(['dataset', 'publish', '--reason', 'drop converted', withoutConverted], cwd);
    expect(publish.code).toBe(1);
    expect(publish.stderr).toMatch(/conversion_rate: .*dataset web_sessions has no field "converted"/);
    const history = await runKpi(['dataset', 'history', 'web_sessions'], cwd);
    expect(history.stdout).toContain('version 2 in force of 2');
    // The impact names the KPIs in force whose days would move.
    const impact = await runKpi(
      ['dataset', 'diff', 'web_sessions', path.join(cwd, 'web_sessions-strict.yaml'), '--impact'],
      cwd,
    );
    expect(impact.stdout).toMatch(/valid → quarantined: \d+ of \d+ records \(variant: not_in_enum \d+\)/);
    expect(impact.stdout).toMatch(/conversion_rate would change on \d{4}-\d\d-\d\d/);
  });

  it('rolls back to version 1, and refuses to retire a dataset a KPI in force reads', async () => {
    const rollback = await runKpi(['dataset', 'rollback', 'web_sessions', '--to', '1', '--reason', 'known good'], cwd);
    expect(rollback.stdout).toContain('web_sessions: version 1 in force (was 2)');
    const run = await runKpi(['ingest', '--dataset', 'web_sessions', file('c.ndjson', `${session('c1', {})}\n`)], cwd);
    expect(run.stdout).toMatch(/rows: {2}1 read, 1 quarantined/);
    const retire = await runKpi(['dataset', 'retire', 'web_sessions', '--reason', 'gone'], cwd);
    expect(retire.code).toBe(1);
    expect(retire.stderr).toContain('conversion_rate');
  });

  it('checks a KPI being published against the declarations in force on the deployment', async () => {
    const kpi = file(
      'conversion_by_browser.yaml',
      readFileSync(path.join(cwd, 'conversion_rate.yaml'), 'utf8')
        .replace('id: conversion_rate', 'id: conversion_by_browser')
        .replace('dimensions: [variant]', 'dimensions: [browser]'),
    );
    const run = await runKpi(['publish', '--reason', 'by browser', kpi], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/conversion_by_browser\.yaml:\d+: .*dataset web_sessions has no field "browser"/);
    expect(run.stderr).toContain('nothing published');
  });
});

describe('kpi dataset freshness: the check run now on the local deployment', () => {
  it('finds the dataset that arrived fresh and the others not arrived yet, naming their owners', async () => {
    const run = await runKpi(['dataset', 'freshness'], cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^ {2}web_sessions +fresh +last batch \S+, \d+[smhd].* ago +owner growth@example\.com$/m,
    );
    expect(run.stdout).toMatch(/^ {2}crm_leads +never_arrived +no batch committed yet +owner revops@example\.com$/m);
    expect(run.stdout).toContain('not checked (no freshness declared): pipeline_governance, pipeline_ingest');
    const json = JSON.parse((await runKpi(['dataset', 'freshness', '--format', 'json'], cwd)).stdout) as {
      datasets: { dataset: string; status: string; noticesSent: string[] }[];
    };
    expect(json.datasets.find((d) => d.dataset === 'web_sessions')).toMatchObject({ status: 'fresh', noticesSent: [] });
  });

  it("shows the declared freshness in a dataset's history", async () => {
    const history = await runKpi(['dataset', 'history', 'web_sessions'], cwd);
    expect(history.stdout).toContain(
      'owner growth@example.com; freshness: expected every 1h, warn after 3h, fail after 12h',
    );
  });
});

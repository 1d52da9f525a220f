import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { LocalCloud } from '../../src/local/local-cloud';
import { generateSampleData } from '../../src/sample/generate';
import { runKpiInProcess as runKpi } from '../support/cli-in-process';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 1);
let cwd: string;

async function withCloud<T>(work: (cloud: LocalCloud) => Promise<T>): Promise<T> {
  const cloud = await LocalCloud.start({ stateDir: path.join(cwd, '.local', 'state') });
  try {
    return await work(cloud);
  } finally {
    await cloud.stop();
  }
}

/** Every item of the values table, in key order, as the bytes DynamoDB returns them. */
const valuesTable = () =>
  withCloud(async (cloud) => {
    const { Items = [] } = await cloud.clients.dynamodb.send(
      new ScanCommand({ TableName: cloud.physicalName('ValuesTable') }),
    );
    return JSON.stringify(Items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`)));
  });

beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), 'kpi-backfill-'));
  await withCloud(async (cloud) => {
    const records = generateSampleData({ start: '2026-06-01', days: 4 }).ad_performance;
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: 'history',
      records,
      eventTimeField: 'ts',
    });
    const definition = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
    await kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
      now: () => START,
    }).publish(definition, { author: 'paid-media@example.com', reason: 'first version' });
  });
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const backfill = (...extra: string[]) =>
  runKpi(
    [
      'backfill',
      '--kpi',
      'ctr',
      '--from',
      '2026-06-01',
      '--to',
      '2026-06-05',
      '--as-of',
      '2026-06-10T00:00:00Z',
      ...extra,
    ],
    cwd,
  );

describe('kpi backfill', () => {
  it('computes the range chunk by chunk with a progress bar', async () => {
    const run = await backfill('--chunk', '2');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('[########################] 2/2 chunks  100%');
    expect(run.stdout).toMatch(
      /ctr: 2026-06-01 → 2026-06-05, 2 chunks \(0 done by an earlier run, 2 computed now\) as of 2026-06-10T00:00:00.000Z .* values created [1-9]\d*/,
    );
  });

  it('says that a finished backfill was done before, computes nothing, and names --force', async () => {
    const before = await valuesTable();
    const run = await backfill('--chunk', '2');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'ctr: this backfill (2026-06-01 → 2026-06-05, 2 chunks of 2 periods, as of 2026-06-10T00:00:00.000Z) was finished by an earlier run: nothing computed. Add --force',
    );
    expect(await valuesTable()).toBe(before);
  });

  it('computes every chunk of a finished backfill again with --force, counting the unchanged values', async () => {
    const before = await valuesTable();
    const run = await backfill('--chunk', '2', '--force');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('[########################] 2/2 chunks  100%');
    expect(run.stdout).toMatch(
      /ctr: 2026-06-01 → 2026-06-05, 2 chunks computed again \(--force\) as of 2026-06-10T00:00:00.000Z .*values created 0, updated 0, unchanged [1-9]\d*; restatements 0/,
    );
    expect(await valuesTable()).toBe(before);
  });

  it('gives byte-identical values when the whole range is computed again from scratch', async () => {
    const before = await valuesTable();
    const run = await backfill('--chunk', '1', '--force');
    expect(run.stdout).toMatch(/4 chunks computed again \(--force\).*values created 0, updated 0, unchanged [1-9]/);
    expect(await valuesTable()).toBe(before);
  });

  it('refuses --force through the workflow, which would skip nothing anyway', async () => {
    const run = await backfill('--workflow', '--force');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('leave out --workflow to force a backfill');
  });

  it('runs the same chunks through the backfill state machine', async () => {
    const run = await backfill('--chunk', '2', '--workflow');
    expect(run.stdout).toContain('ctr: backfill workflow SUCCEEDED');
  });
});

describe('kpi diff --impact', () => {
  it('recomputes recent periods under the active and the proposed version and shows the status changes', async () => {
    const proposed = path.join(cwd, 'ctr.yaml');
    writeFileSync(
      proposed,
      readFileSync(path.resolve('kpis/definitions/ctr.yaml'), 'utf8')
        .replace(/^# yaml-language-server.*\n/, '')
        .replace('thresholds: { green: 0.015, yellow: 0.008 }', 'thresholds: { green: 0.5, yellow: 0.4 }'),
    );
    const run = await runKpi(['diff', 'ctr', proposed, '--impact', '--periods', '3'], cwd, () => START + 4 * DAY);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Impact on the last 3 periods (overall row)');
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('  2026-06-0'));
    expect(rows).toHaveLength(3);
    expect(rows.every((line) => / red/.test(line) && line.includes('← status changes'))).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAnnotationStore } from '../../src/adapters/aws/dynamodb-annotation-store';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { LocalCloud } from '../../src/local/local-cloud';
import { runKpiInProcess as runKpi } from '../support/cli-in-process';
import { sampleValue } from '../support/kpi-values';

let cwd: string;
let v1: string;
let v2: string;

beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'kpi-cli-'));
  const original = readFileSync(path.resolve('kpis/definitions/ctr.yaml'), 'utf8').replace(
    /^# yaml-language-server.*\n/,
    '',
  );
  v1 = path.join(cwd, 'ctr.yaml');
  v2 = path.join(cwd, 'ctr-stricter.yaml');
  writeFileSync(v1, original);
  writeFileSync(
    v2,
    original.replace('thresholds: { green: 0.015, yellow: 0.008 }', 'thresholds: { green: 0.02, yellow: 0.01 }'),
  );
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

// The commands build on each other: one local deployment kept under the temporary folder.
describe('kpi publish, history, diff, rollback and retire on the local deployment', () => {
  it('publishes a definition as version 1 and creates its schedule', async () => {
    const run = await runKpi(['publish', '--reason', 'first version', v1], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ctr: published version 1 \(sha256:[0-9a-f]{12}…\); schedule kpi-ctr created$/m);
  });

  it('shows the published KPI in kpi status on the local deployment, with no value before it is computed', async () => {
    const run = await runKpi(['status'], cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('KPIs on the local deployment (.local/state), at');
    expect(run.stdout).toMatch(/business impact\s+ctr\s+—\s+—\s+no value/);
  });

  it('reports an identical definition as unchanged instead of publishing it', async () => {
    const run = await runKpi(['publish', '--reason', 'again', v1], cwd);
    expect(run.stdout).toContain('ctr: unchanged (identical to active version 1)');
  });

  it('publishes a changed definition as version 2, keeping the schedule as it was', async () => {
    const run = await runKpi(['publish', '--reason', 'stricter thresholds', v2], cwd);
    expect(run.stdout).toMatch(/ctr: published version 2 .*; schedule kpi-ctr unchanged/);
  });

  it('shows a semantic diff of the two versions, naming what each change affects', async () => {
    const run = await runKpi(['diff', 'ctr'], cwd);
    expect(run.stdout).toContain('ctr: v1 → v2');
    expect(run.stdout).toContain('~ target.thresholds.green: 0.015 → 0.02 (+0.005) [evaluation]');
    expect(run.stdout).toContain('strongest impact: evaluation');
  });

  it('rolls back to version 1 and records it in the history', async () => {
    const rollback = await runKpi(['rollback', 'ctr', '--to', '1', '--reason', 'too many yellow days'], cwd);
    expect(rollback.stdout).toContain('ctr: version 1 in force (was 2)');
    const history = JSON.parse((await runKpi(['history', 'ctr', '--format', 'json'], cwd)).stdout);
    expect(history).toMatchObject({ status: 'active', activeVersion: 1 });
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(history.changes.map((c: { action: string; author: string }) => [c.action, c.author])).toEqual([
      ['publish', 'maria@example.com'],
      ['publish', 'maria@example.com'],
      ['rollback', 'maria@example.com'],
    ]);
  });

  it('retires the KPI and removes its schedule', async () => {
    const run = await runKpi(['retire', 'ctr', '--reason', 'replaced'], cwd);
    expect(run.stdout).toContain('ctr: retired at version 1; schedule deleted');
  });

  it('refuses to publish without a reason, with a usage error', async () => {
    const run = await runKpi(['publish', v1], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give --reason');
  });

  it('refuses a filter value the field never holds, with a did-you-mean, and publishes nothing', async () => {
    const agentOnly = path.join(cwd, 'agent-ctr', 'ctr_agent.yaml');
    mkdirSync(path.dirname(agentOnly), { recursive: true });
    writeFileSync(
      agentOnly,
      readFileSync(v1, 'utf8')
        .replace('id: ctr\n', 'id: ctr_agent\n')
        .replace(
          'numerator: { dataset: ad_performance, aggregate: sum, field: clicks }',
          "numerator: { dataset: ad_performance, aggregate: sum, field: clicks, filter: { field: variant, eq: 'Agent' } }",
        ),
    );
    const datasets = path.resolve('kpis/datasets');
    const run = await runKpi(['publish', '--reason', 'agent ads only', '--datasets', datasets, agentOnly], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^agent-ctr\/ctr_agent\.yaml:\d+: calculation\.numerator\.filter\.eq: "Agent" is never a value of ad_performance\.variant \(its values: agent, control\); did you mean "agent"\?$/m,
    );
    expect(run.stderr).toContain('nothing published');
    expect(run.stdout).not.toContain('published');
  });
});

describe('kpi annotate', () => {
  it('records a window that the computations read with their definitions', async () => {
    const run = await runKpi(
      [
        'annotate',
        '--id',
        'spring-launch',
        '--label',
        'Spring launch',
        '--from',
        '2026-06-10',
        '--to',
        '2026-06-13',
        '--effect',
        'explain',
        '--kpi',
        'ctr',
      ],
      cwd,
    );
    expect(run.stdout).toContain('spring-launch: explain drift of ctr from 2026-06-10T00:00:00.000Z');
    const cloud = await LocalCloud.start({ stateDir: path.join(cwd, '.local', 'state') });
    try {
      const stored = await new DynamoDbAnnotationStore(
        cloud.clients.dynamodb,
        cloud.physicalName('DefinitionsTable'),
      ).list();
      expect(stored).toEqual([
        {
          id: 'spring-launch',
          label: 'Spring launch',
          from: Date.UTC(2026, 5, 10),
          to: Date.UTC(2026, 5, 13),
          effect: 'explain',
          kpiIds: ['ctr'],
          excludeFromBaseline: true,
        },
      ]);
    } finally {
      await cloud.stop();
    }
  });

  it('refuses an effect other than suppress or explain', async () => {
    const run = await runKpi(
      ['annotate', '--id', 'x', '--label', 'x', '--from', '2026-06-10', '--to', '2026-06-11', '--effect', 'mute'],
      cwd,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--effect');
  });
});

describe('kpi calibrate on the local deployment', () => {
  const DAY = 86_400_000;

  it('proposes thresholds with the evidence and the impact, and writes a file that publishes the proposal', async () => {
    const file = path.join(cwd, 'ctr_calibrated.yaml');
    writeFileSync(file, readFileSync(v1, 'utf8').replace('id: ctr', 'id: ctr_calibrated'));
    expect((await runKpi(['publish', '--reason', 'first version', file], cwd)).code).toBe(0);
    // Four weeks of overall values before today, between 2.0 % and 2.6 %.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const cloud = await LocalCloud.start({ stateDir: path.join(cwd, '.local', 'state') });
    try {
      const values = new DynamoDbKpiValueStore({
        client: cloud.clients.dynamodb,
        tableName: cloud.physicalName('ValuesTable'),
      });
      await values.write(
        Array.from({ length: 28 }, (_, i) =>
          sampleValue({
            kpiId: 'ctr_calibrated',
            dimensions: {},
            periodStart: new Date(today - (28 - i) * DAY).toISOString(),
            periodEnd: new Date(today - (27 - i) * DAY).toISOString(),
            value: 0.02 + (i % 7) * 0.001,
            sampleSize: 12_000,
          }),
        ),
      );
    } finally {
      await cloud.stop();
    }

    const run = await runKpi(['calibrate', '--kpi', 'ctr_calibrated'], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ctr_calibrated: proposal calibration-\d{8}t\d{9}z \(v1 in force\)$/m);
    expect(run.stdout).toContain('Method: historical quantiles (60 % green, 90 % green or yellow)');
    expect(run.stdout).toContain('Thresholds: green 0.015, yellow 0.008 →');
    expect(run.stdout).toMatch(/\d+ of 28 periods change status; violations: \d+ would appear, \d+ disappear/);
    const proposed = path.join(cwd, 'ctr_calibrated.calibrated.yaml');
    expect(readFileSync(proposed, 'utf8')).toContain('id: ctr_calibrated');

    const published = await runKpi(['publish', '--reason', 'monthly calibration', proposed], cwd);
    expect(published.stdout).toMatch(/ctr_calibrated: published version 2 .*; from proposal calibration-/);
    const history = await runKpi(['history', 'ctr_calibrated'], cwd);
    expect(history.stdout).toMatch(/from proposal calibration-\S+ \(calibration\)/);
    expect(history.stdout).toContain('evidence: Method: historical quantiles');
    expect(history.stdout).toMatch(/calibration-\S+ .* calibration {2}published as v2/);
  });

  it('says so when the KPI has too little history to calibrate', async () => {
    const file = path.join(cwd, 'ctr_new.yaml');
    writeFileSync(file, readFileSync(v1, 'utf8').replace('id: ctr', 'id: ctr_new'));
    await runKpi(['publish', '--reason', 'first version', file], cwd);
    const run = await runKpi(['calibrate', '--kpi', 'ctr_new'], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ctr_new: 0 usable periods, 10 needed: nothing proposed');
  });
});

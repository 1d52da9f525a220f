import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../src/local/local-cloud';
import { type LocalRunResult, runLocalPipeline } from '../../src/local/pipeline-run';
import { FLAWED_ROWS } from '../../src/sample/files';

const outDir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-run-'));
const lines: string[] = [];
let cloud: LocalCloud;
let run: LocalRunResult;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  run = await runLocalPipeline(cloud, {
    days: 14,
    seed: 42,
    end: Date.UTC(2026, 10, 20, 12),
    outDir,
    decide: 'approve',
    log: (line) => lines.push(line),
    stage: (title) => lines.push(`# ${title}`),
  });
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the whole pipeline on the local cloud', () => {
  it('runs every stage in order', () => {
    expect(lines.filter((l) => l.startsWith('# ')).map((l) => l.split(':')[0])).toEqual([
      '# Define',
      '# Ingest',
      '# Compute',
      '# Evaluate',
      '# Govern',
      '# Publish',
      '# Report',
    ]);
  });

  it('publishes every definition of the pack and computes a series for each', () => {
    expect(run.counts.definitions).toBe(26);
    const withValues = run.report.kpis.filter((k) => k.series.length > 0);
    expect(withValues.length).toBe(26);
  });

  it('quarantines exactly the broken rows of the flawed export, each with its reason', () => {
    const web = run.report.dataQuality.find((d) => d.dataset === 'web_sessions');
    const broken =
      FLAWED_ROWS.invalidTimestamp +
      FLAWED_ROWS.unknownVariant +
      FLAWED_ROWS.missingBounced +
      FLAWED_ROWS.truncatedJson;
    expect(web?.quarantined).toBe(broken);
    expect(web?.read).toBe((web?.valid ?? 0) + broken);
    expect(Object.values(web?.byReason ?? {}).reduce((n, k) => n + k, 0)).toBe(broken);
    expect(Object.keys(web?.byReason ?? {}).length).toBeGreaterThanOrEqual(3);
  });

  it('turns the violations the schedules find into approvals the demo approver decides', () => {
    expect(run.counts.violations).toBeGreaterThan(0);
    expect(run.counts.approvals).toBeGreaterThan(0);
    const decided = run.report.approvals.filter((a) => a.status === 'approved');
    expect(decided.length).toBe(run.counts.approvals);
    expect(decided.every((a) => a.decidedBy === 'kpi-owners@example.com')).toBe(true);
    expect(run.report.audit.some((e) => e.type === 'decision_recorded' || e.type.includes('decision'))).toBe(true);
  });

  it('gives every value its lineage: definition version, inputs with a digest, and the archived list', () => {
    const points = run.report.kpis.flatMap((k) => k.series).filter((p) => p.lineage && p.lineage.inputs.length > 0);
    expect(points.length).toBeGreaterThan(100);
    for (const p of points) {
      expect(p.lineage?.definitionVersion).toBe(1);
      expect(p.lineage?.inputsRef).toMatch(/^s3:\/\/.+\/lineage\/kpi=/);
    }
  });

  it('writes a snapshot per day and a report that names every KPI', () => {
    expect(run.counts.snapshots).toBe(15);
    expect(existsSync(run.reportFile)).toBe(true);
    const html = readFileSync(run.reportFile, 'utf8');
    for (const kpi of run.report.kpis) expect(html).toContain(`"id":"${kpi.id}"`);
  });
});

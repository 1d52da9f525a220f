import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kpiDefinitionAndProposalStore } from '../../src/adapters/aws/kpi-proposals';
import { FLAWED_ROWS } from '../../src/sample/files';
import { runPipelineOnce } from '../support/local-run';

const local = runPipelineOnce({ days: 14, seed: 42, end: Date.UTC(2026, 10, 20, 12), decide: 'approve' });
const lines = local.lines;

describe('the whole pipeline on the local cloud', () => {
  it('runs every stage in order', () => {
    expect(lines.filter((l) => l.startsWith('# ')).map((l) => l.split(':')[0])).toEqual([
      '# Define',
      '# Ingest',
      '# Compute',
      '# Evaluate',
      '# Recover',
      '# Calibrate',
      '# Govern',
      '# Publish',
      '# Report',
    ]);
  });

  it('publishes every definition of the pack and computes a series for each', () => {
    expect(local.result.counts.definitions).toBe(26);
    const withValues = local.result.report.kpis.filter((k) => k.series.length > 0);
    expect(withValues.length).toBe(26);
  });

  it('quarantines exactly the broken rows of the flawed export, each with its reason', () => {
    const web = local.result.report.dataQuality.find((d) => d.dataset === 'web_sessions');
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

  it('fixes the flawed export with a new declaration version, replays its quarantine once, and restates', () => {
    const recovery = local.result.recovery;
    const broken =
      FLAWED_ROWS.invalidTimestamp +
      FLAWED_ROWS.unknownVariant +
      FLAWED_ROWS.missingBounced +
      FLAWED_ROWS.truncatedJson;
    expect(recovery).toMatchObject({ dataset: 'web_sessions', version: 2 });
    expect(recovery?.replay.totals).toEqual({
      before: broken,
      after: broken - FLAWED_ROWS.missingBounced,
      moved: FLAWED_ROWS.missingBounced,
      duplicate: 0,
    });
    expect(recovery?.restatements).toBeGreaterThan(0);
    const web = local.result.report.dataQuality.find((d) => d.dataset === 'web_sessions');
    expect(web?.replay).toEqual({
      version: 2,
      moved: FLAWED_ROWS.missingBounced,
      stillQuarantined: broken - FLAWED_ROWS.missingBounced,
      restated: recovery?.restatements,
    });
    expect(lines.some((l) => l.includes('replayed the quarantine under version 2'))).toBe(true);
  });

  it('turns the violations the schedules find into approvals the demo approver decides', () => {
    expect(local.result.counts.violations).toBeGreaterThan(0);
    expect(local.result.counts.approvals).toBeGreaterThan(0);
    const decided = local.result.report.approvals.filter((a) => a.status === 'approved');
    expect(decided.length).toBe(local.result.counts.approvals);
    expect(decided.every((a) => a.decidedBy === 'kpi-owners@example.com')).toBe(true);
    expect(local.result.report.audit.some((e) => e.type === 'decision_recorded' || e.type.includes('decision'))).toBe(
      true,
    );
  });

  it('holds the calibrated target change of a high KPI for approval, and puts it in force once approved', async () => {
    const gated = local.result.calibration.gated;
    // Read right after the publish, before anyone decided: the approval is pending, version 1 in force.
    expect(gated).toMatchObject({
      kpiId: 'runtime_error_rate',
      versionWhilePending: 1,
      proposalStatusWhilePending: 'awaiting_approval',
    });
    const store = kpiDefinitionAndProposalStore(
      local.cloud.clients.dynamodb,
      local.cloud.physicalName('DefinitionsTable'),
      {
        now: () => Date.now(),
      },
    );
    const state = await store.get('runtime_error_rate');
    expect(state?.version).toBe(2);
    expect(state?.lastChange).toMatchObject({
      author: 'npm-start',
      proposal: { id: gated?.proposalId, source: 'calibration' },
      approval: { id: gated?.approvalId, approver: 'kpi-owners@example.com' },
    });
    expect(state?.lastChange.proposal?.evidence).toContain('robust control limits');
    expect(await store.getProposal('runtime_error_rate', gated?.proposalId ?? '')).toMatchObject({
      status: 'published',
      publishedVersion: 2,
    });
    expect(local.result.report.approvals.find((a) => a.approvalId === gated?.approvalId)).toMatchObject({
      kpiId: 'runtime_error_rate',
      status: 'approved',
    });
  });

  it('gives every value its lineage: definition version, inputs with a digest, and the archived list', () => {
    const points = local.result.report.kpis
      .flatMap((k) => k.series)
      .filter((p) => p.lineage && p.lineage.inputs.length > 0);
    expect(points.length).toBeGreaterThan(100);
    for (const p of points) {
      expect(p.lineage?.definitionVersion).toBe(1);
      expect(p.lineage?.inputsRef).toMatch(/^s3:\/\/.+\/lineage\/kpi=/);
    }
  });

  it('writes a snapshot per day and a report that names every KPI', () => {
    // 15 days, and the dates the first week, month and quarter are filed under (they start before the first day).
    expect(local.result.counts.snapshots).toBe(18);
    expect(existsSync(local.result.reportFile)).toBe(true);
    const html = readFileSync(local.result.reportFile, 'utf8');
    for (const kpi of local.result.report.kpis) expect(html).toContain(`"id":"${kpi.id}"`);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kpiDefinitionAndProposalStore } from '../../src/adapters/aws/kpi-proposals';
import type { ReviewDocument } from '../../src/report/review-pack';
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
      '# Review',
      '# Report',
    ]);
  });

  it('publishes every definition of the pack and computes a series for each', () => {
    expect(local.result.counts.definitions).toBe(30);
    const withValues = local.result.report.kpis.filter((k) => k.series.length > 0);
    expect(withValues.length).toBe(30);
  });

  it('checks the freshness of every dataset that declares it once the files have landed', () => {
    const checked = local.result.report.dataQuality.filter((d) => d.freshness !== undefined);
    expect(checked.map((d) => [d.dataset, d.freshness?.status])).toEqual([
      ['ad_performance', 'fresh'],
      ['agent_events', 'fresh'],
      ['content_events', 'fresh'],
      ['crm_leads', 'fresh'],
      ['crm_opportunities', 'fresh'],
      ['web_sessions', 'fresh'],
    ]);
    expect(lines).toContain('  not checked (no freshness declared): pipeline_governance, pipeline_ingest');
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

  it('builds the weekly review pack from the stores, signs it off and links it from the report', () => {
    const { previous, latest, recorded } = local.result.review;
    expect(recorded.some((line) => line.startsWith('Action item for ops-lead@example.com'))).toBe(true);
    expect(latest.links).toHaveLength(1);
    expect(latest.links[0]).toMatch(
      /\/reviews\/weekly-operational\/\d{4}-W\d{2}\?reviewer=ops-lead%40example\.com&expires=\d+&sig=/,
    );
    const document = JSON.parse(readFileSync(latest.jsonFile, 'utf8')) as ReviewDocument;
    expect(document.pack.previous?.reviewId).toBe(previous.reviewId);
    expect(document.pack.previous?.signOffs.map((s) => s.reviewer)).toEqual(['ops-lead@example.com']);
    expect(document.pack.actionItems.open).toEqual([
      expect.objectContaining({ carried: true, owner: 'ops-lead@example.com' }),
    ]);
    // Every KPI of the weekly review was published during the run, after the pack before was built,
    // and the calibrated target of runtime_error_rate went in force once approved.
    const changes = document.pack.changes.definitionChanges;
    expect(changes.filter((c) => c.fromVersion === null).map((c) => c.kpiId)).toEqual(
      expect.arrayContaining(document.pack.scorecard.map((e) => e.kpiId)),
    );
    expect(changes.filter((c) => c.fromVersion !== null).map((c) => [c.kpiId, c.fromVersion, c.toVersion])).toEqual([
      ['runtime_error_rate', 1, 2],
    ]);
    // The pack holds that proposal, decided since the pack before, with its evidence.
    const gated = local.result.calibration.gated;
    expect(document.pack.changes.proposals).toContainEqual(
      expect.objectContaining({
        kpiId: 'runtime_error_rate',
        proposalId: gated?.proposalId,
        status: 'published',
        state: 'decided',
        publishedVersion: 2,
      }),
    );
    expect(
      document.pack.changes.proposals.find((p) => p.proposalId === gated?.proposalId)?.evidenceLines.length,
    ).toBeGreaterThan(1);
    expect(document.pack.scorecard).toHaveLength(19);
    expect(readFileSync(latest.htmlFile, 'utf8')).toContain('What changed');
    expect(local.result.report.links).toEqual([
      { label: `Review pack ${latest.reviewId}`, href: `reviews/${latest.reviewId}/pack.html` },
    ]);
  });
});

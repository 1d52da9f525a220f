import { describe, expect, it } from 'vitest';
import { violationSchema } from '../../../src/domain/guardrails/violation';
import { governanceReportData } from '../../../src/report/governance';
import { reportModelSchema } from '../../../src/report/model';
import { decideApproval } from '../../../src/usecases/guardrails/approval-page';
import { applyDecision } from '../../../src/usecases/guardrails/approval-steps';
import { linkInput, openApproval } from '../../support/approval-flow';
import { guardrailWorld } from '../../support/guardrail-fakes';
import { plantedViolations } from '../../support/planted-violations';
import { violation } from '../../support/violations';

describe('governance section of the report', () => {
  it('lists each approval with who decided and the controls the audit trail touched', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: 'slow' }, world);
    await applyDecision({ approvalId }, world);
    const section = await governanceReportData(
      { approvals: world.approvals, audit: { byTime: async () => world.audit.events }, controls: world.controls },
      { from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' },
    );
    expect(section.approvals).toEqual([
      expect.objectContaining({ approvalId, status: 'approved', decidedBy: 'ana@example.com', reason: 'slow' }),
    ]);
    expect(section.controls).toEqual([
      expect.objectContaining({ subject: 'agent lead-router-1', mode: 'supervised', by: 'approver:ana@example.com' }),
    ]);
    expect(section.audit.map((a) => a.type)).toContain('decision_recorded');
  });

  it('fits the report model', async () => {
    const world = guardrailWorld();
    await openApproval(world, violation());
    const section = await governanceReportData(
      { approvals: world.approvals, audit: { byTime: async () => world.audit.events }, controls: world.controls },
      { from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' },
    );
    const model = {
      generatedAt: '2026-11-20T16:00:00Z',
      run: { description: 'test', from: 'a', to: 'b' },
      kpis: [],
      dataQuality: [],
      ...section,
    };
    expect(reportModelSchema.safeParse(model).success).toBe(true);
  });
});

describe('planted violations', () => {
  it('are valid violations, one per level of decision', () => {
    const planted = plantedViolations(Date.parse('2026-11-20T15:20:00Z')).map((v) => violationSchema.parse(v));
    expect(planted.map((v) => v.levelOfDecision).sort()).toEqual(['critical', 'high', 'low']);
  });
});

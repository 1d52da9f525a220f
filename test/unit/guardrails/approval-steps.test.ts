import { describe, expect, it } from 'vitest';
import { effectiveMode } from '../../../src/domain/guardrails/autonomy';
import { decideApproval } from '../../../src/usecases/guardrails/approval-page';
import {
  applyDecision,
  applySafeDefault,
  closeTier,
  failSafe,
  recordApprovalRequest,
} from '../../../src/usecases/guardrails/approval-steps';
import { handleViolations } from '../../../src/usecases/guardrails/handle-violations';
import { linkInput, notifyTier, openApproval } from '../../support/approval-flow';
import { guardrailWorld, startOf } from '../../support/guardrail-fakes';
import { violation } from '../../support/violations';

const agent = { kind: 'agent', id: 'lead-router-1' } as const;
const HOUR = 3600_000;

describe('approval workflow steps', () => {
  it('records the request with the configured tiers and starts with the first', async () => {
    const world = guardrailWorld();
    const [outcome] = await handleViolations([violation()], world);
    const tier = await recordApprovalRequest(startOf(world, outcome?.approvalId), 'arn:execution', world);
    expect(tier).toEqual({ index: 0, name: 'kpi-owners', count: 2, waitSeconds: 3600, outcome: 'open' });
  });

  it('sends each approver of the tier a link of their own', async () => {
    const world = guardrailWorld();
    const { links } = await openApproval(world, violation());
    expect(Object.keys(links)).toEqual(['ana@example.com', 'ben@example.com']);
    expect(new URL(links['ana@example.com'] ?? '').searchParams.get('approver')).toBe('ana@example.com');
  });

  it('keeps the task token out of every email it sends', async () => {
    const world = guardrailWorld();
    await openApproval(world, violation());
    const emails = world.notifier.approverMessages.map((m) => `${m.subject}\n${m.body}`).join('\n');
    expect(emails).not.toContain('token-0');
  });

  it('tells the approver the value against its target, the trend, the deadline and what each answer does', async () => {
    const world = guardrailWorld();
    await openApproval(world, violation());
    const body = world.notifier.approverMessages[0]?.body ?? '';
    expect(body).toContain('Lead handoff cycle time (p95): 7.4 min, status red');
    expect(body).toContain('target 5 min');
    expect(body).toContain('Trend (oldest first): 4.1 min, 4.6 min, 5.8 min, 7.4 min');
    expect(body).toContain(
      'Decide by 2026-11-20 16:05 UTC. Without an answer by then, the request goes to marketing-ops-leads.',
    );
    expect(body).toContain('Approve: agent lead-router-1 becomes supervised.');
  });

  it('tells the workflow to apply the decision when a retried notify finds the request decided', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'rejected', reason: null }, world);
    await expect(notifyTier(world, approvalId, 0)).rejects.toMatchObject({ name: 'ApprovalAlreadyDecided' });
  });

  it('escalates to the next tier when a deadline passes without a decision', async () => {
    const world = guardrailWorld();
    const { approvalId } = await openApproval(world, violation());
    const next = await closeTier({ approvalId, tier: 0 }, world);
    expect(next).toMatchObject({ index: 1, name: 'marketing-ops-leads', outcome: 'escalated', waitSeconds: 14_400 });
    expect(world.audit.types()).toEqual(expect.arrayContaining(['tier_timed_out', 'escalated']));
  });

  it('sends the next tier fresh links when it escalates', async () => {
    const world = guardrailWorld();
    const { approvalId } = await openApproval(world, violation());
    await closeTier({ approvalId, tier: 0 }, world);
    const { links } = await notifyTier(world, approvalId, 1);
    expect(new URL(links['lead@example.com'] ?? '').searchParams.get('tier')).toBe('1');
  });

  it('applies the safe default after the last tier: the agent is supervised', async () => {
    const world = guardrailWorld();
    const { approvalId } = await openApproval(world, violation());
    await closeTier({ approvalId, tier: 0 }, world);
    await notifyTier(world, approvalId, 1);
    const last = await closeTier({ approvalId, tier: 1 }, world);
    expect(last.outcome).toBe('exhausted');
    expect(await applySafeDefault({ approvalId }, world)).toEqual({ mode: 'supervised' });
    expect(world.audit.types()).toContain('safe_default_applied');
  });

  it('records the timeout of the last tier before the safe default', async () => {
    const world = guardrailWorld();
    const { approvalId } = await openApproval(world, violation());
    await closeTier({ approvalId, tier: 0 }, world);
    await notifyTier(world, approvalId, 1);
    await closeTier({ approvalId, tier: 1 }, world);
    const timeouts = world.audit.events.filter((e) => e.type === 'tier_timed_out').map((e) => e.tierName);
    expect(timeouts).toEqual(['kpi-owners', 'marketing-ops-leads']);
  });

  it('applies a decision that was recorded just before its deadline fired', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    world.workflow.tokenExpired = true;
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: null }, world);
    expect(await closeTier({ approvalId, tier: 0 }, world)).toMatchObject({ outcome: 'decided', index: 0 });
  });

  it('supervises the agent when a request to supervise is approved', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: 'slow' }, world);
    expect(await applyDecision({ approvalId }, world)).toEqual({ decision: 'approved', mode: 'supervised' });
  });

  it('leaves the agent autonomous and records a false alarm when a request to supervise is rejected', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    await decideApproval(linkInput(links['ben@example.com'] ?? ''), { decision: 'rejected', reason: 'known' }, world);
    expect(await applyDecision({ approvalId }, world)).toEqual({ decision: 'rejected', mode: 'autonomous' });
    expect(world.audit.events.find((e) => e.type === 'decision_recorded')?.falseAlarm).toBe(true);
  });

  it('lets a critically supervised agent go back to autonomous when the restore is approved', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation({ levelOfDecision: 'critical' }));
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: null }, world);
    await applyDecision({ approvalId }, world);
    expect(effectiveMode(await world.controls.read(agent))).toBe('autonomous');
  });

  it('keeps a critically supervised agent supervised when the restore is rejected', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation({ levelOfDecision: 'critical' }));
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'rejected', reason: null }, world);
    expect(await applyDecision({ approvalId }, world)).toEqual({ decision: 'rejected', mode: 'supervised' });
  });

  it('frees the concern once a decision is applied, so a later violation asks again', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation());
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'rejected', reason: null }, world);
    await applyDecision({ approvalId }, world);
    world.clock.advance(HOUR);
    const [later] = await handleViolations(
      [violation({ period: { start: '2026-11-20T15:00:00Z', end: '2026-11-20T16:00:00Z' } })],
      world,
    );
    expect(later?.result).toBe('approval_started');
  });

  it('asks nothing again when the same violation is evaluated after its approval was decided', async () => {
    const world = guardrailWorld();
    const { approvalId, links } = await openApproval(world, violation({ levelOfDecision: 'critical' }));
    await decideApproval(linkInput(links['ana@example.com'] ?? ''), { decision: 'approved', reason: null }, world);
    await applyDecision({ approvalId }, world);
    const [again] = await handleViolations([violation({ levelOfDecision: 'critical' })], world);
    expect(again).toMatchObject({ result: 'already_handled', approvalId });
    expect(effectiveMode(await world.controls.read(agent))).toBe('autonomous');
  });

  it('holds the agent supervised and marks the request failed when the workflow fails', async () => {
    const world = guardrailWorld();
    const { approvalId } = await openApproval(world, violation());
    await failSafe({ start: startOf(world, approvalId), error: 'States.TaskFailed', cause: 'boom' }, world);
    expect(effectiveMode(await world.controls.read(agent))).toBe('supervised');
    expect((await world.approvals.getRequest(approvalId))?.status).toBe('failed');
  });
});

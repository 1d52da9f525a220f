import { describe, expect, it } from 'vitest';
import { effectiveMode } from '../../../src/domain/guardrails/autonomy';
import {
  GuardrailIntakeError,
  handleViolations,
  OWNER_NOTICE_LEASE_SECONDS,
} from '../../../src/usecases/guardrails/handle-violations';
import { guardrailWorld } from '../../support/guardrail-fakes';
import { atRiskViolation, violation } from '../../support/violations';

const agent = { kind: 'agent', id: 'lead-router-1' } as const;

describe('handleViolations', () => {
  it('tells the owner of a low-level violation and changes no autonomy', async () => {
    const world = guardrailWorld();
    const [outcome] = await handleViolations([violation({ levelOfDecision: 'low' })], world);
    expect(outcome?.result).toBe('owner_notified');
    expect(world.notifier.ownerMessages.map((m) => m.owner)).toEqual(['revops@example.com']);
    expect(world.controls.states.size).toBe(0);
  });

  it('tells the owner once when the same violation is evaluated again', async () => {
    const world = guardrailWorld();
    await handleViolations([violation({ levelOfDecision: 'low' })], world);
    const [again] = await handleViolations([violation({ levelOfDecision: 'low' })], world);
    expect(again?.result).toBe('owner_already_notified');
    expect(world.notifier.ownerMessages).toHaveLength(1);
  });

  it('sends a notice again on retry when sending it failed the first time', async () => {
    const world = guardrailWorld();
    world.notifier.failOwnerNotices = true;
    await expect(handleViolations([violation({ levelOfDecision: 'low' })], world)).rejects.toThrow(
      GuardrailIntakeError,
    );
    world.notifier.failOwnerNotices = false;
    const [retry] = await handleViolations([violation({ levelOfDecision: 'low' })], world);
    expect(retry?.result).toBe('owner_notified');
  });

  it('tells the owner when a retry of the same delivery finds its own claim applied and unsent', async () => {
    // A claim write applied by DynamoDB whose answer was lost (the SDK retries it), or a rerun after a
    // crash between the claim and the send: the same delivery (same detectedAt) takes it again.
    const world = guardrailWorld();
    const low = violation({ levelOfDecision: 'low' });
    await handleViolations([low], world);
    const [noticeKey] = [...world.approvals.ownerNotices.keys()];
    world.approvals.ownerNotices.set(noticeKey as string, {
      claimId: low.detectedAt as string,
      claimedAt: Math.floor(world.clock.now() / 1000),
      expiresAt: Math.floor(world.clock.now() / 1000) + 3600,
      sent: false,
    });
    world.notifier.ownerMessages.length = 0;
    const [retry] = await handleViolations([low], world);
    expect(retry?.result).toBe('owner_notified');
    expect(world.notifier.ownerMessages).toHaveLength(1);
    expect(world.audit.types().filter((t) => t === 'owner_notified')).toHaveLength(1);
    const [again] = await handleViolations([low], world);
    expect(again?.result).toBe('owner_already_notified');
  });

  it('leaves a notice another delivery holds to it until its lease runs out, then takes it over', async () => {
    const world = guardrailWorld();
    const first = violation({ levelOfDecision: 'low', detectedAt: '2026-11-20T15:02:00Z' });
    const second = violation({ levelOfDecision: 'low', detectedAt: '2026-11-20T15:04:00Z' });
    world.notifier.failOwnerNotices = true;
    // The first delivery claims the notice and dies before sending it (its release never runs).
    const release = world.approvals.releaseOwnerNotice;
    world.approvals.releaseOwnerNotice = async () => undefined;
    await handleViolations([first], world).catch(() => undefined);
    world.approvals.releaseOwnerNotice = release;
    world.notifier.failOwnerNotices = false;
    const pending = await handleViolations([second], world).catch((error: unknown) => error);
    expect(pending).toBeInstanceOf(GuardrailIntakeError);
    expect(String((pending as Error).message)).toContain('being sent by another delivery');
    expect(world.notifier.ownerMessages).toHaveLength(0);
    world.clock.advance((OWNER_NOTICE_LEASE_SECONDS + 1) * 1000);
    const [takenOver] = await handleViolations([second], world);
    expect(takenOver?.result).toBe('owner_notified');
    expect(world.notifier.ownerMessages).toHaveLength(1);
    const [late] = await handleViolations([first], world);
    expect(late?.result).toBe('owner_already_notified');
    expect(world.audit.types().filter((t) => t === 'owner_notified')).toHaveLength(1);
  });

  it('starts an approval to supervise a high-level violation while the agent stays autonomous', async () => {
    const world = guardrailWorld();
    const [outcome] = await handleViolations([violation()], world);
    const start = world.workflow.started.get(outcome?.approvalId ?? '');
    expect(start).toMatchObject({ proposal: 'supervise', subject: agent, previousMode: 'autonomous' });
    expect(effectiveMode(await world.controls.read(agent))).toBe('autonomous');
  });

  it('supervises the agent at once for a critical violation and asks to restore it', async () => {
    const world = guardrailWorld();
    const [outcome] = await handleViolations([violation({ levelOfDecision: 'critical' })], world);
    expect(world.workflow.started.get(outcome?.approvalId ?? '')?.proposal).toBe('restore_autonomy');
    expect(effectiveMode(await world.controls.read(agent))).toBe('supervised');
  });

  it('audits the supervision a critical violation applies, naming the rule as the actor', async () => {
    const world = guardrailWorld();
    await handleViolations([violation({ levelOfDecision: 'critical' })], world);
    const change = world.audit.events.find((e) => e.type === 'autonomy_changed');
    expect(change).toMatchObject({
      actor: 'policy:criticalDecisionSupervisesAtOnce',
      fromMode: 'autonomous',
      toMode: 'supervised',
    });
  });

  it('joins a violation of the next period to the approval already open for the same concern', async () => {
    const world = guardrailWorld();
    const [first] = await handleViolations([violation()], world);
    const [next] = await handleViolations(
      [violation({ period: { start: '2026-11-20T15:00:00Z', end: '2026-11-20T16:00:00Z' } })],
      world,
    );
    expect(next).toMatchObject({ result: 'joined_open_approval', approvalId: first?.approvalId });
    expect(world.workflow.started.size).toBe(1);
  });

  it('tells the owner of an at-risk forecast by default and asks no approver', async () => {
    const world = guardrailWorld();
    const [outcome] = await handleViolations([atRiskViolation({ levelOfDecision: 'high' })], world);
    expect(outcome).toMatchObject({ result: 'owner_notified', decision: { rule: 'atRiskRoutedByLevel' } });
    expect(world.workflow.started.size).toBe(0);
  });

  it('only records an at-risk forecast routed like yellow', async () => {
    const world = {
      ...guardrailWorld(),
      atRiskRouting: { low: 'like_yellow', high: 'like_yellow', critical: 'like_red' } as const,
    };
    const [outcome] = await handleViolations([atRiskViolation()], world);
    expect(outcome).toMatchObject({ result: 'recorded', decision: { action: 'record_only' } });
    expect(world.notifier.ownerMessages).toHaveLength(0);
    expect(world.audit.events.map((e) => e.type)).toEqual(['violation_received']);
  });

  it('finishes the same approval when a batch is retried, instead of opening a second one', async () => {
    const world = guardrailWorld();
    const [first] = await handleViolations([violation({ levelOfDecision: 'critical' })], world);
    const [retry] = await handleViolations([violation({ levelOfDecision: 'critical' })], world);
    expect(retry).toMatchObject({ result: 'approval_started', approvalId: first?.approvalId });
    expect(world.workflow.started.get(first?.approvalId ?? '')).toMatchObject({ previousMode: 'autonomous' });
  });

  it('handles the rest of a batch when one violation fails, then reports that one', async () => {
    const world = guardrailWorld();
    world.notifier.failOwnerNotices = true;
    const batch = [violation({ levelOfDecision: 'low' }), violation()];
    const failure = await handleViolations(batch, world).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GuardrailIntakeError);
    expect((failure as GuardrailIntakeError).outcomes.map((o) => o.result)).toEqual(['approval_started']);
  });

  it('records every violation received with the rule that decided', async () => {
    const world = guardrailWorld();
    await handleViolations([violation()], world);
    expect(world.audit.events[0]).toMatchObject({
      type: 'violation_received',
      actor: 'policy:highDecisionRequestsApproval',
      kpiId: 'lead_handoff_cycle_time_p95',
      subject: 'agent#lead-router-1',
    });
  });
});

// Every guardrail rule with a case where it applies and one where it does not (cdk-nag's shape).
import { describe, expect, it } from 'vitest';
import { decideGuardrailAction, type PolicyContext } from '../../../src/domain/guardrails/policy';
import {
  atRiskRoutedByLevel,
  criticalDecisionSupervisesAtOnce,
  GUARDRAIL_RULES,
  highDecisionRequestsApproval,
  lowDecisionNotifiesOwner,
  pausedSubjectNotifiesOwner,
  provisionalValueWaitsForFinal,
  supervisedSubjectNeedsNoApproval,
  ungovernedKpiNotifiesOwner,
} from '../../../src/domain/guardrails/rules';
import { atRiskViolation, violation } from '../../support/violations';

const autonomous: PolicyContext = { currentMode: 'autonomous' };

describe('ungovernedKpiNotifiesOwner', () => {
  it('notifies the owner when the KPI governs no agent and no use case', () => {
    const verdict = ungovernedKpiNotifiesOwner(violation({ governs: { agentId: null, useCase: null } }), {
      currentMode: null,
    });
    expect(verdict?.action).toBe('notify_owner');
  });

  it('does not apply when the KPI governs a use case', () => {
    expect(ungovernedKpiNotifiesOwner(violation({ governs: { agentId: null } }), autonomous)).toBeUndefined();
  });
});

describe('pausedSubjectNotifiesOwner', () => {
  it('notifies the owner when the governed agent is paused', () => {
    expect(pausedSubjectNotifiesOwner(violation(), { currentMode: 'paused' })?.action).toBe('notify_owner');
  });

  it('does not apply when the governed agent is autonomous', () => {
    expect(pausedSubjectNotifiesOwner(violation(), autonomous)).toBeUndefined();
  });
});

describe('provisionalValueWaitsForFinal', () => {
  it('notifies the owner when a high-level violation is on a provisional value', () => {
    expect(provisionalValueWaitsForFinal(violation({ provisional: true }), autonomous)?.action).toBe('notify_owner');
  });

  it('does not soften a critical violation on a provisional value', () => {
    const critical = violation({ provisional: true, levelOfDecision: 'critical' });
    expect(provisionalValueWaitsForFinal(critical, autonomous)).toBeUndefined();
  });
});

describe('atRiskRoutedByLevel', () => {
  it('notifies the owner of an at-risk forecast by default, whatever the level', () => {
    for (const level of ['low', 'high', 'critical'] as const) {
      expect(atRiskRoutedByLevel(atRiskViolation({ levelOfDecision: level }), autonomous)?.action).toBe('notify_owner');
    }
  });

  it('records it only where it is routed like yellow, and leaves it to the level rules where like red', () => {
    const atRiskRouting = { low: 'like_yellow', high: 'like_red', critical: 'notify_owner' } as const;
    expect(
      atRiskRoutedByLevel(atRiskViolation({ levelOfDecision: 'low' }), { ...autonomous, atRiskRouting })?.action,
    ).toBe('record_only');
    const high = atRiskViolation({ levelOfDecision: 'high' });
    expect(atRiskRoutedByLevel(high, { ...autonomous, atRiskRouting })).toBeUndefined();
    expect(decideGuardrailAction(high, { ...autonomous, atRiskRouting }, GUARDRAIL_RULES).action).toBe(
      'request_approval',
    );
  });

  it('does not apply to a red value', () => {
    expect(atRiskRoutedByLevel(violation(), autonomous)).toBeUndefined();
  });
});

describe('supervisedSubjectNeedsNoApproval', () => {
  it('notifies the owner when a high-level violation governs an agent that is supervised already', () => {
    expect(supervisedSubjectNeedsNoApproval(violation(), { currentMode: 'supervised' })?.action).toBe('notify_owner');
  });

  it('does not apply to a critical violation on a supervised agent', () => {
    const critical = violation({ levelOfDecision: 'critical' });
    expect(supervisedSubjectNeedsNoApproval(critical, { currentMode: 'supervised' })).toBeUndefined();
  });
});

describe('lowDecisionNotifiesOwner', () => {
  it('notifies the owner when the level of decision is low', () => {
    expect(lowDecisionNotifiesOwner(violation({ levelOfDecision: 'low' }), autonomous)?.action).toBe('notify_owner');
  });

  it('does not apply when the level of decision is high', () => {
    expect(lowDecisionNotifiesOwner(violation(), autonomous)).toBeUndefined();
  });
});

describe('highDecisionRequestsApproval', () => {
  it('requests approval when the level of decision is high', () => {
    expect(highDecisionRequestsApproval(violation(), autonomous)?.action).toBe('request_approval');
  });

  it('does not apply when the level of decision is critical', () => {
    expect(highDecisionRequestsApproval(violation({ levelOfDecision: 'critical' }), autonomous)).toBeUndefined();
  });
});

describe('criticalDecisionSupervisesAtOnce', () => {
  it('supervises at once and requests a restore when the level of decision is critical', () => {
    const verdict = criticalDecisionSupervisesAtOnce(violation({ levelOfDecision: 'critical' }), autonomous);
    expect(verdict?.action).toBe('supervise_and_request_restore');
  });

  it('does not apply when the level of decision is low', () => {
    expect(criticalDecisionSupervisesAtOnce(violation({ levelOfDecision: 'low' }), autonomous)).toBeUndefined();
  });
});

describe('decideGuardrailAction with the registry', () => {
  it('names the rule that decided', () => {
    const decision = decideGuardrailAction(violation(), autonomous, GUARDRAIL_RULES);
    expect(decision).toMatchObject({ action: 'request_approval', rule: 'highDecisionRequestsApproval' });
  });

  it('lets an exception soften a level-of-decision rule listed after it', () => {
    const decision = decideGuardrailAction(violation({ levelOfDecision: 'critical' }), { currentMode: 'paused' }, [
      pausedSubjectNotifiesOwner,
      criticalDecisionSupervisesAtOnce,
    ]);
    expect(decision.rule).toBe('pausedSubjectNotifiesOwner');
  });

  it('still tells the owner when no rule applies', () => {
    expect(decideGuardrailAction(violation(), autonomous, [])).toMatchObject({
      action: 'notify_owner',
      rule: 'fallback',
    });
  });
});

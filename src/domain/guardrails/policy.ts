// Domain: the guardrail policy. From a violation and the current autonomy of what it governs, the
// rules (one pure function per file under rules/) choose what happens: notify the KPI owner, ask
// for approval, or supervise at once and ask for approval to restore autonomy.
import type { AutonomyMode } from './autonomy';
import type { LevelOfDecision, Violation } from './violation';

/**
 * - `notify_owner`: tell the KPI owner on SNS; nothing changes.
 * - `request_approval`: ask the approver chain to confirm supervising the governed subject.
 * - `supervise_and_request_restore`: supervise the governed subject now, and ask the approver
 *   chain whether it may go back to its previous mode.
 * - `record_only`: keep it in the audit trail; nobody is told (an at-risk forecast routed like yellow).
 */
export const GUARDRAIL_ACTIONS = [
  'notify_owner',
  'request_approval',
  'supervise_and_request_restore',
  'record_only',
] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

/** How an at-risk forecast is routed: like a yellow value, to the owner, or like a red value. */
export const AT_RISK_ROUTES = ['like_yellow', 'notify_owner', 'like_red'] as const;
export type AtRiskRoute = (typeof AT_RISK_ROUTES)[number];

/** The routing of at-risk forecasts per level of decision. @default notify_owner at every level */
export type AtRiskRouting = Readonly<Record<LevelOfDecision, AtRiskRoute>>;

export const DEFAULT_AT_RISK_ROUTING: AtRiskRouting = {
  low: 'notify_owner',
  high: 'notify_owner',
  critical: 'notify_owner',
};

/** What a rule sees besides the violation. */
export interface PolicyContext {
  /** The current mode of the subject the violation governs; null when it governs none. */
  readonly currentMode: AutonomyMode | null;
  /** How at-risk forecasts are routed per level of decision. @default DEFAULT_AT_RISK_ROUTING */
  readonly atRiskRouting?: AtRiskRouting;
}

/** A rule's answer when it applies. */
export interface RuleVerdict {
  readonly action: GuardrailAction;
  /** Why, in one sentence for the audit trail and the approval page. */
  readonly reason: string;
}

/**
 * One policy rule: a pure function named after its file, returning a verdict when it applies and
 * `undefined` when it does not.
 */
export type GuardrailRule = (violation: Violation, context: PolicyContext) => RuleVerdict | undefined;

/** The policy's decision for one violation: the action, and which rule chose it. */
export interface GuardrailDecision extends RuleVerdict {
  /** The deciding rule's name, e.g. `highDecisionRequestsApproval`. */
  readonly rule: string;
}

/**
 * Applies `rules` in order; the first that applies decides. Exceptions (nothing to govern, already
 * paused, provisional numbers) come before the level-of-decision rules in the registry, so they can
 * soften an action, never harden it. A violation no rule covers still reaches its owner.
 */
export function decideGuardrailAction(
  violation: Violation,
  context: PolicyContext,
  rules: readonly GuardrailRule[],
): GuardrailDecision {
  for (const rule of rules) {
    const verdict = rule(violation, context);
    if (verdict) return { ...verdict, rule: rule.name };
  }
  return {
    action: 'notify_owner',
    reason: 'No policy rule covers this violation; its owner is told.',
    rule: 'fallback',
  };
}

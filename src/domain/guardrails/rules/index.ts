// Domain: the registry of guardrail rules, in the order they are tried (the first that applies decides).
// Exceptions come first and may only soften an action; the level-of-decision rules close the list.
import type { GuardrailRule } from '../policy';
import { atRiskRoutedByLevel } from './at-risk-routed-by-level';
import { criticalDecisionSupervisesAtOnce } from './critical-decision-supervises-at-once';
import { highDecisionRequestsApproval } from './high-decision-requests-approval';
import { lowDecisionNotifiesOwner } from './low-decision-notifies-owner';
import { pausedSubjectNotifiesOwner } from './paused-subject-notifies-owner';
import { provisionalValueWaitsForFinal } from './provisional-value-waits-for-final';
import { supervisedSubjectNeedsNoApproval } from './supervised-subject-needs-no-approval';
import { ungovernedKpiNotifiesOwner } from './ungoverned-kpi-notifies-owner';

export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  ungovernedKpiNotifiesOwner,
  pausedSubjectNotifiesOwner,
  provisionalValueWaitsForFinal,
  supervisedSubjectNeedsNoApproval,
  atRiskRoutedByLevel,
  lowDecisionNotifiesOwner,
  highDecisionRequestsApproval,
  criticalDecisionSupervisesAtOnce,
];

/**
 * Version of the rule set, recorded with every decision so that an audit entry says which policy
 * decided. Bump it whenever a rule is added, removed, reordered or changes its verdict.
 */
export const GUARDRAIL_POLICY_VERSION = 2;

export {
  atRiskRoutedByLevel,
  criticalDecisionSupervisesAtOnce,
  highDecisionRequestsApproval,
  lowDecisionNotifiesOwner,
  pausedSubjectNotifiesOwner,
  provisionalValueWaitsForFinal,
  supervisedSubjectNeedsNoApproval,
  ungovernedKpiNotifiesOwner,
};

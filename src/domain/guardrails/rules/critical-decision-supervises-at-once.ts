// Guardrail rule: level of decision `critical` supervises the agent at once and asks the approver
// chain whether it may go back to its previous mode; without an answer it stays supervised.
import type { GuardrailRule } from '../policy';

export const criticalDecisionSupervisesAtOnce: GuardrailRule = (violation) => {
  if (violation.levelOfDecision !== 'critical') return undefined;
  return {
    action: 'supervise_and_request_restore',
    reason: 'Level of decision critical: the agent is supervised at once; an approver decides whether it may resume.',
  };
};

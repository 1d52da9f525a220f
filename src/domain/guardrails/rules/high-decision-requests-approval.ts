// Guardrail rule: level of decision `high` asks the approver chain whether to supervise the agent;
// without an answer by the last deadline the agent is supervised (the safe default).
import type { GuardrailRule } from '../policy';

export const highDecisionRequestsApproval: GuardrailRule = (violation) => {
  if (violation.levelOfDecision !== 'high') return undefined;
  return {
    action: 'request_approval',
    reason: 'Level of decision high: an approver decides whether the agent is supervised.',
  };
};

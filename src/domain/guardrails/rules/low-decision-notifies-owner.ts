// Guardrail rule: level of decision `low` tells the KPI owner and changes nothing.
import type { GuardrailRule } from '../policy';

export const lowDecisionNotifiesOwner: GuardrailRule = (violation) => {
  if (violation.levelOfDecision !== 'low') return undefined;
  return { action: 'notify_owner', reason: 'Level of decision low: the KPI owner is told, the agent goes on.' };
};

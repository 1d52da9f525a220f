// Guardrail rule: a KPI that governs no agent or use case has no autonomy to change; its owner is told.
import type { GuardrailRule } from '../policy';

export const ungovernedKpiNotifiesOwner: GuardrailRule = (violation) => {
  if (violation.governs.agentId || violation.governs.useCase) return undefined;
  return {
    action: 'notify_owner',
    reason: 'The KPI governs no agent or use case, so there is no autonomy to change; its owner is told.',
  };
};

// Guardrail rule: a high-level violation on a provisional value (its period can still change) does not
// ask approvers yet; the owner is told, and the final value asks if it still breaks the definition.
// Critical violations are not softened: safety does not wait for late data.
import type { GuardrailRule } from '../policy';

export const provisionalValueWaitsForFinal: GuardrailRule = (violation) => {
  if (!violation.provisional || violation.levelOfDecision !== 'high') return undefined;
  return {
    action: 'notify_owner',
    reason: 'The value is provisional; approvers are asked only if the final value still breaks the definition.',
  };
};

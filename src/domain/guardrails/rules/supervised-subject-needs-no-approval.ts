// Guardrail rule: a high-level violation asks to supervise; when the subject is supervised already,
// the question is moot and the owner is told. Critical violations still place their own hold.
import type { GuardrailRule } from '../policy';

export const supervisedSubjectNeedsNoApproval: GuardrailRule = (violation, context) => {
  if (violation.levelOfDecision !== 'high' || context.currentMode !== 'supervised') return undefined;
  return {
    action: 'notify_owner',
    reason: 'The governed agent is supervised already, so there is nothing to approve; its owner is told.',
  };
};

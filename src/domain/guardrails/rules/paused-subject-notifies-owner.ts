// Guardrail rule: a paused agent or use case does nothing, so there is nothing to approve; its owner is told.
import type { GuardrailRule } from '../policy';

export const pausedSubjectNotifiesOwner: GuardrailRule = (_violation, context) => {
  if (context.currentMode !== 'paused') return undefined;
  return {
    action: 'notify_owner',
    reason: 'The governed agent is paused and takes no action; its owner is told, nothing is asked.',
  };
};

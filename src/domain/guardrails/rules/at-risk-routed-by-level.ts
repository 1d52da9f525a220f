// Guardrail rule: an at-risk forecast is not red yet. Per level of decision, the deployment routes it
// like a yellow value (recorded, nobody told), to the owner (the default), or like a red value (the
// level's own rule decides: an approval for high, supervision for critical).
import type { GuardrailRule } from '../policy';

export const atRiskRoutedByLevel: GuardrailRule = (violation, context) => {
  if (violation.kind !== 'at_risk') return undefined;
  const route = context.atRiskRouting?.[violation.levelOfDecision] ?? 'notify_owner';
  const level = `level of decision ${violation.levelOfDecision}`;
  switch (route) {
    case 'like_red':
      return undefined;
    case 'like_yellow':
      return {
        action: 'record_only',
        reason: `At risk, not red: routed like yellow for ${level}; recorded in the audit trail, nobody asked.`,
      };
    case 'notify_owner':
      return {
        action: 'notify_owner',
        reason: `At risk, not red yet: the owner is told, nobody is asked to approve (${level}).`,
      };
  }
};

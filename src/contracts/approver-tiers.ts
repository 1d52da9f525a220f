// Contract: the approver tiers of the escalation chain, as the deployment configuration states them
// (lib/config.ts) and the guardrail functions read them (APPROVER_TIERS): one schema.
export { type ApproverTier, approverTierSchema } from '../domain/guardrails/approval';

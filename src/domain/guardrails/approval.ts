// Domain: an approval request and what its decision does. The guardrail intake opens one per concern
// (see violation.ts `concernKey`); the approval workflow notifies the approver tiers in turn, the
// approval page records the one decision, and the workflow applies it.
import * as z from 'zod';
import { type AutonomyMode, type AutonomySubject, autonomyModeSchema, autonomySubjectSchema } from './autonomy';
import {
  definitionChangeSchema,
  describeDefinitionChange,
  effectOfDefinitionChange,
  safeDefaultOfDefinitionChange,
} from './definition-change';
import { GUARDRAIL_ACTIONS, type GuardrailAction } from './policy';
import { violationSchema } from './violation';

const utcInstant = z.iso.datetime({ offset: false });

/** An approval id: a UUID, also the name of the workflow execution. */
export const approvalIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** One tier of the escalation chain: the deployment configuration's `approverTiers` and the stored requests. */
export const approverTierSchema = z
  .object({
    /** Shown in the approval page and the audit trail, e.g. `marketing-ops`. */
    name: z.string().min(1),
    /** Who receives the approval links of this tier. */
    emails: z.array(z.email({ message: 'must be an email address' })).min(1),
    /** How long this tier has before the request escalates to the next one (a week at most). */
    deadlineMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
  })
  .strict();
export type ApproverTier = z.infer<typeof approverTierSchema>;

/**
 * What approving does: `supervise` the governed subject (level of decision high), or let it go back
 * to its previous mode, `restore_autonomy` (critical: it was supervised at once), or
 * `publish_definition`: put a proposed version of a KPI (a target change) in force.
 */
export const APPROVAL_PROPOSALS = ['supervise', 'restore_autonomy', 'publish_definition'] as const;
export type ApprovalProposal = (typeof APPROVAL_PROPOSALS)[number];
/** The proposals about a violation's governed subject. */
export type AutonomyProposal = Exclude<ApprovalProposal, 'publish_definition'>;

/** `expired`: no tier answered, the safe default applied. `failed`: the workflow broke, the safe default applied. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'failed'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const DECISIONS = ['approved', 'rejected'] as const;
export type Decision = (typeof DECISIONS)[number];

export const approvalOutcomeSchema = z.object({
  decision: z.enum(DECISIONS),
  approver: z.email(),
  reason: z.string().max(1000).nullable(),
  decidedAt: utcInstant,
  /** The tier whose link decided (0 is the first). */
  tier: z.number().int().nonnegative(),
});
export type ApprovalOutcome = z.infer<typeof approvalOutcomeSchema>;

const policySchema = z.object({
  action: z.enum(GUARDRAIL_ACTIONS),
  rule: z.string().min(1),
  reason: z.string().min(1),
  version: z.number().int().positive(),
});

/** What the guardrail intake hands the workflow for a violation (its execution input). */
export const violationApprovalStartSchema = z.object({
  approvalId: approvalIdSchema,
  concernKey: z.string().min(1),
  violationKey: z.string().min(1),
  violation: violationSchema,
  policy: policySchema,
  proposal: z.enum(['supervise', 'restore_autonomy']),
  subject: autonomySubjectSchema,
  /** The subject's mode before this violation (what `restore_autonomy` goes back to). */
  previousMode: autonomyModeSchema,
  requestedAt: utcInstant,
});

/** What a publish hands the workflow for a guardrail change of a definition (its execution input). */
export const changeApprovalStartSchema = z.object({
  approvalId: approvalIdSchema,
  /** One approval at a time per KPI definition: `definition|<kpi id>`. */
  concernKey: z.string().min(1),
  policy: policySchema,
  proposal: z.literal('publish_definition'),
  change: definitionChangeSchema,
  requestedAt: utcInstant,
});

/** The workflow's execution input: about a violation, or about a definition change. */
export const approvalStartSchema = z.union([violationApprovalStartSchema, changeApprovalStartSchema]);
export type ApprovalStart = z.infer<typeof approvalStartSchema>;
export type ViolationApprovalStart = z.infer<typeof violationApprovalStartSchema>;
export type ChangeApprovalStart = z.infer<typeof changeApprovalStartSchema>;

const requestFields = {
  /** The escalation chain, as configured when the request was recorded. */
  tiers: z.array(approverTierSchema).min(1),
  status: z.enum(APPROVAL_STATUSES),
  /** The tier being asked now (or the last one asked, once closed). */
  currentTier: z.number().int().nonnegative(),
  /** When the current tier's links expire; null until it is notified. */
  tierDeadline: utcInstant.nullable(),
  outcome: approvalOutcomeSchema.nullable(),
  closedAt: utcInstant.nullable(),
  executionArn: z.string().nullable(),
};

/** An approval request as stored. */
export const approvalRequestSchema = z.union([
  violationApprovalStartSchema.extend(requestFields),
  changeApprovalStartSchema.extend(requestFields),
]);
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/** Whether a request (or start) is about a violation, rather than a definition change. */
export function isViolationApproval<T extends ApprovalStart>(
  start: T,
): start is Extract<T, { readonly proposal: AutonomyProposal }> {
  return start.proposal !== 'publish_definition';
}

/** The KPI an approval is about. */
export function kpiOfApproval(start: ApprovalStart): { id: string; name: string } {
  return isViolationApproval(start) ? start.violation.kpi : start.change.kpi;
}

/** The question an approver answers, for either kind of request. */
export function questionOf(start: ApprovalStart): string {
  return isViolationApproval(start)
    ? describeProposal(start.proposal, start.subject, start.previousMode)
    : describeDefinitionChange(start.change);
}

/** What an answer does, for either kind of request. */
export function effectOfDecision(start: ApprovalStart, decision: Decision): string {
  return isViolationApproval(start)
    ? effectOf(start.proposal, decision, start.subject, start.previousMode)
    : effectOfDefinitionChange(start.change, decision);
}

/** What happens without an answer, for either kind of request. */
export function safeDefaultOf(start: ApprovalStart): string {
  return isViolationApproval(start) ? safeDefaultEffect(start.subject) : safeDefaultOfDefinitionChange(start.change);
}

/** One tier's notification, as stored (the task token is kept apart and never leaves the server). */
export const tierNoticeSchema = z.object({
  approvalId: approvalIdSchema,
  tier: z.number().int().nonnegative(),
  name: z.string().min(1),
  approvers: z.array(z.email()).min(1),
  notifiedAt: utcInstant,
  deadline: utcInstant,
});
export type TierNotice = z.infer<typeof tierNoticeSchema>;

/** The proposal behind a policy action; `notify_owner` asks nothing. */
export function proposalFor(action: GuardrailAction): AutonomyProposal | null {
  if (action === 'request_approval') return 'supervise';
  if (action === 'supervise_and_request_restore') return 'restore_autonomy';
  return null;
}

/** `agent lead-router-1`, `every agent of use case lead_handoff`. */
export function describeSubject(subject: AutonomySubject): string {
  return subject.kind === 'agent' ? `agent ${subject.id}` : `every agent of use case ${subject.id}`;
}

/** The question an approver answers about a violation, as one line. */
export function describeProposal(proposal: AutonomyProposal, subject: AutonomySubject, previousMode: AutonomyMode) {
  return proposal === 'supervise'
    ? `Supervise ${describeSubject(subject)}: a person confirms each of its actions until autonomy is restored.`
    : `Let ${describeSubject(subject)}, supervised since this violation, go back to ${previousMode}.`;
}

/** What each answer does, for the approval page and the email. */
export function effectOf(
  proposal: AutonomyProposal,
  decision: Decision,
  subject: AutonomySubject,
  previousMode: AutonomyMode,
): string {
  const who = describeSubject(subject);
  if (proposal === 'supervise') {
    return decision === 'approved'
      ? `${who} becomes supervised.`
      : `${who} stays ${previousMode}; the violation is recorded as a false alarm.`;
  }
  return decision === 'approved' ? `${who} goes back to ${previousMode}.` : `${who} stays supervised.`;
}

/** What happens when no tier answers before the last deadline: the subject is (or stays) supervised. */
export function safeDefaultEffect(subject: AutonomySubject): string {
  return `${describeSubject(subject)} is supervised until someone restores it.`;
}

/**
 * Whether the governed agent goes on acting on its own after the decision: a request to supervise
 * rejected, or autonomy restored after a supervision at once. Either way the approver judged the
 * guardrail's alarm not worth acting on; guardrail precision is the share of decisions where it was.
 */
export function agentContinues(proposal: AutonomyProposal, decision: Decision): boolean {
  return proposal === 'supervise' ? decision === 'rejected' : decision === 'approved';
}

/** A rejected request to supervise is a false alarm: the approver saw no reason to act. */
export function isFalseAlarm(proposal: ApprovalProposal, decision: Decision): boolean {
  return proposal === 'supervise' && decision === 'rejected';
}

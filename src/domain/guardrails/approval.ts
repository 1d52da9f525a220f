// Domain: an approval request and what its decision does. The guardrail intake opens one per concern
// (see violation.ts `concernKey`); the approval workflow notifies the approver tiers in turn, the
// approval page records the one decision, and the workflow applies it.
import * as z from 'zod';
import { type AutonomyMode, type AutonomySubject, autonomyModeSchema, autonomySubjectSchema } from './autonomy';
import { GUARDRAIL_ACTIONS, type GuardrailAction } from './policy';
import { violationSchema } from './violation';

const utcInstant = z.iso.datetime({ offset: false });

/** An approval id: a UUID, also the name of the workflow execution. */
export const approvalIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** One tier of the escalation chain (mirrors the deployment configuration's `approverTiers`). */
export const approverTierSchema = z.object({
  name: z.string().min(1),
  emails: z.array(z.email()).min(1),
  deadlineMinutes: z.number().int().positive(),
});
export type ApproverTier = z.infer<typeof approverTierSchema>;

/**
 * What approving does: `supervise` the governed subject (level of decision high), or let it go back
 * to its previous mode, `restore_autonomy` (critical: it was supervised at once).
 */
export const APPROVAL_PROPOSALS = ['supervise', 'restore_autonomy'] as const;
export type ApprovalProposal = (typeof APPROVAL_PROPOSALS)[number];

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

/** What the guardrail intake hands the workflow (its execution input). */
export const approvalStartSchema = z.object({
  approvalId: approvalIdSchema,
  concernKey: z.string().min(1),
  violationKey: z.string().min(1),
  violation: violationSchema,
  policy: z.object({
    action: z.enum(GUARDRAIL_ACTIONS),
    rule: z.string().min(1),
    reason: z.string().min(1),
    version: z.number().int().positive(),
  }),
  proposal: z.enum(APPROVAL_PROPOSALS),
  subject: autonomySubjectSchema,
  /** The subject's mode before this violation (what `restore_autonomy` goes back to). */
  previousMode: autonomyModeSchema,
  requestedAt: utcInstant,
});
export type ApprovalStart = z.infer<typeof approvalStartSchema>;

/** An approval request as stored. */
export const approvalRequestSchema = approvalStartSchema.extend({
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
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

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
export function proposalFor(action: GuardrailAction): ApprovalProposal | null {
  if (action === 'request_approval') return 'supervise';
  if (action === 'supervise_and_request_restore') return 'restore_autonomy';
  return null;
}

/** `agent lead-router-1`, `every agent of use case lead_handoff`. */
export function describeSubject(subject: AutonomySubject): string {
  return subject.kind === 'agent' ? `agent ${subject.id}` : `every agent of use case ${subject.id}`;
}

/** The question an approver answers, as one line. */
export function describeProposal(proposal: ApprovalProposal, subject: AutonomySubject, previousMode: AutonomyMode) {
  return proposal === 'supervise'
    ? `Supervise ${describeSubject(subject)}: a person confirms each of its actions until autonomy is restored.`
    : `Let ${describeSubject(subject)}, supervised since this violation, go back to ${previousMode}.`;
}

/** What each answer does, for the approval page and the email. */
export function effectOf(
  proposal: ApprovalProposal,
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

/** A rejected request to supervise is a false alarm: the approver saw no reason to act. */
export function isFalseAlarm(proposal: ApprovalProposal, decision: Decision): boolean {
  return proposal === 'supervise' && decision === 'rejected';
}

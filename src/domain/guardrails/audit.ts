// Domain: the audit trail of the guardrail stage. Every violation received, notification, view,
// decision, escalation, timeout and autonomy change is one AuditEvent, stored in DynamoDB (queryable
// by KPI, governed subject and day) and written as a record of the `pipeline_governance` dataset so
// the governance KPIs are computed by the same engine as every other KPI.
import * as z from 'zod';
import type { TypedRecord } from '../records';
import { type ApprovalStart, DECISIONS, isViolationApproval } from './approval';
import { AUTONOMY_MODES, type AutonomySubject, subjectKey, subjectOf } from './autonomy';
import { GOVERNANCE_DATASET_ID } from './governance-dataset';
import { LEVELS_OF_DECISION, VIOLATION_KINDS, type Violation } from './violation';

export { GOVERNANCE_DATASET_ID };

export const AUDIT_EVENT_TYPES = [
  /** The intake received a violation and the policy chose an action. */
  'violation_received',
  /** The KPI owner was told about a violation (level of decision low, or an exception rule). */
  'owner_notified',
  /** A violation joined an approval already open for the same concern. */
  'duplicate_suppressed',
  /** The workflow recorded an approval request. */
  'approval_requested',
  /** One tier of approvers received their links. */
  'approvers_notified',
  /** An approver opened the approval page (first view per approver and tier). */
  'approval_viewed',
  /**
   * A request the page refused: a forged, altered or malformed link (GET or POST), or a genuine link
   * posted when it could no longer decide (expired, escalated, already decided). Audited at a
   * bounded rate, with the client's address and user agent, never the signature.
   */
  'link_refused',
  /** A known link scanner or previewer opened a genuine link (not the approver viewing it). */
  'link_scanned',
  /** An approver's decision was recorded. */
  'decision_recorded',
  /** A tier's deadline passed with no decision. */
  'tier_timed_out',
  /** The request moved on to the next tier. */
  'escalated',
  /** No tier answered: the safe default (supervised) applied. */
  'safe_default_applied',
  /** A subject's autonomy mode changed (or was confirmed) by a rule, a decision, a default or an operator. */
  'autonomy_changed',
  /** The workflow failed; operations were alarmed and the safe default applied. */
  'workflow_failed',
  /** An approved definition change was published as a new version. */
  'definition_published',
  /** A review pack was built and sent to its audience (src/domain/reviews). */
  'review_published',
  /** A reviewer opened a pack's page (first view per reviewer). */
  'review_viewed',
  /** A reviewer signed a pack off, with a note or none. */
  'review_signed_off',
  /** A reviewer added a note to a pack without signing it off. */
  'review_note_added',
  /** A reviewer raised an action item (what, owner, due date). */
  'action_item_opened',
  /** Someone closed an action item. */
  'action_item_closed',
  /** A pack found an open action item past its due date. */
  'action_item_overdue',
  /** A drift episode on a KPI opened a review case. */
  'review_case_opened',
  /** A reviewer closed a drift review case with a decision. */
  'review_case_closed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const nullableString = z.string().nullable();

export const auditEventSchema = z.object({
  /** Deterministic per fact, so a retried step records it once. */
  eventId: z.string().min(1).max(1024),
  type: z.enum(AUDIT_EVENT_TYPES),
  occurredAt: z.iso.datetime({ offset: false }),
  /** The KPI the event is about; null for an operator's change of autonomy, which no KPI caused. */
  kpiId: nullableString,
  kpiVersion: z.number().int().nonnegative().nullable(),
  violationKind: z.enum(VIOLATION_KINDS).nullable(),
  levelOfDecision: z.enum(LEVELS_OF_DECISION).nullable(),
  agentId: nullableString,
  useCase: nullableString,
  /** The governed subject's key (`agent#…`, `use_case#…`), or null. */
  subject: nullableString,
  approvalId: nullableString,
  /** Who acted: `policy:<rule>`, `approver:<email>`, `workflow`, `operator:<name>`. */
  actor: z.string().min(1),
  tier: z.number().int().nonnegative().nullable(),
  tierName: nullableString,
  decision: z.enum(DECISIONS).nullable(),
  fromMode: z.enum(AUTONOMY_MODES).nullable(),
  toMode: z.enum(AUTONOMY_MODES).nullable(),
  reason: nullableString,
  /** For decisions: milliseconds from the request to the decision. */
  latencyMs: z.number().int().nonnegative().nullable(),
  /** For decisions: whether the approver judged the violation a false alarm. */
  falseAlarm: z.boolean().nullable(),
  /**
   * For decisions: whether the agent went on acting on its own after it (a supervision rejected, or
   * autonomy restored): the guardrail's alarm was not acted on. Guardrail precision counts these.
   */
  agentContinued: z.boolean().nullable().default(null),
  /** For review events: the pack (`weekly-operational/2026-W47`), its kind, the action item or case concerned. */
  reviewId: nullableString.default(null),
  reviewKind: nullableString.default(null),
  itemId: nullableString.default(null),
  /** For action items: the end of the due day. */
  dueAt: z.iso.datetime({ offset: false }).nullable().default(null),
  /** Anything else worth keeping, as one line (e.g. the policy action, the approvers asked). */
  detail: nullableString,
});
export type AuditEvent = z.infer<typeof auditEventSchema>;
/** An event as built; the review fields may be left out. */
export type AuditEventInput = z.input<typeof auditEventSchema>;

type EventFields = Omit<
  AuditEvent,
  'kpiId' | 'kpiVersion' | 'violationKind' | 'levelOfDecision' | 'agentId' | 'useCase' | 'subject'
>;

/** The optional fields of an event, unset. */
const NO_DETAILS: Omit<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor'> = {
  approvalId: null,
  tier: null,
  tierName: null,
  decision: null,
  fromMode: null,
  toMode: null,
  reason: null,
  latencyMs: null,
  falseAlarm: null,
  agentContinued: null,
  reviewId: null,
  reviewKind: null,
  itemId: null,
  dueAt: null,
  detail: null,
};

/** An event no violation caused (an operator's change of autonomy). */
export function operatorAuditEvent(
  subject: AutonomySubject,
  fields: Pick<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor'> & Partial<EventFields>,
): AuditEvent {
  return {
    kpiId: null,
    kpiVersion: null,
    violationKind: null,
    levelOfDecision: null,
    agentId: subject.kind === 'agent' ? subject.id : null,
    useCase: subject.kind === 'use_case' ? subject.id : null,
    subject: subjectKey(subject),
    ...NO_DETAILS,
    ...fields,
  };
}

/** An event of the review loop (a pack, an action item, a drift case), about one KPI or none. */
export function reviewAuditEvent(
  fields: Pick<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor' | 'reviewId' | 'reviewKind'> &
    Partial<EventFields> & { readonly kpiId?: string | null },
): AuditEvent {
  const { kpiId = null, ...rest } = fields;
  return { ...unattributedAuditEvent(rest), kpiId };
}

/** An event about no KPI and no subject: a request refused before any approval could be trusted. */
export function unattributedAuditEvent(
  fields: Pick<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor'> & Partial<EventFields>,
): AuditEvent {
  return {
    kpiId: null,
    kpiVersion: null,
    violationKind: null,
    levelOfDecision: null,
    agentId: null,
    useCase: null,
    subject: null,
    ...NO_DETAILS,
    ...fields,
  };
}

/** The fields every event about `violation` shares, with defaults for the optional ones. */
export function auditEvent(
  violation: Violation,
  fields: Pick<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor'> & Partial<EventFields>,
  subject: AutonomySubject | null = subjectOf(violation.governs),
): AuditEvent {
  return {
    kpiId: violation.kpi.id,
    kpiVersion: violation.kpi.version,
    violationKind: violation.kind,
    levelOfDecision: violation.levelOfDecision,
    agentId: violation.governs.agentId,
    useCase: violation.governs.useCase,
    subject: subject ? subjectKey(subject) : null,
    ...NO_DETAILS,
    ...fields,
  };
}

/** The fields every event about an approval request share: its violation's, or its definition change's. */
export function approvalAuditEvent(
  start: ApprovalStart,
  fields: Pick<EventFields, 'eventId' | 'type' | 'occurredAt' | 'actor'> & Partial<EventFields>,
): AuditEvent {
  if (isViolationApproval(start)) return auditEvent(start.violation, fields);
  const { change } = start;
  return {
    kpiId: change.kpi.id,
    kpiVersion: change.fromVersion,
    violationKind: null,
    levelOfDecision: change.kpi.levelOfDecision,
    agentId: null,
    useCase: change.kpi.useCase,
    subject: null,
    ...NO_DETAILS,
    ...fields,
  };
}

/**
 * The event as a typed record of the `pipeline_governance` dataset (kpis/datasets/pipeline_governance.yaml):
 * the audit event's fields in snake case, `occurred_at` in epoch milliseconds (the dataset's time field).
 */
export function governanceRecord(event: AuditEvent): TypedRecord {
  return {
    event_id: event.eventId,
    type: event.type,
    occurred_at: Date.parse(event.occurredAt),
    kpi_id: event.kpiId,
    kpi_version: event.kpiVersion,
    violation_kind: event.violationKind,
    level_of_decision: event.levelOfDecision,
    agent_id: event.agentId,
    use_case: event.useCase,
    subject: event.subject,
    approval_id: event.approvalId,
    actor: event.actor,
    tier: event.tier,
    tier_name: event.tierName,
    decision: event.decision,
    from_mode: event.fromMode,
    to_mode: event.toMode,
    reason: event.reason,
    latency_ms: event.latencyMs,
    false_alarm: event.falseAlarm,
    agent_continued: event.agentContinued,
    review_id: event.reviewId,
    review_kind: event.reviewKind,
    item_id: event.itemId,
    due_at: event.dueAt === null ? null : Date.parse(event.dueAt),
    detail: event.detail,
  };
}

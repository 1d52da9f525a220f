// Use case: the guardrail intake. Evaluate hands over a batch of violations; for each, the policy
// chooses an action and this carries it out: tell the owner, or open an approval (supervising the
// governed subject at once when the level of decision is critical). Safe to call again with the same
// batch: every step is idempotent, keyed by the violation and its concern.

import { forEachConcurrently } from '../../domain/concurrency';
import { describeError, PipelineError } from '../../domain/errors';
import { proposalFor, type ViolationApprovalStart } from '../../domain/guardrails/approval';
import { auditEvent } from '../../domain/guardrails/audit';
import { type AutonomyMode, type AutonomySubject, effectiveMode, subjectOf } from '../../domain/guardrails/autonomy';
import { ownerEmail } from '../../domain/guardrails/messages';
import {
  type AtRiskRouting,
  decideGuardrailAction,
  type GuardrailDecision,
  type GuardrailRule,
} from '../../domain/guardrails/policy';
import { GUARDRAIL_POLICY_VERSION, GUARDRAIL_RULES } from '../../domain/guardrails/rules';
import { concernKey, type Violation, violationKey } from '../../domain/guardrails/violation';
import type { ApprovalWorkflow } from '../../ports/approval-workflow';
import type { ApprovalStore } from '../../ports/approvals';
import type { AuditLog } from '../../ports/audit-log';
import type { AutonomyControls } from '../../ports/autonomy-controls';
import type { Clock } from '../../ports/clock';
import type { GuardrailNotifier } from '../../ports/guardrail-notifier';
import { changeAutonomy } from './change-autonomy';

export interface HandleViolationsDeps {
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
  readonly controls: AutonomyControls;
  readonly notifier: GuardrailNotifier;
  readonly workflow: ApprovalWorkflow;
  readonly clock: Clock;
  /** A fresh approval id (a UUID). */
  readonly newApprovalId: () => string;
  /** How long a concern stays claimed at most: the whole escalation chain plus a margin. */
  readonly concernTtlSeconds: number;
  /** How long a violation taken up by an approval is remembered. @default 35 days */
  readonly violationMemorySeconds?: number;
  /** How long a notice to an owner is remembered (so re-evaluations do not repeat it). @default 7 days */
  readonly ownerNoticeTtlSeconds?: number;
  /**
   * How long an owner notice claimed and never marked sent holds before another delivery takes it
   * over. @default OWNER_NOTICE_LEASE_SECONDS
   */
  readonly ownerNoticeLeaseSeconds?: number;
  /** The policy rules, in order. @default GUARDRAIL_RULES */
  readonly rules?: readonly GuardrailRule[];
  /** How at-risk forecasts are routed per level of decision. @default notify_owner everywhere */
  readonly atRiskRouting?: AtRiskRouting;
}

export type ViolationResult =
  /** Recorded in the audit trail only (an at-risk forecast routed like yellow). */
  | 'recorded'
  /** The owner was told. */
  | 'owner_notified'
  /** The owner had been told about this violation already. */
  | 'owner_already_notified'
  /** An approval was opened (or, for a repeat of the same violation, found open and started). */
  | 'approval_started'
  /** An approval is open for the same concern; the violation joined it. */
  | 'joined_open_approval'
  /** An approval took up this very violation before and is closed: evaluating it again asks nothing. */
  | 'already_handled';

export interface ViolationOutcome {
  readonly violationKey: string;
  readonly decision: GuardrailDecision;
  readonly result: ViolationResult;
  readonly approvalId?: string;
}

/** Some violations of a batch could not be handled; the others were. Retrying the batch is safe. */
export class GuardrailIntakeError extends PipelineError {
  override readonly name = 'GuardrailIntakeError';
  constructor(
    readonly failures: { violationKey: string; error: string }[],
    readonly outcomes: ViolationOutcome[],
  ) {
    super(`${failures.length} violation(s) could not be handled: ${failures.map((f) => f.error).join('; ')}`);
  }
}

/** Longer than the intake function may run (2 minutes): a holder past it has died. */
export const OWNER_NOTICE_LEASE_SECONDS = 180;

/** Violations handled at once; a batch comes from one evaluation run. */
const CONCURRENCY = 4;

/**
 * Applies the guardrail policy to each violation of a batch.
 * @throws GuardrailIntakeError when some failed (after handling all the others)
 */
export async function handleViolations(
  violations: readonly Violation[],
  deps: HandleViolationsDeps,
): Promise<ViolationOutcome[]> {
  const outcomes: ViolationOutcome[] = [];
  const failures: { violationKey: string; error: string }[] = [];
  await forEachConcurrently(violations, CONCURRENCY, async (violation) => {
    try {
      outcomes.push(await handleViolation(violation, deps));
    } catch (error) {
      failures.push({ violationKey: violationKey(violation), error: describeError(error) });
    }
  });
  if (failures.length > 0) throw new GuardrailIntakeError(failures, outcomes);
  return outcomes;
}

async function handleViolation(violation: Violation, deps: HandleViolationsDeps): Promise<ViolationOutcome> {
  const key = violationKey(violation);
  const subject = subjectOf(violation.governs);
  const control = subject ? await deps.controls.read(subject) : null;
  const currentMode = control ? effectiveMode(control) : null;
  const decision = decideGuardrailAction(
    violation,
    { currentMode, ...(deps.atRiskRouting ? { atRiskRouting: deps.atRiskRouting } : {}) },
    deps.rules ?? GUARDRAIL_RULES,
  );
  const now = () => new Date(deps.clock.now()).toISOString();
  await deps.audit.record(
    auditEvent(violation, {
      eventId: `violation|${key}|${violation.provisional ? 'provisional' : 'final'}`,
      type: 'violation_received',
      occurredAt: now(),
      actor: `policy:${decision.rule}`,
      reason: decision.reason,
      detail: `action=${decision.action}; policy v${GUARDRAIL_POLICY_VERSION}; ${violation.evidence.summary}`,
    }),
  );

  if (decision.action === 'record_only') return { violationKey: key, decision, result: 'recorded' };
  const proposal = proposalFor(decision.action);
  if (!proposal || !subject || currentMode === null) {
    return { violationKey: key, decision, result: await notifyOwner(violation, key, decision, deps) };
  }
  const claim = await claimApproval(violation, key, decision, currentMode, deps);
  if ('outcome' in claim) return claim.outcome;
  const { approvalId, previousMode } = claim;
  if (decision.action === 'supervise_and_request_restore')
    await superviseAtOnce(violation, subject, approvalId, decision, deps);

  const start: ViolationApprovalStart = {
    approvalId,
    concernKey: concernKey(violation),
    violationKey: key,
    violation,
    policy: { ...decision, version: GUARDRAIL_POLICY_VERSION },
    proposal,
    subject,
    previousMode,
    requestedAt: now(),
  };
  await deps.workflow.start(start);
  return { violationKey: key, decision, result: 'approval_started', approvalId };
}

/**
 * The approval a violation goes on with: the one a retried batch started already, a new one that
 * claims the violation's concern, or the one open for the same concern. Answers an outcome instead
 * when there is nothing to start (already handled, joined an open approval).
 */
async function claimApproval(
  violation: Violation,
  key: string,
  decision: GuardrailDecision,
  currentMode: AutonomyMode,
  deps: HandleViolationsDeps,
): Promise<{ approvalId: string; previousMode: AutonomyMode } | { outcome: ViolationOutcome }> {
  const concern = concernKey(violation);
  const now = () => new Date(deps.clock.now()).toISOString();
  const nowSeconds = Math.floor(deps.clock.now() / 1000);
  const remember = (approvalId: string) =>
    deps.approvals.markViolation(key, approvalId, nowSeconds + (deps.violationMemorySeconds ?? 35 * 24 * 3600));
  const handled = await deps.approvals.violationMark(key);
  if (handled) {
    const inFlight = await deps.approvals.getConcern(concern);
    // Its approval is over (decided, expired): re-evaluating the same period asks nothing again.
    if (inFlight?.approvalId !== handled.approvalId) {
      return {
        outcome: { violationKey: key, decision, result: 'already_handled', approvalId: handled.approvalId },
      };
    }
    // Still in flight (a retried batch): finish what the first attempt started.
    return { approvalId: inFlight.approvalId, previousMode: inFlight.previousMode };
  }
  const approvalId = deps.newApprovalId();
  const claim = await deps.approvals.claimConcern(
    {
      concernKey: concern,
      approvalId,
      violationKey: key,
      previousMode: currentMode,
      claimedAt: now(),
    },
    nowSeconds + deps.concernTtlSeconds,
  );
  if (!claim.claimed && claim.holder.violationKey !== key) {
    await remember(claim.holder.approvalId);
    await deps.audit.record(
      auditEvent(violation, {
        eventId: `duplicate|${key}`,
        type: 'duplicate_suppressed',
        occurredAt: now(),
        actor: `policy:${decision.rule}`,
        approvalId: claim.holder.approvalId,
        reason:
          'An approval is already open for this kind of breach of this KPI by this agent; the violation joins it.',
      }),
    );
    return {
      outcome: { violationKey: key, decision, result: 'joined_open_approval', approvalId: claim.holder.approvalId },
    };
  }
  // The same violation, delivered twice at once or retried: go on with the approval that holds it.
  const held = claim.claimed
    ? { approvalId, previousMode: currentMode }
    : { approvalId: claim.holder.approvalId, previousMode: claim.holder.previousMode };
  await remember(held.approvalId);
  return held;
}

/** Puts the agent under supervision at once, while the approval to restore it runs. */
async function superviseAtOnce(
  violation: Violation,
  subject: AutonomySubject,
  approvalId: string,
  decision: GuardrailDecision,
  deps: HandleViolationsDeps,
): Promise<void> {
  const actor = `policy:${decision.rule}`;
  await changeAutonomy(
    subject,
    { type: 'hold', approvalId },
    { actor, reason: decision.reason },
    ({ from, to, at }) =>
      auditEvent(violation, {
        eventId: `${approvalId}|supervised-at-once`,
        type: 'autonomy_changed',
        occurredAt: at,
        actor,
        approvalId,
        fromMode: from,
        toMode: to,
        reason: decision.reason,
      }),
    deps,
  );
}

/**
 * Another delivery of the same violation holds its owner notice, unsent, within its lease: this one
 * fails, so it is retried (the intake's asynchronous retries) and takes the notice over once the
 * lease has run out if the holder died.
 */
export class OwnerNoticePendingError extends PipelineError {
  override readonly name = 'OwnerNoticePendingError';
  constructor(readonly noticeKey: string) {
    super(`the notice to the owner about ${noticeKey} is being sent by another delivery; retry after its lease`);
  }
}

/**
 * Tells the owner once per violation and rule: the notice is claimed for this delivery (its
 * `detectedAt`, the same on every retry of it), sent, audited, then marked sent. A retried write or a
 * rerun after a crash anywhere before the mark finishes it (a crash between the publish and the mark
 * sends it again, with the same audit event id); a re-evaluation finds it sent and tells nobody.
 */
async function notifyOwner(
  violation: Violation,
  key: string,
  decision: GuardrailDecision,
  deps: HandleViolationsDeps,
): Promise<ViolationResult> {
  const noticeKey = `${key}|${decision.rule}`;
  const claimId = violation.detectedAt;
  const claim = await deps.approvals.claimOwnerNotice({
    noticeKey,
    claimId,
    leaseSeconds: deps.ownerNoticeLeaseSeconds ?? OWNER_NOTICE_LEASE_SECONDS,
    expiresAtEpochSeconds: Math.floor(deps.clock.now() / 1000) + (deps.ownerNoticeTtlSeconds ?? 7 * 24 * 3600),
  });
  if (claim === 'sent') return 'owner_already_notified';
  if (claim === 'pending') throw new OwnerNoticePendingError(noticeKey);
  const message = ownerEmail(violation, decision);
  try {
    await deps.notifier.notifyOwner({ owner: violation.owner.email, kpiId: violation.kpi.id, ...message });
  } catch (error) {
    await deps.approvals.releaseOwnerNotice(noticeKey, claimId);
    throw error;
  }
  await deps.audit.record(
    auditEvent(violation, {
      eventId: `owner-notice|${noticeKey}`,
      type: 'owner_notified',
      occurredAt: new Date(deps.clock.now()).toISOString(),
      actor: `policy:${decision.rule}`,
      reason: decision.reason,
      detail: `to ${violation.owner.email}`,
    }),
  );
  await deps.approvals.markOwnerNoticeSent(noticeKey, claimId);
  return 'owner_notified';
}

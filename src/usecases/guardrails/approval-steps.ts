// Use cases: the steps of the approval workflow (lib/constructs/guardrails.ts). The state machine
// records the request, notifies one tier at a time and waits for the decision with a deadline,
// escalates on timeout, and finally applies the decision or the safe default: to the autonomy of
// the agent a violation governs, or to the definition whose guardrail change was asked about.

import { ConflictError, NotFoundError } from '../../domain/errors';
import {
  type ApprovalRequest,
  type ApprovalStart,
  type ApproverTier,
  agentContinues,
  type ChangeApprovalStart,
  isFalseAlarm,
  isViolationApproval,
  safeDefaultOf,
  type TierNotice,
  type ViolationApprovalStart,
} from '../../domain/guardrails/approval';
import { type ApprovalLinkClaims, approvalLinkUrl } from '../../domain/guardrails/approval-link';
import { approvalAuditEvent } from '../../domain/guardrails/audit';
import { type AutonomyTransition, effectiveMode } from '../../domain/guardrails/autonomy';
import { approverEmail } from '../../domain/guardrails/messages';
import type { ApprovalLinkSigner } from '../../ports/approval-link-signer';
import type { ApprovalStore } from '../../ports/approvals';
import type { AuditLog } from '../../ports/audit-log';
import type { AutonomyControls } from '../../ports/autonomy-controls';
import type { Clock } from '../../ports/clock';
import type { ChangeApproval, DefinitionChanges } from '../../ports/definition-changes';
import type { GuardrailNotifier } from '../../ports/guardrail-notifier';
import { changeAutonomy } from './change-autonomy';

/**
 * A retried notify step found the request already decided (an approver clicked a link of the first
 * attempt): the state machine catches this name and applies the decision.
 */
export class ApprovalAlreadyDecidedError extends ConflictError {
  override readonly name = 'ApprovalAlreadyDecided';
}

/** Where the workflow stands after a step: which tier, how long it may wait, and what comes next. */
export interface TierState {
  readonly index: number;
  readonly name: string;
  readonly count: number;
  /** Seconds the notify task waits for a decision (the tier's deadline). */
  readonly waitSeconds: number;
  /** `open`/`escalated`: notify `index`; `decided`: apply the decision; `exhausted`: apply the safe default. */
  readonly outcome: 'open' | 'escalated' | 'decided' | 'exhausted';
}

export interface ApprovalStepDeps {
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
  readonly controls: AutonomyControls;
  readonly clock: Clock;
  /** Where approved definition changes are published; needed only by requests about one. */
  readonly definitionChanges?: DefinitionChanges;
}

function changesOf(deps: ApprovalStepDeps): DefinitionChanges {
  if (!deps.definitionChanges) throw new ConflictError('this function cannot apply definition changes');
  return deps.definitionChanges;
}

function tierState(tiers: readonly ApproverTier[], index: number, outcome: TierState['outcome']): TierState {
  const tier = tiers[Math.min(index, tiers.length - 1)] as ApproverTier;
  return { index, name: tier.name, count: tiers.length, waitSeconds: tier.deadlineMinutes * 60, outcome };
}

async function requestOf(approvals: ApprovalStore, approvalId: string): Promise<ApprovalRequest> {
  const request = await approvals.getRequest(approvalId);
  if (!request) throw new NotFoundError(`approval ${approvalId} does not exist`);
  return request;
}

const iso = (clock: Clock) => new Date(clock.now()).toISOString();

/** Step 1: records the request with the configured escalation chain; returns the first tier to notify. */
export async function recordApprovalRequest(
  start: ApprovalStart,
  executionArn: string,
  deps: ApprovalStepDeps & { readonly tiers: readonly ApproverTier[] },
): Promise<TierState> {
  const request = {
    ...start,
    tiers: [...deps.tiers],
    status: 'pending',
    currentTier: 0,
    tierDeadline: null,
    outcome: null,
    closedAt: null,
    executionArn,
  } as ApprovalRequest;
  // A retried step finds the request it created: go on with the stored one.
  const created = await deps.approvals.createRequest(request);
  const stored = created ? request : await requestOf(deps.approvals, start.approvalId);
  await deps.audit.record(
    approvalAuditEvent(stored, {
      eventId: `${stored.approvalId}|requested`,
      type: 'approval_requested',
      occurredAt: iso(deps.clock),
      actor: 'workflow',
      approvalId: stored.approvalId,
      reason: stored.policy.reason,
      detail: `proposal=${stored.proposal}; tiers=${stored.tiers.map((t) => `${t.name} (${t.deadlineMinutes} min)`).join(' > ')}`,
    }),
  );
  return tierState(stored.tiers, stored.currentTier, 'open');
}

/**
 * Step 2 (waits for the task token): opens the tier, keeps the task token server-side, and sends
 * each approver of the tier their own signed link. The token never leaves this function's writes.
 */
export async function notifyApprovers(
  input: { approvalId: string; tier: number; taskToken: string },
  deps: ApprovalStepDeps & {
    readonly notifier: GuardrailNotifier;
    readonly signer: ApprovalLinkSigner;
    /** Base URL of the approval page, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
    readonly pageBaseUrl: string;
  },
): Promise<{ notified: number; deadline: string }> {
  const request = await requestOf(deps.approvals, input.approvalId);
  if (request.status === 'approved' || request.status === 'rejected') {
    throw new ApprovalAlreadyDecidedError(`approval ${request.approvalId} was ${request.status} meanwhile`);
  }
  const tier = request.tiers[input.tier];
  if (!tier) throw new ConflictError(`approval ${input.approvalId} has no tier ${input.tier}`);
  const now = deps.clock.now();
  // Links expire on a whole second; the deadline is that second, so the page and the email agree.
  const expiresAt = Math.floor(now / 1000) + tier.deadlineMinutes * 60;
  const notice: TierNotice = {
    approvalId: request.approvalId,
    tier: input.tier,
    name: tier.name,
    approvers: [...new Set(tier.emails.map((e) => e.toLowerCase()))],
    notifiedAt: new Date(now).toISOString(),
    deadline: new Date(expiresAt * 1000).toISOString(),
  };
  await deps.approvals.openTier(notice, input.taskToken);
  for (const approver of notice.approvers) {
    const claims: ApprovalLinkClaims = { approvalId: request.approvalId, approver, tier: input.tier, expiresAt };
    const link = approvalLinkUrl(deps.pageBaseUrl, claims, await deps.signer.sign(claims));
    const email = approverEmail(request, notice, approver, link);
    await deps.notifier.notifyApprover({ approver, approvalId: request.approvalId, tier: input.tier, ...email });
  }
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|tier-${input.tier}|notified`,
      type: 'approvers_notified',
      occurredAt: notice.notifiedAt,
      actor: 'workflow',
      approvalId: request.approvalId,
      tier: input.tier,
      tierName: tier.name,
      detail: `to ${notice.approvers.join(', ')}; deadline ${notice.deadline}`,
    }),
  );
  return { notified: notice.approvers.length, deadline: notice.deadline };
}

/**
 * Step 3, when a tier's deadline passes: if a decision made it in time (the click raced the
 * deadline), go and apply it; otherwise escalate to the next tier, or, after the last, expire.
 */
export async function closeTier(
  input: { approvalId: string; tier: number },
  deps: ApprovalStepDeps,
): Promise<TierState> {
  const before = await requestOf(deps.approvals, input.approvalId);
  const last = input.tier + 1 >= before.tiers.length;
  const { won, request } = await deps.approvals.closeTier(input.approvalId, input.tier, last ? 'expire' : 'escalate');
  if (request.status === 'approved' || request.status === 'rejected') {
    return tierState(request.tiers, request.outcome?.tier ?? input.tier, 'decided');
  }
  if (won) {
    const at = iso(deps.clock);
    const tierName = before.tiers[input.tier]?.name ?? null;
    await deps.audit.record(
      approvalAuditEvent(request, {
        eventId: `${request.approvalId}|tier-${input.tier}|timed-out`,
        type: 'tier_timed_out',
        occurredAt: at,
        actor: 'workflow',
        approvalId: request.approvalId,
        tier: input.tier,
        tierName,
      }),
    );
    if (request.status === 'pending') {
      await deps.audit.record(
        approvalAuditEvent(request, {
          eventId: `${request.approvalId}|tier-${input.tier}|escalated`,
          type: 'escalated',
          occurredAt: at,
          actor: 'workflow',
          approvalId: request.approvalId,
          tier: request.currentTier,
          tierName: request.tiers[request.currentTier]?.name ?? null,
          detail: `from ${tierName} to ${request.tiers[request.currentTier]?.name}`,
        }),
      );
    }
  }
  if (request.status !== 'pending') return tierState(request.tiers, request.currentTier, 'exhausted');
  return tierState(request.tiers, request.currentTier, 'escalated');
}

async function finish(request: ApprovalRequest, deps: ApprovalStepDeps): Promise<void> {
  await deps.approvals.releaseConcern(request.concernKey, request.approvalId);
  await deps.approvals.markClosed(request.approvalId, iso(deps.clock));
}

/** Step 4a: applies a recorded decision: to the governed subject's autonomy, or to the definition. */
export async function applyDecision(
  input: { approvalId: string },
  deps: ApprovalStepDeps,
): Promise<{ decision: string; mode?: string; version?: number }> {
  const request = await requestOf(deps.approvals, input.approvalId);
  const outcome = request.outcome;
  if (!outcome || (request.status !== 'approved' && request.status !== 'rejected')) {
    throw new ConflictError(`approval ${request.approvalId} is ${request.status}, not decided`);
  }
  if (!isViolationApproval(request)) return applyChangeDecision(request, outcome, deps);
  const transition: AutonomyTransition | null =
    outcome.decision === 'approved'
      ? request.proposal === 'supervise'
        ? { type: 'hold', approvalId: request.approvalId }
        : { type: 'release', approvalId: request.approvalId }
      : null;
  const actor = `approver:${outcome.approver}`;
  const reason = outcome.reason ?? `${outcome.decision} without a reason`;
  const change = transition
    ? await changeAutonomy(
        request.subject,
        transition,
        { actor, reason },
        ({ from, to, at }) =>
          approvalAuditEvent(request, {
            eventId: `${request.approvalId}|decision-applied`,
            type: 'autonomy_changed',
            occurredAt: at,
            actor,
            approvalId: request.approvalId,
            tier: outcome.tier,
            decision: outcome.decision,
            fromMode: from,
            toMode: to,
            reason,
            falseAlarm: isFalseAlarm(request.proposal, outcome.decision),
            agentContinued: agentContinues(request.proposal, outcome.decision),
          }),
        deps,
      )
    : { to: effectiveMode(await deps.controls.read(request.subject)) };
  await finish(request, deps);
  return { decision: outcome.decision, mode: change.to };
}

function approvalOf(request: ApprovalRequest, outcome: NonNullable<ApprovalRequest['outcome']>): ChangeApproval {
  return {
    approvalId: request.approvalId,
    approver: outcome.approver,
    decidedAt: Date.parse(outcome.decidedAt),
    reason: outcome.reason,
  };
}

/** An approved change is published (unless another version went in force meanwhile); a rejected one closed. */
async function applyChangeDecision(
  request: ChangeApprovalStart & ApprovalRequest,
  outcome: NonNullable<ApprovalRequest['outcome']>,
  deps: ApprovalStepDeps,
): Promise<{ decision: string; version?: number }> {
  const changes = changesOf(deps);
  const approval = approvalOf(request, outcome);
  if (outcome.decision === 'rejected') {
    await changes.close(request.change, 'rejected', approval);
    await finish(request, deps);
    return { decision: outcome.decision };
  }
  const applied = await changes.publish(request.change, approval);
  const published = applied.outcome === 'published';
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|decision-applied`,
      type: published ? 'definition_published' : 'decision_recorded',
      occurredAt: iso(deps.clock),
      actor: `approver:${outcome.approver}`,
      approvalId: request.approvalId,
      tier: outcome.tier,
      decision: outcome.decision,
      reason: outcome.reason,
      detail: published
        ? `proposal ${request.change.proposalId} published as version ${applied.version}`
        : `not applied: version ${applied.activeVersion} went in force meanwhile; publish the proposal again`,
    }),
  );
  await finish(request, deps);
  return published ? { decision: outcome.decision, version: applied.version } : { decision: outcome.decision };
}

/** Step 4b: no tier answered; the subject is (or stays) supervised, or the change stays unpublished. */
export async function applySafeDefault(
  input: { approvalId: string },
  deps: ApprovalStepDeps,
): Promise<{ mode?: string }> {
  const request = await requestOf(deps.approvals, input.approvalId);
  if (request.status !== 'expired') {
    throw new ConflictError(`approval ${request.approvalId} is ${request.status}, not expired`);
  }
  const reason = `No answer from ${request.tiers.map((t) => t.name).join(', ')} by the last deadline: ${safeDefaultOf(request)}`;
  const change = isViolationApproval(request)
    ? await holdForSafety(request, 'workflow:safe-default', reason, deps)
    : await changesOf(deps)
        .close(request.change, 'expired', null)
        .then(() => null);
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|safe-default`,
      type: 'safe_default_applied',
      occurredAt: iso(deps.clock),
      actor: 'workflow',
      approvalId: request.approvalId,
      tier: request.currentTier,
      tierName: request.tiers[request.currentTier]?.name ?? null,
      fromMode: change?.from ?? null,
      toMode: change?.to ?? null,
      reason,
    }),
  );
  await finish(request, deps);
  return change ? { mode: change.to } : {};
}

async function holdForSafety(request: ViolationApprovalStart, actor: string, reason: string, deps: ApprovalStepDeps) {
  return changeAutonomy(
    request.subject,
    { type: 'hold', approvalId: request.approvalId },
    { actor, reason },
    ({ from, to, at }) =>
      approvalAuditEvent(request, {
        eventId: `${request.approvalId}|held-for-safety`,
        type: 'autonomy_changed',
        occurredAt: at,
        actor,
        approvalId: request.approvalId,
        fromMode: from,
        toMode: to,
        reason,
      }),
    deps,
  );
}

/**
 * The Catch path: the workflow broke (after its retries). Whatever was decided, the subject is held
 * supervised (an operator restores it once the failure is understood), or a definition change stays
 * unpublished; the failure is audited, and the state machine then alarms operations.
 */
export async function failSafe(
  input: { start: ApprovalStart; error: string; cause: string },
  deps: ApprovalStepDeps,
): Promise<{ mode?: string }> {
  const { start } = input;
  const stored = await deps.approvals.getRequest(start.approvalId);
  if (stored?.status === 'pending') await deps.approvals.markFailed(start.approvalId);
  const violation = isViolationApproval(start);
  const reason = violation
    ? `The approval workflow failed (${input.error}); the agent is held supervised until someone restores it.`
    : `The approval workflow failed (${input.error}); ${safeDefaultOf(start)}`;
  const change = violation
    ? await holdForSafety(start, 'workflow:fail-safe', reason, deps)
    : await changesOf(deps)
        .close(start.change, 'failed', null)
        .then(() => null);
  await deps.audit.record(
    approvalAuditEvent(start, {
      eventId: `${start.approvalId}|workflow-failed`,
      type: 'workflow_failed',
      occurredAt: iso(deps.clock),
      actor: 'workflow',
      approvalId: start.approvalId,
      fromMode: change?.from ?? null,
      toMode: change?.to ?? null,
      reason,
      detail: `${input.error}: ${input.cause}`.slice(0, 1000),
    }),
  );
  await deps.approvals.releaseConcern(start.concernKey, start.approvalId);
  if (stored) await deps.approvals.markClosed(start.approvalId, iso(deps.clock));
  return change ? { mode: change.to } : {};
}

// Test support: in-memory implementations of the guardrail ports, with the same conditional
// semantics as the DynamoDB adapters, for use-case tests.
import { randomUUID } from 'node:crypto';
import { createHmacLinkSigner } from '../../src/adapters/crypto/hmac-link-signer';
import { ConflictError } from '../../src/domain/errors';
import type {
  ApprovalOutcome,
  ApprovalRequest,
  ApprovalStart,
  ApprovalStatus,
  TierNotice,
} from '../../src/domain/guardrails/approval';
import type { AuditEvent } from '../../src/domain/guardrails/audit';
import {
  type AutonomyControlState,
  type AutonomySubject,
  subjectKey,
  UNGOVERNED_CONTROL,
} from '../../src/domain/guardrails/autonomy';
import type { ApprovalWorkflow } from '../../src/ports/approval-workflow';
import type { ApprovalStore, ConcernClaim, OwnerNoticeClaim, Transition } from '../../src/ports/approvals';
import type { AuditLog } from '../../src/ports/audit-log';
import type { AutonomyControls } from '../../src/ports/autonomy-controls';
import type { Clock } from '../../src/ports/clock';
import type { ApproverMessage, GuardrailNotifier, OwnerMessage } from '../../src/ports/guardrail-notifier';
import { ManualClock } from './manual-clock';

export { ManualClock };

export class InMemoryApprovalStore implements ApprovalStore {
  readonly concerns = new Map<string, ConcernClaim>();
  /** Notice key → its claim (which delivery, when) and whether it was sent. */
  readonly ownerNotices = new Map<string, { claimId: string; claimedAt: number; expiresAt: number; sent: boolean }>();
  readonly requests = new Map<string, ApprovalRequest>();
  readonly notices = new Map<string, TierNotice & { taskToken: string }>();

  constructor(private readonly clock: Clock) {}

  async claimConcern(claim: ConcernClaim) {
    const holder = this.concerns.get(claim.concernKey);
    if (holder) return { claimed: false as const, holder };
    this.concerns.set(claim.concernKey, claim);
    return { claimed: true as const };
  }
  readonly violationMarks = new Map<string, string>();
  async getConcern(concernKey: string) {
    return this.concerns.get(concernKey);
  }
  async markViolation(violationKey: string, approvalId: string) {
    this.violationMarks.set(violationKey, approvalId);
  }
  async violationMark(violationKey: string) {
    const approvalId = this.violationMarks.get(violationKey);
    return approvalId ? { approvalId } : undefined;
  }
  async releaseConcern(concernKey: string, approvalId: string) {
    if (this.concerns.get(concernKey)?.approvalId === approvalId) this.concerns.delete(concernKey);
  }
  async claimOwnerNotice({ noticeKey, claimId, leaseSeconds, expiresAtEpochSeconds }: OwnerNoticeClaim) {
    const now = Math.floor(this.clock.now() / 1000);
    const held = this.ownerNotices.get(noticeKey);
    const free =
      !held ||
      held.expiresAt < now ||
      (!held.sent && (held.claimId === claimId || held.claimedAt < now - leaseSeconds));
    if (!free) return held.sent ? 'sent' : 'pending';
    this.ownerNotices.set(noticeKey, { claimId, claimedAt: now, expiresAt: expiresAtEpochSeconds, sent: false });
    return 'claimed';
  }
  async markOwnerNoticeSent(noticeKey: string, claimId: string) {
    const held = this.ownerNotices.get(noticeKey);
    if (held?.claimId === claimId) held.sent = true;
  }
  async releaseOwnerNotice(noticeKey: string, claimId: string) {
    const held = this.ownerNotices.get(noticeKey);
    if (held?.claimId === claimId && !held.sent) this.ownerNotices.delete(noticeKey);
  }
  async createRequest(request: ApprovalRequest) {
    if (this.requests.has(request.approvalId)) return false;
    this.requests.set(request.approvalId, structuredClone(request));
    return true;
  }
  async getRequest(approvalId: string) {
    const request = this.requests.get(approvalId);
    return request ? structuredClone(request) : undefined;
  }
  async listRequests(status: ApprovalStatus) {
    return [...this.requests.values()].filter((r) => r.status === status).map((r) => structuredClone(r));
  }
  async openTier(notice: TierNotice, taskToken: string) {
    const request = this.requests.get(notice.approvalId);
    if (request?.status !== 'pending' || request.currentTier !== notice.tier) {
      throw new ConflictError(`approval ${notice.approvalId} is not pending at tier ${notice.tier}`);
    }
    request.tierDeadline = notice.deadline;
    this.notices.set(`${notice.approvalId}|${notice.tier}`, { ...notice, taskToken });
  }
  async getTaskToken(approvalId: string, tier: number) {
    return this.notices.get(`${approvalId}|${tier}`)?.taskToken;
  }
  async listTierNotices(approvalId: string) {
    return [...this.notices.values()]
      .filter((n) => n.approvalId === approvalId)
      .sort((a, b) => a.tier - b.tier)
      .map(({ taskToken: _, ...notice }) => notice);
  }
  private transition(
    approvalId: string,
    allowed: (r: ApprovalRequest) => boolean,
    apply: (r: ApprovalRequest) => void,
  ) {
    const request = this.requests.get(approvalId);
    if (!request) throw new Error(`no approval ${approvalId}`);
    const won = allowed(request);
    if (won) apply(request);
    return { won, request: structuredClone(request) } satisfies Transition;
  }
  async recordDecision(approvalId: string, outcome: ApprovalOutcome) {
    return this.transition(
      approvalId,
      (r) =>
        r.status === 'pending' &&
        r.currentTier === outcome.tier &&
        r.tierDeadline !== null &&
        Date.parse(r.tierDeadline) > this.clock.now(),
      (r) => {
        r.status = outcome.decision;
        r.outcome = outcome;
      },
    );
  }
  async closeTier(approvalId: string, tier: number, next: 'escalate' | 'expire') {
    return this.transition(
      approvalId,
      (r) => r.status === 'pending' && r.currentTier === tier,
      (r) => {
        if (next === 'expire') r.status = 'expired';
        else {
          r.currentTier = tier + 1;
          r.tierDeadline = null;
        }
      },
    );
  }
  async markFailed(approvalId: string) {
    return this.transition(
      approvalId,
      (r) => r.status === 'pending',
      (r) => {
        r.status = 'failed';
      },
    );
  }
  async markClosed(approvalId: string, closedAt: string) {
    const request = this.requests.get(approvalId);
    if (request) request.closedAt = closedAt;
  }
}

export class InMemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent) {
    if (!this.events.some((e) => e.eventId === event.eventId)) this.events.push(event);
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

export class InMemoryAutonomyControls implements AutonomyControls {
  readonly states = new Map<string, AutonomyControlState>();
  async read(subject: AutonomySubject) {
    return this.states.get(subjectKey(subject)) ?? UNGOVERNED_CONTROL;
  }
  async write(subject: AutonomySubject, next: AutonomyControlState) {
    const current = await this.read(subject);
    if (current.version !== next.version - 1) return false;
    this.states.set(subjectKey(subject), next);
    return true;
  }
}

export class RecordingNotifier implements GuardrailNotifier {
  readonly approverMessages: ApproverMessage[] = [];
  readonly ownerMessages: OwnerMessage[] = [];
  failOwnerNotices = false;
  async notifyApprover(message: ApproverMessage) {
    this.approverMessages.push(message);
  }
  async notifyOwner(message: OwnerMessage) {
    if (this.failOwnerNotices) throw new Error('SNS is unavailable');
    this.ownerMessages.push(message);
  }
}

export class RecordingWorkflow implements ApprovalWorkflow {
  readonly started = new Map<string, ApprovalStart>();
  readonly resumed: { taskToken: string; approvalId: string; outcome: ApprovalOutcome }[] = [];
  tokenExpired = false;
  async start(start: ApprovalStart) {
    const alreadyStarted = this.started.has(start.approvalId);
    this.started.set(start.approvalId, start);
    return { executionArn: `arn:aws:states:local:0:execution:approvals:${start.approvalId}`, alreadyStarted };
  }
  async resume(taskToken: string, approvalId: string, outcome: ApprovalOutcome) {
    if (this.tokenExpired) return 'token_expired' as const;
    this.resumed.push({ taskToken, approvalId, outcome });
    return 'resumed' as const;
  }
}

export const TEST_SIGNING_KEY = 'k'.repeat(48);

/** Every fake wired together, the way a handler wires the adapters. */
export function guardrailWorld(startAt = Date.parse('2026-11-20T15:05:00Z')) {
  const clock = new ManualClock(startAt);
  const approvals = new InMemoryApprovalStore(clock);
  const audit = new InMemoryAuditLog();
  const controls = new InMemoryAutonomyControls();
  const notifier = new RecordingNotifier();
  const workflow = new RecordingWorkflow();
  const signer = createHmacLinkSigner(async () => ({ current: TEST_SIGNING_KEY }));
  return {
    clock,
    approvals,
    audit,
    controls,
    notifier,
    workflow,
    signer,
    newApprovalId: () => randomUUID(),
    concernTtlSeconds: 24 * 3600,
    tiers: [
      { name: 'kpi-owners', emails: ['ana@example.com', 'ben@example.com'], deadlineMinutes: 60 },
      { name: 'marketing-ops-leads', emails: ['lead@example.com'], deadlineMinutes: 240 },
    ],
    pageBaseUrl: 'https://approvals.example.com/',
  };
}
export type GuardrailWorld = ReturnType<typeof guardrailWorld>;

/** The execution input the intake started the workflow with, for an approval. */
export function startOf(world: GuardrailWorld, approvalId: string | undefined): ApprovalStart {
  const start = world.workflow.started.get(approvalId ?? '');
  if (!start) throw new Error(`no workflow started for approval ${approvalId}`);
  return start;
}

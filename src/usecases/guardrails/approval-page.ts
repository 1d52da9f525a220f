// Use cases: the approval page. A GET shows the request to the approver the link was sent to and
// changes nothing; a POST records their decision once (a conditional write) and resumes the waiting
// workflow. Forged, tampered, expired, escalated, already-decided and replayed links change nothing.
import type { ApprovalOutcome, Decision } from '../../domain/guardrails/approval';
import { agentContinues, isFalseAlarm, isViolationApproval } from '../../domain/guardrails/approval';
import { parseApprovalLink } from '../../domain/guardrails/approval-link';
import type {
  ApprovalPage,
  ApprovalPageContext as Context,
  Resumed,
} from '../../domain/guardrails/approval-page-state';
import { approvalAuditEvent } from '../../domain/guardrails/audit';
import type { ApprovalLinkSigner } from '../../ports/approval-link-signer';
import type { ApprovalWorkflow } from '../../ports/approval-workflow';
import type { ApprovalStore } from '../../ports/approvals';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';

export type { ApprovalPage, Resumed } from '../../domain/guardrails/approval-page-state';

export interface ApprovalPageDeps {
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
  readonly signer: ApprovalLinkSigner;
  readonly workflow: ApprovalWorkflow;
  readonly clock: Clock;
}

/** The link as it arrived: the approval id from the path, the claims from the query string. */
export interface ApprovalLinkInput {
  readonly approvalId: string | undefined;
  readonly query: Readonly<Record<string, string | undefined>>;
}

type Authenticated = { ok: true; context: Context } | { ok: false; page: ApprovalPage };

async function authenticate(link: ApprovalLinkInput, deps: ApprovalPageDeps): Promise<Authenticated> {
  const invalid: Authenticated = { ok: false, page: { kind: 'invalid' } };
  const parsed = parseApprovalLink(link.approvalId, link.query);
  if (!parsed.ok) return invalid;
  if (!(await deps.signer.verify(parsed.claims, parsed.signature))) return invalid;
  const request = await deps.approvals.getRequest(parsed.claims.approvalId);
  // A genuine signature for an approval that does not exist, or for someone not in the tier it
  // names, can only come from a changed configuration or lost data: refuse it the same way.
  const tier = request?.tiers[parsed.claims.tier];
  if (!request || !tier?.emails.some((e) => e.toLowerCase() === parsed.claims.approver)) return invalid;
  const notices = await deps.approvals.listTierNotices(request.approvalId);
  return { ok: true, context: { request, claims: parsed.claims, notices } };
}

/** Why a genuine link cannot decide now, or null when it can. */
function refusal(context: Context, now: number): ApprovalPage | null {
  const { request, claims } = context;
  if (request.status === 'approved' || request.status === 'rejected') {
    return { kind: 'decided', byYou: request.outcome?.approver === claims.approver, ...context };
  }
  if (request.status !== 'pending') return { kind: 'closed', ...context };
  if (request.currentTier !== claims.tier) return { kind: 'escalated', ...context };
  if (claims.expiresAt * 1000 <= now) return { kind: 'expired', ...context };
  return null;
}

async function auditRefusal(context: Context, page: ApprovalPage, deps: ApprovalPageDeps): Promise<void> {
  const { request, claims } = context;
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|tier-${claims.tier}|refused|${claims.approver}|${page.kind}`,
      type: 'link_refused',
      occurredAt: new Date(deps.clock.now()).toISOString(),
      actor: `approver:${claims.approver}`,
      approvalId: request.approvalId,
      tier: claims.tier,
      tierName: request.tiers[claims.tier]?.name ?? null,
      reason: `a decision was posted through a link that is ${page.kind}`,
    }),
  );
}

/** GET: the page for a link. Records the approver's first view of each tier; changes nothing else. */
export async function viewApproval(link: ApprovalLinkInput, deps: ApprovalPageDeps): Promise<ApprovalPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) return auth.page;
  const { context } = auth;
  const refused = refusal(context, deps.clock.now());
  if (refused) return refused;
  const { request, claims } = context;
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|tier-${claims.tier}|viewed|${claims.approver}`,
      type: 'approval_viewed',
      occurredAt: new Date(deps.clock.now()).toISOString(),
      actor: `approver:${claims.approver}`,
      approvalId: request.approvalId,
      tier: claims.tier,
      tierName: request.tiers[claims.tier]?.name ?? null,
    }),
  );
  return { kind: 'open', ...context };
}

/**
 * POST: records the decision if this link may still decide and nobody else decided first (the
 * store's conditional write picks exactly one winner), audits it, and resumes the workflow: task
 * success when approved, task failure `ApprovalRejected` when rejected.
 */
export async function decideApproval(
  link: ApprovalLinkInput,
  form: { decision: Decision; reason: string | null },
  deps: ApprovalPageDeps,
): Promise<ApprovalPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) return auth.page;
  const refused = refusal(auth.context, deps.clock.now());
  if (refused) {
    await auditRefusal(auth.context, refused, deps);
    return refused;
  }
  const { claims } = auth.context;
  const now = deps.clock.now();
  const outcome: ApprovalOutcome = {
    decision: form.decision,
    approver: claims.approver,
    reason: form.reason,
    decidedAt: new Date(now).toISOString(),
    tier: claims.tier,
  };
  const { won, request } = await deps.approvals.recordDecision(claims.approvalId, outcome);
  const context: Context = { ...auth.context, request };
  if (!won) {
    const lost = refusal(context, now) ?? { kind: 'decided' as const, byYou: false, ...context };
    await auditRefusal(context, lost, deps);
    return lost;
  }
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|decision`,
      type: 'decision_recorded',
      occurredAt: outcome.decidedAt,
      actor: `approver:${claims.approver}`,
      approvalId: request.approvalId,
      tier: claims.tier,
      tierName: request.tiers[claims.tier]?.name ?? null,
      decision: outcome.decision,
      reason: outcome.reason,
      latencyMs: Math.max(0, now - Date.parse(request.requestedAt)),
      falseAlarm: isViolationApproval(request) ? isFalseAlarm(request.proposal, outcome.decision) : null,
      agentContinued: isViolationApproval(request) ? agentContinues(request.proposal, outcome.decision) : null,
    }),
  );
  const token = await deps.approvals.getTaskToken(request.approvalId, claims.tier);
  // Without a live token the decision still stands: when the tier's deadline fires, the workflow
  // finds it recorded and applies it (see closeTier). So a failed callback is not the approver's problem.
  let resumed: Resumed = 'no_token';
  if (token) resumed = await deps.workflow.resume(token, request.approvalId, outcome).catch(() => 'deferred' as const);
  return { kind: 'recorded', resumed, ...context };
}

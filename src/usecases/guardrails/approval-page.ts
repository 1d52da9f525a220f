// Use cases: the approval page. A GET shows the request to the approver the link was sent to and
// changes nothing; a POST records their decision once (a conditional write) and resumes the waiting
// workflow. Forged, tampered, expired, escalated, already-decided and replayed links change nothing,
// and are audited (at a bounded rate) with who sent them; a known link scanner's GET is a scan.
import type { ApprovalOutcome, ApprovalRequest, Decision } from '../../domain/guardrails/approval';
import { agentContinues, isFalseAlarm, isViolationApproval } from '../../domain/guardrails/approval';
import { parseApprovalLink } from '../../domain/guardrails/approval-link';
import type {
  ApprovalPage,
  ApprovalPageContext as Context,
  Resumed,
} from '../../domain/guardrails/approval-page-state';
import { type AuditEvent, approvalAuditEvent, unattributedAuditEvent } from '../../domain/guardrails/audit';
import type { AuditBudget } from '../../domain/guardrails/audit-budget';
import { linkScannerOf } from '../../domain/guardrails/link-scanners';
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
  /** How many refused requests become audit events; every one is audited when absent. */
  readonly refusals?: AuditBudget;
}

/** Who sent the request, as the HTTP API saw them. Recorded with refusals and views; never the query. */
export interface PageClient {
  /** The request's id (API Gateway's), unique per request: one refusal event per request. */
  readonly requestId: string;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly method: 'GET' | 'POST';
}

/** The link as it arrived: the approval id from the path, the claims from the query string. */
export interface ApprovalLinkInput {
  readonly approvalId: string | undefined;
  readonly query: Readonly<Record<string, string | undefined>>;
}

type Authenticated = { ok: true; context: Context } | { ok: false; page: ApprovalPage; reason: string };

async function authenticate(link: ApprovalLinkInput, deps: ApprovalPageDeps): Promise<Authenticated> {
  const invalid = (reason: string): Authenticated => ({ ok: false, page: { kind: 'invalid' }, reason });
  const parsed = parseApprovalLink(link.approvalId, link.query);
  if (!parsed.ok) return invalid(`malformed link (${parsed.problem})`);
  if (!(await deps.signer.verify(parsed.claims, parsed.signature))) {
    return invalid('forged or altered link: the signature does not match');
  }
  const request = await deps.approvals.getRequest(parsed.claims.approvalId);
  // A genuine signature for an approval that does not exist, or for someone not in the tier it
  // names, can only come from a changed configuration or lost data: refuse it the same way.
  const tier = request?.tiers[parsed.claims.tier];
  if (!request) return invalid(`signed link for approval ${parsed.claims.approvalId}, which does not exist`);
  if (!tier?.emails.some((e) => e.toLowerCase() === parsed.claims.approver)) {
    return invalid(
      `signed link for ${parsed.claims.approver}, who is not in tier ${parsed.claims.tier} of the request`,
    );
  }
  const notices = await deps.approvals.listTierNotices(request.approvalId);
  return { ok: true, context: { request, claims: parsed.claims, notices } };
}

/** `source 203.0.113.9; user agent "Mozilla/5.0 …"; POST`: who asked, without anything of the link. */
function describeClient(client: PageClient): string {
  const agent = client.userAgent ? JSON.stringify(client.userAgent.slice(0, 256)) : 'none';
  return `source ${client.sourceIp ?? 'unknown'}; user agent ${agent}; ${client.method}`;
}

/**
 * Records a refused request, unless the budget of audited refusals is spent (then it is only
 * counted, and the next event audited says how many were left out).
 */
async function auditRefused(
  client: PageClient,
  deps: ApprovalPageDeps,
  event: (occurredAt: string, detail: string) => AuditEvent,
): Promise<void> {
  const now = deps.clock.now();
  const budget = deps.refusals?.take(now) ?? { audit: true as const, skippedBefore: 0 };
  if (!budget.audit) return;
  const skipped =
    budget.skippedBefore > 0 ? `; ${budget.skippedBefore} refused requests before this one were not audited` : '';
  await deps.audit.record(event(new Date(now).toISOString(), `${describeClient(client)}${skipped}`));
}

/** Audits a link the page could not trust: what it claimed (never its signature) and who sent it. */
async function auditInvalid(
  link: ApprovalLinkInput,
  reason: string,
  client: PageClient,
  deps: ApprovalPageDeps,
): Promise<void> {
  const claimed = [
    `approval ${JSON.stringify(String(link.approvalId ?? '').slice(0, 64))}`,
    `approver ${JSON.stringify(String(link.query.approver ?? '').slice(0, 254))}`,
  ].join(', ');
  await auditRefused(client, deps, (occurredAt, detail) =>
    unattributedAuditEvent({
      eventId: `refused|${client.requestId}`,
      type: 'link_refused',
      occurredAt,
      actor: `client:${client.sourceIp ?? 'unknown'}`,
      reason,
      detail: `${detail}; claimed ${claimed}`,
    }),
  );
}

/** The client of a request nobody described (a caller that is not the HTTP API). */
const UNKNOWN_CLIENT = (method: PageClient['method'], now: number): PageClient => ({
  requestId: `unknown-${now}`,
  sourceIp: null,
  userAgent: null,
  method,
});

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

const REFUSAL_REASONS: Record<string, string> = {
  expired: 'the link has expired',
  escalated: 'the request moved on to the next tier',
  closed: 'the request was closed (safe default or failure)',
  decided: 'replayed: the request was decided already',
};

async function auditRefusal(
  context: Context,
  page: ApprovalPage,
  client: PageClient,
  deps: ApprovalPageDeps,
): Promise<void> {
  const { request, claims } = context;
  await auditRefused(client, deps, (occurredAt, detail) =>
    approvalAuditEvent(request, {
      // One event per refused request: repeated attempts are each on the record, not merged.
      eventId: `refused|${client.requestId}`,
      type: 'link_refused',
      occurredAt,
      actor: `approver:${claims.approver}`,
      approvalId: request.approvalId,
      tier: claims.tier,
      tierName: request.tiers[claims.tier]?.name ?? null,
      reason: `a decision was posted through a link that could no longer decide: ${REFUSAL_REASONS[page.kind] ?? page.kind}`,
      detail,
    }),
  );
}

/**
 * GET: the page for a link. Records the approver's first view of each tier, or a known link
 * scanner's fetch as a scan; audits a link it cannot trust; changes nothing else.
 */
export async function viewApproval(
  link: ApprovalLinkInput,
  deps: ApprovalPageDeps,
  client: PageClient = UNKNOWN_CLIENT('GET', deps.clock.now()),
): Promise<ApprovalPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) {
    await auditInvalid(link, auth.reason, client, deps);
    return auth.page;
  }
  const { context } = auth;
  const refused = refusal(context, deps.clock.now());
  if (refused) return refused;
  const { request, claims } = context;
  const scanner = linkScannerOf(client.userAgent);
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: scanner
        ? `${request.approvalId}|tier-${claims.tier}|scanned|${claims.approver}|${scanner}`
        : `${request.approvalId}|tier-${claims.tier}|viewed|${claims.approver}`,
      type: scanner ? 'link_scanned' : 'approval_viewed',
      occurredAt: new Date(deps.clock.now()).toISOString(),
      actor: scanner ? `scanner:${scanner}` : `approver:${claims.approver}`,
      approvalId: request.approvalId,
      tier: claims.tier,
      tierName: request.tiers[claims.tier]?.name ?? null,
      ...(scanner ? { reason: `the link sent to ${claims.approver} was fetched by ${scanner}` } : {}),
      detail: describeClient(client),
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
  client: PageClient = UNKNOWN_CLIENT('POST', deps.clock.now()),
): Promise<ApprovalPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) {
    await auditInvalid(link, auth.reason, client, deps);
    return auth.page;
  }
  const refused = refusal(auth.context, deps.clock.now());
  if (refused) return refuse(auth.context, refused, client, deps);
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
    return refuse(context, lost, client, deps);
  }
  const resumed = await completeDecision(request, outcome, client, deps);
  return { kind: 'recorded', resumed, ...context };
}

/**
 * A POST that cannot decide. When it is the approver's own decision, posted again (the first POST
 * may have died after recording it and before auditing it or resuming the workflow, or be racing
 * this one), what follows the decision is finished now: both steps are idempotent.
 */
async function refuse(
  context: Context,
  refused: ApprovalPage,
  client: PageClient,
  deps: ApprovalPageDeps,
): Promise<ApprovalPage> {
  const outcome = context.request.outcome;
  if (refused.kind === 'decided' && refused.byYou && outcome) {
    await completeDecision(context.request, outcome, client, deps);
  }
  await auditRefusal(context, refused, client, deps);
  return refused;
}

/**
 * What follows a recorded decision, safe to run again: its audit event (one per approval, however
 * often recorded) and the callback that resumes the workflow (a token already answered is gone).
 */
async function completeDecision(
  request: ApprovalRequest,
  outcome: ApprovalOutcome,
  client: PageClient,
  deps: ApprovalPageDeps,
): Promise<Resumed> {
  await deps.audit.record(
    approvalAuditEvent(request, {
      eventId: `${request.approvalId}|decision`,
      type: 'decision_recorded',
      occurredAt: outcome.decidedAt,
      actor: `approver:${outcome.approver}`,
      approvalId: request.approvalId,
      tier: outcome.tier,
      tierName: request.tiers[outcome.tier]?.name ?? null,
      decision: outcome.decision,
      reason: outcome.reason,
      latencyMs: Math.max(0, Date.parse(outcome.decidedAt) - Date.parse(request.requestedAt)),
      falseAlarm: isViolationApproval(request) ? isFalseAlarm(request.proposal, outcome.decision) : null,
      agentContinued: isViolationApproval(request) ? agentContinues(request.proposal, outcome.decision) : null,
      detail: describeClient(client),
    }),
  );
  const token = await deps.approvals.getTaskToken(request.approvalId, outcome.tier);
  // Without a live token the decision still stands: when the tier's deadline fires, the workflow
  // finds it recorded and applies it (see closeTier). So a failed callback is not the approver's problem.
  if (!token) return 'no_token';
  return deps.workflow.resume(token, request.approvalId, outcome).catch(() => 'deferred' as const);
}

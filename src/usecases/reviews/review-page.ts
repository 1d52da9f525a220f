// Use case (review): a pack's page behind the reviewer's link. A GET shows the pack with what was
// recorded on it since (sign-offs, notes, items, cases) and records the reviewer's first view; a POST
// records what the reviewer submits: a sign-off (once per reviewer), a note, new action items,
// closed items, decided cases. Everything recorded is audited. Forged, tampered, expired links and
// links of someone outside the pack's audience change nothing.
import { reviewAuditEvent } from '../../domain/guardrails/audit';
import { type ActionItem, dueBy } from '../../domain/reviews/action-items';
import { type ReviewKind, reviewIdOf } from '../../domain/reviews/kinds';
import type { ReviewSubmission } from '../../domain/reviews/review-form';
import { parseReviewLink, type ReviewLinkClaims, reviewLinkSigningPayload } from '../../domain/reviews/review-link';
import type { AuditLog } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { PayloadSigner } from '../../ports/payload-signer';
import type { ReviewPackObjects, ReviewStore } from '../../ports/review-store';
import { type ReviewDocument, reviewDocumentSchema } from '../../report/review-pack';
import type { ReviewPageContext as Context, LiveState, ReviewPage } from '../../report/review-page-state';

export interface ReviewPageDeps {
  readonly reviews: ReviewStore;
  readonly packs: Pick<ReviewPackObjects, 'readJson'>;
  readonly audit: AuditLog;
  readonly signer: PayloadSigner;
  readonly clock: Clock;
  /** A new action item id (a UUID). */
  readonly newId: () => string;
}

/** The link as it arrived: kind and period from the path, the claims from the query string. */
export interface ReviewLinkInput {
  readonly kind: string | undefined;
  readonly period: string | undefined;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export type { LiveState, ReviewPage } from '../../report/review-page-state';

type Authenticated = { ok: true; context: Context } | { ok: false };

async function authenticate(link: ReviewLinkInput, deps: ReviewPageDeps): Promise<Authenticated> {
  const parsed = parseReviewLink({ kind: link.kind, period: link.period }, link.query);
  if (!parsed.ok) return { ok: false };
  if (!(await deps.signer.verify(reviewLinkSigningPayload(parsed.claims), parsed.signature))) return { ok: false };
  const json = await deps.packs.readJson(parsed.claims.kind, parsed.claims.period);
  if (!json) return { ok: false };
  const document = reviewDocumentSchema.parse(JSON.parse(json));
  // A genuine signature for someone outside the audience can only come from a changed configuration.
  if (!document.pack.audience.includes(parsed.claims.reviewer)) return { ok: false };
  return {
    ok: true,
    context: { document, claims: parsed.claims, reviewId: reviewIdOf(parsed.claims.kind, parsed.claims.period) },
  };
}

/** Where a "recalibrate the target" decision goes next: the KPI's open calibration proposal, or how to make one. */
function recalibrationHandOver(document: ReviewDocument, kpiId: string): string {
  const proposal = document.pack.changes.proposals.find((p) => p.kpiId === kpiId && p.state === 'open');
  if (!proposal) return `No calibration proposal of ${kpiId} is open: \`kpi calibrate --kpi ${kpiId}\` makes one.`;
  return proposal.status === 'awaiting_approval'
    ? `Its calibration proposal ${proposal.proposalId} (${proposal.current ?? '—'} → ${proposal.proposed}) is held for an approver.`
    : `Its calibration proposal ${proposal.proposalId} (${proposal.current ?? '—'} → ${proposal.proposed}) is there for review: \`kpi calibrate --kpi ${kpiId}\` writes the thresholds as a file for \`kpi publish\`.`;
}

async function liveState(context: Context, deps: ReviewPageDeps): Promise<LiveState> {
  const kpis = new Set(context.document.pack.scorecard.map((e) => e.kpiId));
  const [signOffs, notes, openItems, openCases] = await Promise.all([
    deps.reviews.listSignOffs(context.claims.kind, context.claims.period),
    deps.reviews.listNotes(context.reviewId),
    deps.reviews.listOpenActionItems(),
    deps.reviews.listOpenCases(),
  ]);
  return { signOffs, notes, openItems, openCases: openCases.filter((c) => kpis.has(c.kpiId)) };
}

const expired = (claims: ReviewLinkClaims, now: number) => claims.expiresAt * 1000 <= now;

/** GET: the page. Records the reviewer's first view; changes nothing else. */
export async function viewReview(link: ReviewLinkInput, deps: ReviewPageDeps): Promise<ReviewPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) return { kind: 'invalid' };
  const { context } = auth;
  const now = deps.clock.now();
  if (!expired(context.claims, now)) {
    await deps.audit.record(
      reviewAuditEvent({
        eventId: `${context.reviewId}|viewed|${context.claims.reviewer}`,
        type: 'review_viewed',
        occurredAt: new Date(now).toISOString(),
        actor: `reviewer:${context.claims.reviewer}`,
        reviewId: context.reviewId,
        reviewKind: context.claims.kind,
      }),
    );
  }
  return { kind: expired(context.claims, now) ? 'expired' : 'open', ...context, ...(await liveState(context, deps)) };
}

/**
 * POST: records the submission (parsed from the form by the caller). Checks everything first (the
 * KPIs named, the items to close, the cases to decide) and records nothing while a problem remains.
 */
export async function submitReview(
  link: ReviewLinkInput,
  submission: ReviewSubmission | { readonly problems: readonly string[] },
  deps: ReviewPageDeps,
): Promise<ReviewPage> {
  const auth = await authenticate(link, deps);
  if (!auth.ok) return { kind: 'invalid' };
  const { context } = auth;
  const now = deps.clock.now();
  const state = await liveState(context, deps);
  if (expired(context.claims, now)) return { kind: 'expired', ...context, ...state };
  if ('problems' in submission) return { kind: 'refused', lines: submission.problems, ...context, ...state };
  const problems = await submissionProblems(submission, context, state, deps);
  if (problems.length > 0) return { kind: 'refused', lines: problems, ...context, ...state };

  const at = new Date(now).toISOString();
  const { reviewer, kind } = context.claims;
  const recording: Recording = {
    context,
    now,
    at,
    reviewer,
    common: {
      reviewId: context.reviewId,
      reviewKind: kind as ReviewKind,
      actor: `reviewer:${reviewer}`,
      occurredAt: at,
    },
  };
  const lines = [
    ...(await recordSignOffAndNote(submission, recording, deps)),
    ...(await openActionItems(submission.newItems, recording, deps)),
    ...(await closeActionItems(submission.closeItems, recording, deps)),
    ...(await decideCases(submission.caseDecisions, recording, deps)),
  ];
  return { kind: 'recorded', lines, ...context, ...(await liveState(context, deps)) };
}

/** Who records what when: shared by every step of a submission. */
interface Recording {
  readonly context: Context;
  readonly now: number;
  /** `now` as ISO-8601. */
  readonly at: string;
  readonly reviewer: string;
  /** The fields every audit event of the submission shares. */
  readonly common: { reviewId: string; reviewKind: ReviewKind; actor: string; occurredAt: string };
}

/** What in a submission names something that is not there: a KPI outside the pack, an unknown item or case. */
async function submissionProblems(
  submission: ReviewSubmission,
  context: Context,
  state: LiveState,
  deps: ReviewPageDeps,
): Promise<string[]> {
  const kpis = new Set(context.document.pack.scorecard.map((e) => e.kpiId));
  const problems: string[] = [];
  for (const [i, item] of submission.newItems.entries()) {
    if (item.kpiId !== null && !kpis.has(item.kpiId)) {
      problems.push(`new action item ${i + 1}: ${item.kpiId} is not a KPI of this pack`);
    }
  }
  const openCases = new Map(state.openCases.map((c) => [c.caseId, c]));
  const known = new Map(state.openItems.map((i) => [i.itemId, i]));
  for (const { itemId } of submission.closeItems) {
    if (!known.has(itemId) && !(await deps.reviews.getActionItem(itemId))) problems.push(`no action item ${itemId}`);
  }
  for (const { caseId } of submission.caseDecisions) {
    if (!openCases.has(caseId) && !(await deps.reviews.getCase(caseId))) problems.push(`no review case ${caseId}`);
  }
  return problems;
}

/** The sign-off (once per reviewer) and the note: a note given with a first sign-off is that sign-off's note. */
async function recordSignOffAndNote(
  submission: ReviewSubmission,
  { context, at, reviewer, common }: Recording,
  deps: ReviewPageDeps,
): Promise<string[]> {
  const lines: string[] = [];
  let noteTaken = false;
  if (submission.signOff) {
    const { recorded, signOff } = await deps.reviews.recordSignOff({
      reviewId: context.reviewId,
      kind: context.claims.kind,
      period: context.claims.period,
      reviewer,
      signedAt: at,
      note: submission.note,
    });
    // The sign-off's event, from the sign-off as stored: recorded once under its id, and recorded
    // still when a first submission died between the sign-off and its event.
    await deps.audit.record(
      reviewAuditEvent({
        ...common,
        occurredAt: signOff.signedAt,
        eventId: `${context.reviewId}|signed-off|${reviewer}`,
        type: 'review_signed_off',
        reason: signOff.note,
        latencyMs: Math.max(0, Date.parse(signOff.signedAt) - Date.parse(context.document.pack.asOf)),
      }),
    );
    if (recorded) {
      noteTaken = submission.note !== null;
      lines.push(`Signed off${submission.note ? ' with your note' : ''}.`);
    } else {
      lines.push(`You signed this pack off already, at ${signOff.signedAt}; that sign-off stands.`);
    }
  }
  if (submission.note !== null && !noteTaken) {
    await deps.reviews.addNote({ reviewId: context.reviewId, reviewer, at, note: submission.note });
    await deps.audit.record(
      reviewAuditEvent({
        ...common,
        eventId: `${context.reviewId}|note|${reviewer}|${at}`,
        type: 'review_note_added',
        reason: submission.note,
      }),
    );
    lines.push('Note added.');
  }
  return lines;
}

async function openActionItems(
  newItems: ReviewSubmission['newItems'],
  { context, at, reviewer, common }: Recording,
  deps: ReviewPageDeps,
): Promise<string[]> {
  const lines: string[] = [];
  for (const item of newItems) {
    const actionItem: ActionItem = {
      itemId: deps.newId(),
      reviewId: context.reviewId,
      what: item.what,
      owner: item.owner,
      due: item.due,
      kpiId: item.kpiId,
      openedAt: at,
      openedBy: reviewer,
      status: 'open',
      closedAt: null,
      closedBy: null,
      closingNote: null,
    };
    await deps.reviews.addActionItem(actionItem);
    await deps.audit.record(
      reviewAuditEvent({
        ...common,
        eventId: `${actionItem.itemId}|opened`,
        type: 'action_item_opened',
        kpiId: item.kpiId,
        itemId: actionItem.itemId,
        dueAt: new Date(dueBy(actionItem)).toISOString(),
        detail: `${item.what} · owner ${item.owner} · due ${item.due}`,
      }),
    );
    lines.push(`Action item for ${item.owner}, due ${item.due}: ${item.what}`);
  }
  return lines;
}

/** Closes the items; one another reviewer closed first stays as they closed it. */
async function closeActionItems(
  closeItems: ReviewSubmission['closeItems'],
  { at, reviewer, common }: Recording,
  deps: ReviewPageDeps,
): Promise<string[]> {
  const lines: string[] = [];
  for (const { itemId, note } of closeItems) {
    const { won, item } = await deps.reviews.closeActionItem(itemId, {
      closedAt: at,
      closedBy: reviewer,
      closingNote: note,
    });
    // This reviewer's own closing, found without its answer or its event (a first submission that
    // died): its event is recorded, once under its id, as the closing stored it.
    if (won || item.closedBy === reviewer) {
      await deps.audit.record(
        reviewAuditEvent({
          ...common,
          occurredAt: item.closedAt ?? at,
          eventId: `${itemId}|closed`,
          type: 'action_item_closed',
          kpiId: item.kpiId,
          itemId,
          reason: item.closingNote,
          detail: item.what,
        }),
      );
    }
    lines.push(
      won ? `Closed “${item.what}”.` : `“${item.what}” was closed already by ${item.closedBy} at ${item.closedAt}.`,
    );
  }
  return lines;
}

/** Decides the drift cases; one decided first by another reviewer stays as it was decided. */
async function decideCases(
  caseDecisions: ReviewSubmission['caseDecisions'],
  { context, at, reviewer, common }: Recording,
  deps: ReviewPageDeps,
): Promise<string[]> {
  const lines: string[] = [];
  for (const { caseId, option, note } of caseDecisions) {
    const { won, driftCase } = await deps.reviews.closeCase(caseId, {
      option,
      note,
      by: reviewer,
      at,
      reviewId: context.reviewId,
    });
    const decision = driftCase.decision;
    if (won || decision?.by === reviewer) {
      // As for action items: this reviewer's own decision is audited even when found without its event.
      await deps.audit.record(
        reviewAuditEvent({
          ...common,
          reviewId: decision?.reviewId ?? common.reviewId,
          occurredAt: decision?.at ?? at,
          eventId: `${caseId}|closed`,
          type: 'review_case_closed',
          kpiId: driftCase.kpiId,
          itemId: caseId,
          reason: decision?.note ?? note,
          detail: decision?.option ?? option,
        }),
      );
    }
    if (!won) {
      lines.push(`The case on ${driftCase.kpiName} was decided already by ${decision?.by ?? 'someone'}.`);
      continue;
    }
    lines.push(`Closed the drift case on ${driftCase.kpiName}: ${option.replace(/_/g, ' ')}.`);
    if (option === 'recalibrate_target') lines.push(recalibrationHandOver(context.document, driftCase.kpiId));
  }
  return lines;
}

// Domain (review): a review pack, as JSON for tools and as the content of its page. One per review
// kind and period; built from the stores when the kind's schedule fires, and never changed after.
// What reviewers do on it (sign-offs, action items, case decisions) lives in the review store and
// shows on its page and in the next pack.
import * as z from 'zod';
import { actionItemSchema } from './action-items';
import { driftCaseSchema } from './drift-cases';
import { reviewKindSchema } from './kinds';
import { scorecardEntrySchema } from './scorecard';
import { whatChangedSchema } from './what-changed';

/** Format tag of a pack's JSON; a change that breaks readers bumps it. */
export const REVIEW_PACK_FORMAT = 'agent-kpi-pipeline/review-pack@1';

const iso = z.string();

export const packedActionItemSchema = actionItemSchema.extend({
  /** Raised on an earlier pack and still open. */
  carried: z.boolean(),
  /** Open past its due day when the pack was built. */
  overdue: z.boolean(),
});

export const governanceSummarySchema = z.object({
  approvalsAsked: z.number().int().nonnegative(),
  approvalsDecided: z.number().int().nonnegative(),
  /** Decisions after which the agent went on acting on its own (the guardrail's alarm not acted on). */
  agentContinued: z.number().int().nonnegative(),
  /** Decided guardrail approvals where the approver stopped or supervised the agent, over those decided; null without any. */
  guardrailPrecision: z.number().min(0).max(1).nullable(),
  escalations: z.number().int().nonnegative(),
  safeDefaults: z.number().int().nonnegative(),
  autonomyChanges: z.number().int().nonnegative(),
  /** Approvals still waiting for a decision when the pack was built. */
  openApprovals: z.number().int().nonnegative(),
});
export type GovernanceSummary = z.infer<typeof governanceSummarySchema>;

export const reviewPackSchema = z.object({
  format: z.literal(REVIEW_PACK_FORMAT),
  /** `weekly-operational/2026-W47`. */
  reviewId: z.string(),
  kind: reviewKindSchema,
  title: z.string(),
  /** The reviewed period (UTC): the KPI periods the scorecard, reds and drifts are about. */
  period: z.object({ label: z.string(), start: iso, end: iso }),
  /** When the pack was built: its schedule's time. */
  asOf: iso,
  /** `[from, to)`: what happened since the previous pack (restatements, definitions, approvals, data quality, items). */
  window: z.object({ from: iso, to: iso }),
  /** The previous pack of the kind, and who signed it off. */
  previous: z
    .object({
      reviewId: z.string(),
      asOf: iso,
      signOffs: z.array(z.object({ reviewer: z.string(), signedAt: iso, note: z.string().nullable() })),
      notSignedBy: z.array(z.string()),
    })
    .nullable(),
  /** Who receives the pack (each their own signed link). */
  audience: z.array(z.string()),
  scorecard: z.array(scorecardEntrySchema),
  changes: whatChangedSchema,
  /** Drift review cases: every open one (those this pack opened have `openedIn` = its id) and those closed in the window. */
  cases: z.array(driftCaseSchema),
  actionItems: z.object({ open: z.array(packedActionItemSchema), closed: z.array(packedActionItemSchema) }),
  governance: governanceSummarySchema,
});
export type ReviewPack = z.infer<typeof reviewPackSchema>;

/** How much a pack holds, for the email subject and the page's summary line. */
export function packHeadline(pack: ReviewPack): string {
  const c = pack.changes;
  const openCases = pack.cases.filter((k) => k.status === 'open').length;
  const openProposals = c.proposals.filter((p) => p.state === 'open').length;
  const parts = [
    `${c.newReds.length} new red`,
    ...(c.newAtRisks.length > 0 ? [`${c.newAtRisks.length} newly at risk`] : []),
    `${c.newDrifts.length} new drift${c.newDrifts.length === 1 ? '' : 's'}`,
    `${c.restatements.length} restatement${c.restatements.length === 1 ? '' : 's'}`,
    `${openCases} open case${openCases === 1 ? '' : 's'}`,
    ...(openProposals > 0 ? [`${openProposals} open proposal${openProposals === 1 ? '' : 's'}`] : []),
    `${pack.actionItems.open.length} open item${pack.actionItems.open.length === 1 ? '' : 's'}`,
  ];
  return parts.join(', ');
}

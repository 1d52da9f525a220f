// Domain (review): how a pack's page words decisions, proposal statuses, trends and risks. Kept free of
// zod (types only) so that the page's renderer, which the review-pack function loads on its first
// render (src/report/review-pack-page.ts), carries no schema.
import type { ProposalStatus } from '../versioning/proposals';

/** What a reviewer may decide about a drift. */
export const DRIFT_DECISIONS = [
  'explain',
  'recalibrate_target',
  'retrain_or_roll_back_agent',
  'roll_back_definition',
] as const;
export type DriftDecision = (typeof DRIFT_DECISIONS)[number];

/** Each option as the page offers it. */
export const DRIFT_DECISION_LABELS: Readonly<Record<DriftDecision, string>> = {
  explain: 'Explain and annotate: the change is real and expected (a launch, a release, a season)',
  recalibrate_target:
    'Recalibrate the target: the KPI moved for good and its thresholds should follow (hands over to a calibration proposal)',
  retrain_or_roll_back_agent: 'Retrain or roll back the agent: its behaviour changed for the worse',
  roll_back_definition: 'Roll back the definition: the calculation changed, not the business (kpi rollback)',
};

/** How a proposal's status reads in a pack. */
export const PROPOSAL_STATUS_LABELS: Readonly<Record<ProposalStatus, string>> = {
  proposed: 'proposed, for review',
  awaiting_approval: 'held for approval',
  published: 'published',
  rejected: 'rejected',
  expired: 'expired unanswered',
  failed: 'failed',
  superseded: 'superseded',
};

/** A scorecard trend as an arrow (a space when there is none). */
export function trendArrow(trend: 'up' | 'down' | 'flat' | null): string {
  return trend === 'up' ? '↑' : trend === 'down' ? '↓' : trend === 'flat' ? '→' : ' ';
}

/** `62 % chance of red by 2026-11-26`, from a forecast's probability of red and its horizon. */
export function describeRisk(redProbability: number, horizon: string | null): string {
  return `${Math.round(redProbability * 100)} % chance of red${horizon ? ` by ${horizon.slice(0, 10)}` : ''}`;
}

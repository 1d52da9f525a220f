// Domain (define): proposals for a new version of a definition that are not in force yet. A
// calibration makes one (on its cadence, or `kpi calibrate`) for a person to review; a publish that
// changes the target of a `high` or `critical` KPI becomes one that waits for the approval workflow.
// A proposal is immutable but for its status, which moves forward only.
import * as z from 'zod';
import type { CalibrationEvidence } from '../evaluation/calibration/propose';
import type { ImpactSummary } from '../evaluation/impact';
import { PROPOSAL_SOURCES, type ProposalSource } from './definition-versions';

export { PROPOSAL_SOURCES, type ProposalSource };

/**
 * - `proposed`: made for review, nothing asked.
 * - `awaiting_approval`: published, and held until an approver decides.
 * - `published`: in force as `publishedVersion` (after its approval, when it needed one).
 * - `rejected`: an approver said no; `expired`: nobody answered in time; `failed`: the workflow broke.
 * - `superseded`: a later proposal or version of the same KPI replaced it before it went anywhere.
 */
export const PROPOSAL_STATUSES = [
  'proposed',
  'awaiting_approval',
  'published',
  'rejected',
  'expired',
  'failed',
  'superseded',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/** Statuses a proposal may still leave. */
export const OPEN_PROPOSAL_STATUSES: readonly ProposalStatus[] = ['proposed', 'awaiting_approval'];

export const proposalIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'a proposal id is lower-case letters, digits and dashes');

/** Who decided an approval, and when. */
export const proposalApprovalSchema = z
  .object({
    id: z.string().min(1),
    decidedBy: z.string().nullable(),
    decidedAt: z.number().nullable(),
    reason: z.string().nullable(),
  })
  .strict();

export type ProposalApproval = z.infer<typeof proposalApprovalSchema>;

/** A proposal as stored, with the definition it proposes (validated by the store's parser). */
export interface DefinitionProposal<T> {
  readonly id: string;
  readonly kpiId: string;
  readonly source: ProposalSource;
  readonly status: ProposalStatus;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly author: string;
  readonly reason: string;
  /** The version in force when it was made (null: the KPI had none). */
  readonly baseVersion: number | null;
  readonly definition: T;
  /** Content hash of `definition`. */
  readonly hash: string;
  readonly evidence: CalibrationEvidence | null;
  readonly impact: ImpactSummary | null;
  readonly approval: z.infer<typeof proposalApprovalSchema> | null;
  readonly publishedVersion: number | null;
}

/** The transitions a proposal's status may make. */
const NEXT: Readonly<Record<ProposalStatus, readonly ProposalStatus[]>> = {
  proposed: ['awaiting_approval', 'published', 'superseded'],
  awaiting_approval: ['published', 'rejected', 'expired', 'failed', 'superseded'],
  published: [],
  rejected: [],
  expired: [],
  failed: [],
  superseded: [],
};

/** Whether a proposal may move from `from` to `to`. */
export function mayMove(from: ProposalStatus, to: ProposalStatus): boolean {
  return NEXT[from].includes(to);
}

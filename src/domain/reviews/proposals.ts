// Domain (review): the calibration proposals a pack shows. Pure: it reads the proposals the builder
// listed from the definitions store and keeps, for the pack's KPIs, those still open when the pack
// is built (made for review, or published and held for an approval) and those decided since the
// previous pack (published, rejected, expired, failed or superseded), each with its thresholds now
// and proposed and its evidence in words.
import * as z from 'zod';
import type { KpiDefinition } from '../definition/schema';
import { describeThresholds, evidenceLines, evidenceSummary } from '../evaluation/calibration/describe';
import { PROPOSAL_SOURCES } from '../versioning/definition-versions';
import {
  type DefinitionProposal,
  OPEN_PROPOSAL_STATUSES,
  PROPOSAL_STATUSES,
  type ProposalStatus,
} from '../versioning/proposals';

const iso = z.string();

export const packedProposalSchema = z.object({
  kpiId: z.string(),
  name: z.string(),
  proposalId: z.string(),
  source: z.enum(PROPOSAL_SOURCES),
  status: z.enum(PROPOSAL_STATUSES),
  /** `open`: proposed or awaiting approval when the pack was built; `decided`: left those in the window. */
  state: z.enum(['open', 'decided']),
  createdAt: iso,
  /** When its status last moved (its decision, for a decided one). */
  updatedAt: iso,
  author: z.string(),
  reason: z.string(),
  /** The version in force when it was made. */
  baseVersion: z.number().int().nullable(),
  /** Thresholds in words: those it was measured against (or in force, for a proposal without evidence), and those proposed. */
  current: z.string().nullable(),
  proposed: z.string(),
  /** The evidence and impact in one line, as the change log keeps it; null without either. */
  evidence: z.string().nullable(),
  /** The same, a line per part: method and lookback, distribution, thresholds, statuses, impact. */
  evidenceLines: z.array(z.string()),
  /** Who decided its approval, when and why (a proposal held for approval, once decided). */
  approval: z.object({ by: z.string().nullable(), at: iso.nullable(), reason: z.string().nullable() }).nullable(),
  /** The version it became, once published. */
  publishedVersion: z.number().int().nullable(),
});
export type PackedProposal = z.infer<typeof packedProposalSchema>;

export { PROPOSAL_STATUS_LABELS } from './wording';

const isOpen = (status: ProposalStatus) => OPEN_PROPOSAL_STATUSES.includes(status);
const isoOf = (ms: number) => new Date(ms).toISOString();
/** Open ones first (those waiting for an approver before those for review), then decided ones by time. */
const ORDER: readonly ProposalStatus[] = ['awaiting_approval', 'proposed'];

/**
 * The proposals of the pack's KPIs (`kpis`, the definitions in force) that were open at `window.to`,
 * or decided in `[window.from, window.to)`. A proposal made after the pack's time is left out.
 */
export function proposalsForPack(
  proposals: readonly DefinitionProposal<KpiDefinition>[],
  window: { readonly from: number; readonly to: number },
  kpis: readonly KpiDefinition[],
): PackedProposal[] {
  const byId = new Map(kpis.map((d) => [d.id, d]));
  const seen = new Set<string>();
  const rows: PackedProposal[] = [];
  for (const p of proposals) {
    const definition = byId.get(p.kpiId);
    const key = `${p.kpiId}\u0000${p.id}`;
    if (!definition || seen.has(key) || p.createdAt >= window.to) continue;
    const open = isOpen(p.status);
    if (!open && (p.updatedAt < window.from || p.updatedAt >= window.to)) continue;
    seen.add(key);
    rows.push({
      kpiId: p.kpiId,
      name: definition.name,
      proposalId: p.id,
      source: p.source,
      status: p.status,
      state: open ? 'open' : 'decided',
      createdAt: isoOf(p.createdAt),
      updatedAt: isoOf(p.updatedAt),
      author: p.author,
      reason: p.reason,
      baseVersion: p.baseVersion,
      current: p.evidence
        ? describeThresholds(p.evidence.current)
        : open
          ? describeThresholds(definition.target.thresholds)
          : null,
      proposed: describeThresholds(p.definition.target.thresholds),
      evidence: evidenceSummary(p.evidence, p.impact),
      evidenceLines: evidenceLines(p.evidence, p.impact),
      approval: p.approval
        ? {
            by: p.approval.decidedBy,
            at: p.approval.decidedAt === null ? null : isoOf(p.approval.decidedAt),
            reason: p.approval.reason,
          }
        : null,
      publishedVersion: p.publishedVersion,
    });
  }
  const rank = (r: PackedProposal) => (r.state === 'open' ? ORDER.indexOf(r.status) : ORDER.length);
  return rows.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.state === 'open' ? a.createdAt.localeCompare(b.createdAt) : a.updatedAt.localeCompare(b.updatedAt)) ||
      a.kpiId.localeCompare(b.kpiId),
  );
}

// Use case (govern): what the approval workflow does with a definition change once decided. An
// approved change is published from its proposal, in the publisher's name, the change log naming
// the proposal, its evidence and the approver; a rejected, expired or failed one closes the proposal, and the version in
// force stays. Every step is safe to run again (the workflow retries).
import { NotFoundError } from '../domain/errors';
import { evidenceSummary } from '../domain/evaluation/calibration/describe';
import type { DefinitionChange } from '../domain/guardrails/definition-change';
import type { IdentifiedDefinition } from '../domain/versioning/definition-versions';
import type { DefinitionProposal } from '../domain/versioning/proposals';
import type { AppliedChange, ChangeApproval, DefinitionChanges } from '../ports/definition-changes';
import type { DefinitionStore, ProposalStore } from '../ports/definition-store';

const recordOf = (approval: ChangeApproval) => ({
  id: approval.approvalId,
  decidedBy: approval.approver,
  decidedAt: approval.decidedAt,
  reason: approval.reason,
});

/** The change log's record of where a published version came from. */
export function provenanceOf(proposal: DefinitionProposal<IdentifiedDefinition>, approval: ChangeApproval | null) {
  return {
    proposal: {
      id: proposal.id,
      source: proposal.source,
      evidence: evidenceSummary(proposal.evidence, proposal.impact),
    },
    ...(approval
      ? {
          approval: {
            id: approval.approvalId,
            approver: approval.approver,
            decidedAt: approval.decidedAt,
            reason: approval.reason,
          },
        }
      : {}),
  };
}

/**
 * The workflow's definition changes on a store of definitions and proposals. The definitions pass
 * through as stored (validated when proposed, their content hash checked when read back).
 */
export function definitionChangesIn<T extends IdentifiedDefinition>(
  store: DefinitionStore<T> & ProposalStore<T>,
): DefinitionChanges {
  const proposalOf = async (change: DefinitionChange) => {
    const proposal = await store.getProposal(change.kpi.id, change.proposalId);
    if (!proposal) throw new NotFoundError(`${change.kpi.id}: no proposal ${change.proposalId}`);
    return proposal;
  };
  return {
    async publish(change, approval): Promise<AppliedChange> {
      const proposal = await proposalOf(change);
      if (proposal.status === 'published' && proposal.publishedVersion !== null) {
        return { outcome: 'published', version: proposal.publishedVersion };
      }
      const state = await store.get(change.kpi.id);
      // A retry after the publish itself went through: only the proposal is left to mark.
      if (state && state.hash === proposal.hash && state.lastChange.proposal?.id === proposal.id) {
        await store.updateProposal(change.kpi.id, proposal.id, {
          status: 'published',
          approval: recordOf(approval),
          publishedVersion: state.version,
        });
        return { outcome: 'published', version: state.version };
      }
      if (state && state.version !== change.fromVersion) {
        await store.updateProposal(change.kpi.id, proposal.id, { status: 'superseded', approval: recordOf(approval) });
        return { outcome: 'stale', activeVersion: state.version };
      }
      // The version is the publisher's (who asked for it), made from the proposal the approver saw.
      const { published } = await store.publish(proposal.definition, {
        author: change.proposedBy,
        reason: change.reason,
        ...provenanceOf(proposal, approval),
      });
      await store.updateProposal(change.kpi.id, proposal.id, {
        status: 'published',
        approval: recordOf(approval),
        publishedVersion: published.version,
      });
      return { outcome: 'published', version: published.version };
    },
    async close(change, status, approval) {
      const proposal = await proposalOf(change);
      if (proposal.status !== 'awaiting_approval') return;
      await store.updateProposal(change.kpi.id, proposal.id, {
        status,
        ...(approval ? { approval: recordOf(approval) } : {}),
      });
    },
  };
}

// Use case (define, govern): publish a KPI definition. A guardrail change (target, thresholds,
// minimum sample, guardrail, calibration bounds, at-risk level) of a KPI whose level of decision is
// `high` or `critical` is not put in force: it becomes a proposal awaiting the approval workflow,
// and the version in force stays until an approver decides. Anything else is published at once,
// naming the calibration proposal it came from when it is one.
import type { KpiDefinition } from '../domain/definition/schema';
import { isoTime, periodStart, shiftPeriod } from '../domain/engine/time';
import { ConflictError, ValidationError } from '../domain/errors';
import { evidenceLines } from '../domain/evaluation/calibration/describe';
import { calibrationLookback } from '../domain/evaluation/calibration/propose';
import { evaluationImpact, type ImpactSummary } from '../domain/evaluation/impact';
import type { ChangeApprovalStart } from '../domain/guardrails/approval';
import { type ChangeReview, reviewDefinitionChange } from '../domain/guardrails/definition-change-review';
import { GUARDRAIL_POLICY_VERSION } from '../domain/guardrails/rules';
import { contentHash } from '../domain/versioning/content-hash';
import type { DefinitionProposal } from '../domain/versioning/proposals';
import { diffDefinitions } from '../domain/versioning/semantic-diff';
import type { ApprovalWorkflow } from '../ports/approval-workflow';
import type { Clock } from '../ports/clock';
import type { ChangeAuthor, DefinitionState, DefinitionStore, ProposalStore } from '../ports/definition-store';
import type { KpiSchedules } from '../ports/kpi-schedules';
import type { KpiValueStore } from '../ports/kpi-value-store';
import { provenanceOf } from './definition-change-approval';
import { publishDefinition } from './publish-definition';

export interface PublishKpiDependencies {
  readonly store: DefinitionStore<KpiDefinition> & ProposalStore<KpiDefinition>;
  readonly schedules: KpiSchedules;
  /** The approval workflow; without it a change that needs an approval is refused. */
  readonly workflow: ApprovalWorkflow | null;
  /** Stored values, to show approvers what the change would have done to them. */
  readonly values?: Pick<KpiValueStore, 'history'>;
  readonly clock: Clock;
  readonly newApprovalId: () => string;
}

export type PublishKpiResult =
  | {
      readonly outcome: 'published';
      readonly version: number;
      readonly hash: string;
      readonly schedule: { readonly name: string; readonly change: 'created' | 'updated' | 'unchanged' };
      /** The calibration proposal the content came from, if any. */
      readonly proposalId: string | null;
    }
  | {
      readonly outcome: 'awaiting_approval';
      readonly proposalId: string;
      readonly approvalId: string;
      /** The version that stays in force meanwhile. */
      readonly activeVersion: number;
      readonly review: ChangeReview;
    };

/**
 * Publishes `definition` (validated, as stored), or holds it for approval.
 * @throws DefinitionUnchangedError when it equals the version in force
 * @throws ConflictError when another change of the KPI is awaiting approval
 * @throws ValidationError when a change needing approval also changes the cadence, or no workflow is at hand
 */
export async function publishKpiDefinition(
  deps: PublishKpiDependencies,
  definition: KpiDefinition,
  by: ChangeAuthor,
): Promise<PublishKpiResult> {
  const state = await deps.store.get(definition.id);
  const hash = contentHash(definition);
  const open = state ? await openProposals(deps, definition.id) : [];
  const pending = open.find((p) => p.status === 'awaiting_approval');
  if (pending && pending.hash !== hash) {
    throw new ConflictError(
      `${definition.id}: proposal ${pending.id} is awaiting approval ${pending.approval?.id ?? ''}; publish again once it is decided`,
    );
  }
  const review = state?.status === 'active' ? reviewDefinitionChange(state.definition, definition) : null;
  if (state && review?.needed) return holdForApproval(deps, state, definition, by, review, open);
  const calibrated = open.find((p) => p.status === 'proposed' && p.hash === hash) ?? null;
  const result = await publishDefinition(
    { store: deps.store, schedules: deps.schedules, cadenceOf: (d: KpiDefinition) => d.cadence },
    definition,
    { ...by, ...(calibrated ? provenanceOf(calibrated, null) : {}) },
  );
  for (const proposal of open.filter((p) => p.status === 'proposed')) {
    await deps.store.updateProposal(definition.id, proposal.id, {
      status: proposal === calibrated ? 'published' : 'superseded',
      ...(proposal === calibrated ? { publishedVersion: result.published.version } : {}),
    });
  }
  return {
    outcome: 'published',
    version: result.published.version,
    hash: result.published.hash,
    schedule: result.schedule,
    proposalId: calibrated?.id ?? null,
  };
}

async function openProposals(deps: PublishKpiDependencies, kpiId: string) {
  const proposals = await deps.store.listProposals({ kpiId, limit: 1000 });
  return proposals.filter((p) => p.status === 'proposed' || p.status === 'awaiting_approval');
}

async function holdForApproval(
  deps: PublishKpiDependencies,
  state: DefinitionState<KpiDefinition>,
  definition: KpiDefinition,
  by: ChangeAuthor,
  review: ChangeReview,
  open: readonly DefinitionProposal<KpiDefinition>[],
): Promise<PublishKpiResult> {
  if (review.changesSchedule) {
    throw new ValidationError(
      `${definition.id}: a change that needs an approval cannot change the cadence too; publish the cadence change first, then the guardrail change`,
    );
  }
  if (!deps.workflow) {
    throw new ValidationError(`${definition.id}: ${review.reason} No approval workflow is available here.`);
  }
  const hash = contentHash(definition);
  const now = deps.clock.now();
  let proposal = open.find((p) => p.hash === hash);
  if (!proposal) {
    proposal = await newProposal(deps, state, definition, by, now);
    await deps.store.propose(proposal);
  }
  const approvalId = proposal.approval?.id ?? deps.newApprovalId();
  if (proposal.status === 'proposed') {
    await deps.store.updateProposal(definition.id, proposal.id, {
      status: 'awaiting_approval',
      approval: { id: approvalId, decidedBy: null, decidedAt: null, reason: null },
    });
  }
  const start: ChangeApprovalStart = {
    approvalId,
    concernKey: `definition|${definition.id}`,
    policy: {
      action: 'request_approval',
      rule: 'guardrailChangeNeedsApproval',
      reason: review.reason,
      version: GUARDRAIL_POLICY_VERSION,
    },
    proposal: 'publish_definition',
    change: {
      kpi: {
        id: definition.id,
        name: definition.name,
        category: definition.category,
        levelOfDecision: review.level,
        useCase: definition.guardrail.useCase,
      },
      fromVersion: state.version,
      proposalId: proposal.id,
      hash,
      source: proposal.source,
      proposedBy: by.author.slice(0, 200),
      reason: by.reason.slice(0, 1000),
      owner: { name: definition.owner.name, email: definition.owner.email },
      changes: review.changes.slice(0, 60).map((c) => c.slice(0, 500)),
      evidence: evidenceLines(proposal.evidence, proposal.impact)
        .slice(0, 40)
        .map((l) => l.slice(0, 500)),
    },
    requestedAt: isoTime(now),
  };
  // Named after the approval: starting it again (a retried publish) starts it once.
  await deps.workflow.start(start);
  return { outcome: 'awaiting_approval', proposalId: proposal.id, approvalId, activeVersion: state.version, review };
}

async function newProposal(
  deps: PublishKpiDependencies,
  state: DefinitionState<KpiDefinition>,
  definition: KpiDefinition,
  by: ChangeAuthor,
  now: number,
): Promise<DefinitionProposal<KpiDefinition>> {
  const hash = contentHash(definition);
  const stamp = isoTime(now).replace(/[-:.]/g, '').toLowerCase();
  return {
    id: `publish-${stamp}-${hash.replace(/^sha256:/, '').slice(0, 8)}`,
    kpiId: definition.id,
    source: 'publish',
    status: 'proposed',
    createdAt: now,
    updatedAt: now,
    author: by.author,
    reason: by.reason,
    baseVersion: state.version,
    definition,
    hash,
    evidence: null,
    impact: await impactOf(deps, state.definition, definition, now),
    approval: null,
    publishedVersion: null,
  };
}

/** What the change would have done to the stored overall values, when it changes evaluation only. */
async function impactOf(
  deps: PublishKpiDependencies,
  active: KpiDefinition,
  proposed: KpiDefinition,
  now: number,
): Promise<ImpactSummary | null> {
  if (!deps.values || diffDefinitions(active, proposed).requiresRecompute) return null;
  const to = periodStart(active.grain, now);
  const history = await deps.values.history({
    kpiId: active.id,
    dimensions: {},
    grain: active.grain,
    from: isoTime(shiftPeriod(active.grain, to, -calibrationLookback(active))),
    to: isoTime(to),
  });
  return evaluationImpact(active, proposed, history).summary;
}

// Domain (govern): a change of a KPI's target is a guardrail change. On a KPI whose level of
// decision is `high` or `critical`, publishing it needs a human decision like any violation does:
// the same approval workflow, the same signed links. This is the rule, and what the approver sees.
import * as z from 'zod';
import type { KpiDefinition, LevelOfDecision } from '../definition/schema';
import { describeChanges, diffDefinitions } from '../versioning/semantic-diff';
import { LEVELS_OF_DECISION } from './violation';

/** Paths of a definition whose change is a guardrail change. */
const GUARDED = ['target', 'guardrail', 'calibration.bounds', 'minimumSample', 'forecast.atRiskProbability'];

/** The level of decision of a change: the stricter of the version in force and the proposed one. */
export function levelOfChange(active: KpiDefinition, proposed: KpiDefinition): LevelOfDecision {
  const rank = (level: LevelOfDecision) => LEVELS_OF_DECISION.indexOf(level);
  const a = active.guardrail.levelOfDecision;
  const b = proposed.guardrail.levelOfDecision;
  return rank(a) >= rank(b) ? a : b;
}

export interface ChangeReview {
  readonly needed: boolean;
  readonly level: LevelOfDecision;
  /** One sentence for the audit trail and the approver. */
  readonly reason: string;
  /** Every change, one line each (`target.thresholds.green: 0.02 → 0.025 (evaluation)`). */
  readonly changes: readonly string[];
  /** Whether the schedule changes too (a cadence change). */
  readonly changesSchedule: boolean;
}

/**
 * Whether publishing `proposed` over `active` needs an approval: it changes the target, the
 * thresholds, the minimum sample, the guardrail, the calibration bounds or the at-risk level, and
 * the stricter level of decision of the two versions is `high` or `critical` (so that lowering the
 * level cannot wave a target change through).
 */
export function reviewDefinitionChange(active: KpiDefinition, proposed: KpiDefinition): ChangeReview {
  const diff = diffDefinitions(active, proposed);
  const guarded = diff.changes.filter((c) => GUARDED.some((p) => c.path === p || c.path.startsWith(`${p}.`)));
  const level = levelOfChange(active, proposed);
  const needed = guarded.length > 0 && level !== 'low';
  const what = guarded.map((c) => c.path).join(', ');
  return {
    needed,
    level,
    reason: needed
      ? `A guardrail change (${what}) of a KPI whose level of decision is ${level}: an approver decides whether it is published.`
      : guarded.length > 0
        ? `A guardrail change (${what}) of a KPI whose level of decision is low: published without approval.`
        : 'No guardrail change: published without approval.',
    changes: describeChanges(diff),
    changesSchedule: diff.changes.some((c) => c.impact === 'schedule'),
  };
}

const line = z.string().min(1).max(500);

/** What an approver is asked about a definition change (the execution input carries it). */
export const definitionChangeSchema = z.object({
  kpi: z.object({
    id: z.string().min(1).max(128),
    name: z.string().min(1).max(200),
    category: z.string().max(64),
    levelOfDecision: z.enum(LEVELS_OF_DECISION),
    useCase: z.string().min(1).max(128),
  }),
  /** The version in force, which stays in force until the change is approved. */
  fromVersion: z.number().int().positive(),
  proposalId: z.string().min(1).max(100),
  /** Content hash of the proposed definition. */
  hash: z.string().min(1).max(128),
  source: z.enum(['calibration', 'publish']),
  proposedBy: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000),
  owner: z.object({ name: z.string().min(1).max(200), email: z.email() }),
  /** The changes, one line each. */
  changes: z.array(line).max(60),
  /** The evidence and the impact on past periods, one line each. */
  evidence: z.array(line).max(40),
});
export type DefinitionChange = z.infer<typeof definitionChangeSchema>;

/** `Publish version 3 of lead_handoff_cycle_time_p95 (Lead handoff cycle time p95)`. */
export function describeDefinitionChange(change: DefinitionChange): string {
  return `Publish the proposed version of ${change.kpi.name} (${change.kpi.id}), replacing version ${change.fromVersion}.`;
}

/** What each answer does to a definition change. */
export function effectOfDefinitionChange(change: DefinitionChange, decision: 'approved' | 'rejected'): string {
  return decision === 'approved'
    ? `The proposed version of ${change.kpi.id} is published and in force from its next refresh.`
    : `Version ${change.fromVersion} of ${change.kpi.id} stays in force; the proposal is closed as rejected.`;
}

/** Without an answer by the last deadline, nothing changes. */
export function safeDefaultOfDefinitionChange(change: DefinitionChange): string {
  return `version ${change.fromVersion} of ${change.kpi.id} stays in force and the proposal is closed unpublished.`;
}

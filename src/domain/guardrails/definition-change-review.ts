// Domain (govern): a change of a KPI's target is a guardrail change. On a KPI whose level of
// decision is `high` or `critical`, publishing it needs a human decision like any violation does:
// the same approval workflow, the same signed links. This is the rule.
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

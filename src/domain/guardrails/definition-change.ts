// Domain (govern): what an approver sees of a definition change held for approval (the rule that
// holds it is in definition-change-review.ts), and what each answer does.
import * as z from 'zod';
import { LEVELS_OF_DECISION } from './violation';

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

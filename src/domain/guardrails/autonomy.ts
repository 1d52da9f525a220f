// Domain: autonomy controls. Each agent and each use case runs in one mode; the guardrail policy and
// human decisions change it, and agents read it before they act.
import { z } from 'zod';
import type { Violation } from './violation';

/**
 * - `autonomous`: the agent acts on its own.
 * - `supervised`: the agent proposes, a person confirms each action.
 * - `paused`: the agent does nothing.
 */
export const AUTONOMY_MODES = ['autonomous', 'supervised', 'paused'] as const;
export type AutonomyMode = (typeof AUTONOMY_MODES)[number];
export const autonomyModeSchema = z.enum(AUTONOMY_MODES);

/** Whose autonomy a control holds: one agent, or every agent of one use case. */
export interface AutonomySubject {
  readonly kind: 'agent' | 'use_case';
  readonly id: string;
}

export const autonomySubjectSchema = z.object({
  kind: z.enum(['agent', 'use_case']),
  id: z.string().min(1).max(128),
});

/** The subject a violation governs: its agent when it names one, else its use case, else none. */
export function subjectOf(governs: Violation['governs']): AutonomySubject | null {
  if (governs.agentId) return { kind: 'agent', id: governs.agentId };
  if (governs.useCase) return { kind: 'use_case', id: governs.useCase };
  return null;
}

/** `agent#lead-router-1`, `use_case#lead_handoff`: the key of a subject in tables and records. */
export function subjectKey(subject: AutonomySubject): string {
  return `${subject.kind}#${subject.id}`;
}

const RESTRICTIVENESS: Record<AutonomyMode, number> = { autonomous: 0, supervised: 1, paused: 2 };

/** The most restrictive of several modes (an agent's own and its use case's); `autonomous` for none. */
export function mostRestrictive(modes: readonly AutonomyMode[]): AutonomyMode {
  return modes.reduce<AutonomyMode>((a, b) => (RESTRICTIVENESS[b] > RESTRICTIVENESS[a] ? b : a), 'autonomous');
}

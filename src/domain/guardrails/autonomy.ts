// Domain: autonomy controls. Each agent and each use case runs in one mode; the guardrail policy and
// human decisions change it, and agents read it before they act.
import * as z from 'zod';
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

/**
 * The stored state of one subject's control. The mode agents read is derived from it: an operator
 * sets `baseMode`; each approval that needs the subject supervised holds it there until released.
 */
export interface AutonomyControlState {
  /** The mode set by an operator, before holds. @default autonomous */
  readonly baseMode: AutonomyMode;
  /** Approval ids that keep the subject supervised. */
  readonly holds: readonly string[];
  /** Incremented on every write; 0 for a subject never written. */
  readonly version: number;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
  readonly reason: string | null;
}

/** A subject nobody has governed yet: autonomous, no holds. */
export const UNGOVERNED_CONTROL: AutonomyControlState = {
  baseMode: 'autonomous',
  holds: [],
  version: 0,
  updatedAt: null,
  updatedBy: null,
  reason: null,
};

/** The mode agents obey: paused beats everything; any hold or a supervised base supervises. */
export function effectiveMode(state: Pick<AutonomyControlState, 'baseMode' | 'holds'>): AutonomyMode {
  if (state.baseMode === 'paused') return 'paused';
  if (state.baseMode === 'supervised' || state.holds.length > 0) return 'supervised';
  return 'autonomous';
}

/** A change to a control, as the policy, a decision or an operator asks for it. */
export type AutonomyTransition =
  | { readonly type: 'hold'; readonly approvalId: string }
  | { readonly type: 'release'; readonly approvalId: string }
  | { readonly type: 'set'; readonly mode: AutonomyMode };

/**
 * The state after `transition`. Holds are idempotent (adding one twice or releasing one that is gone
 * changes nothing); `set` is an operator's override and clears every hold.
 */
export function applyTransition(
  state: AutonomyControlState,
  transition: AutonomyTransition,
): Pick<AutonomyControlState, 'baseMode' | 'holds'> {
  switch (transition.type) {
    case 'hold':
      return {
        baseMode: state.baseMode,
        holds: state.holds.includes(transition.approvalId) ? state.holds : [...state.holds, transition.approvalId],
      };
    case 'release':
      return { baseMode: state.baseMode, holds: state.holds.filter((id) => id !== transition.approvalId) };
    case 'set':
      return { baseMode: transition.mode, holds: [] };
  }
}

// Use case: changes one subject's autonomy (hold, release, or an operator's set), with optimistic
// concurrency, and records the change in the audit trail. The only way the controls table changes.

import { ConflictError } from '../../domain/errors';
import type { AuditEvent } from '../../domain/guardrails/audit';
import { operatorAuditEvent } from '../../domain/guardrails/audit';
import {
  type AutonomyControlState,
  type AutonomyMode,
  type AutonomySubject,
  type AutonomyTransition,
  applyTransition,
  effectiveMode,
  subjectKey,
} from '../../domain/guardrails/autonomy';
import type { AuditLog } from '../../ports/audit-log';
import type { AutonomyControls } from '../../ports/autonomy-controls';
import type { Clock } from '../../ports/clock';

export interface ChangeAutonomyDeps {
  readonly controls: AutonomyControls;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface AutonomyChange {
  readonly from: AutonomyMode;
  readonly to: AutonomyMode;
  /** False when the transition changed nothing (a hold already there, a release of a hold gone). */
  readonly written: boolean;
  readonly state: AutonomyControlState;
}

/** Attempts before a write that keeps losing races gives up. */
const MAX_ATTEMPTS = 10;

/**
 * Applies `transition` to the subject's control and, when anything changed, records an
 * `autonomy_changed` event built by `auditEventFor` (given from/to modes).
 * @throws ConflictError after repeated lost races
 */
export async function changeAutonomy(
  subject: AutonomySubject,
  transition: AutonomyTransition,
  by: { readonly actor: string; readonly reason: string },
  auditEventFor: (change: { from: AutonomyMode; to: AutonomyMode; at: string }) => AuditEvent,
  deps: ChangeAutonomyDeps,
): Promise<AutonomyChange> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const current = await deps.controls.read(subject);
    const changed = applyTransition(current, transition);
    const from = effectiveMode(current);
    if (changed.baseMode === current.baseMode && sameHolds(changed.holds, current.holds)) {
      // Nothing to write. If this very transition wrote the state (a retried step whose first run
      // died between the write and its audit), its event may be missing: record it (once, by its id).
      const earlier = earlierWriteOf(current, transition, by);
      if (earlier) await deps.audit.record(auditEventFor(earlier));
      return { from, to: from, written: false, state: current };
    }
    const at = new Date(deps.clock.now()).toISOString();
    const next: AutonomyControlState = {
      ...changed,
      version: current.version + 1,
      updatedAt: at,
      updatedBy: by.actor,
      reason: by.reason,
    };
    if (await deps.controls.write(subject, next)) {
      const to = effectiveMode(next);
      await deps.audit.record(auditEventFor({ from, to, at }));
      return { from, to, written: true, state: next };
    }
  }
  throw new ConflictError(`autonomy of ${subjectKey(subject)}: ${MAX_ATTEMPTS} concurrent writes in a row, giving up`);
}

/**
 * The change `transition` made when `state` is the one it wrote (same actor and reason, the hold in
 * place or the release done), reconstructed from the state: from, to and when. Null otherwise, and
 * for an operator's `set`, whose mode before cannot be read back.
 */
function earlierWriteOf(
  state: AutonomyControlState,
  transition: AutonomyTransition,
  by: { readonly actor: string; readonly reason: string },
): { from: AutonomyMode; to: AutonomyMode; at: string } | null {
  if (!state.updatedAt || state.updatedBy !== by.actor || state.reason !== by.reason) return null;
  let before: AutonomyControlState;
  if (transition.type === 'hold' && state.holds.includes(transition.approvalId)) {
    before = { ...state, holds: state.holds.filter((id) => id !== transition.approvalId) };
  } else if (transition.type === 'release' && !state.holds.includes(transition.approvalId)) {
    before = { ...state, holds: [...state.holds, transition.approvalId] };
  } else return null;
  return { from: effectiveMode(before), to: effectiveMode(state), at: state.updatedAt };
}

function sameHolds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/**
 * An operator sets a subject's mode (for instance back to autonomous after an approved supervision,
 * or paused during an incident). Clears every hold; audited with the operator and the reason.
 */
export async function setAutonomyMode(
  request: { subject: AutonomySubject; mode: AutonomyMode; operator: string; reason: string },
  deps: ChangeAutonomyDeps,
): Promise<AutonomyChange> {
  const actor = `operator:${request.operator}`;
  return changeAutonomy(
    request.subject,
    { type: 'set', mode: request.mode },
    { actor, reason: request.reason },
    ({ from, to, at }) =>
      operatorAuditEvent(request.subject, {
        eventId: `operator|${subjectKey(request.subject)}|${at}|${request.mode}`,
        type: 'autonomy_changed',
        occurredAt: at,
        actor,
        fromMode: from,
        toMode: to,
        reason: request.reason,
      }),
    deps,
  );
}

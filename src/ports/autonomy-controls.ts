// Port: the autonomy controls table. Writes are optimistic: a write names the version it read.
import type { AutonomyControlState, AutonomySubject } from '../domain/guardrails/autonomy';

export interface AutonomyControls {
  /** The subject's control; `UNGOVERNED_CONTROL` for a subject never written. */
  read(subject: AutonomySubject): Promise<AutonomyControlState>;
  /** Writes `next` if the stored version is still `next.version - 1`; false when another writer came first. */
  write(subject: AutonomySubject, next: AutonomyControlState): Promise<boolean>;
}

// Port: the versioned store of KPI definitions (publish, rollback, retire, history).
import type { ChangeLogEntry, DefinitionVersion, IdentifiedDefinition } from '../domain/versioning/definition-versions';

/** Who changes a definition and why; the store adds the time from its clock. */
export interface ChangeAuthor {
  readonly author: string;
  readonly reason: string;
}

/** A KPI as the store sees it now. */
export interface DefinitionState<T> {
  readonly id: string;
  readonly status: 'active' | 'retired';
  /** The version in force (for a retired KPI, the last one that was). */
  readonly version: number;
  readonly hash: string;
  readonly definition: T;
  readonly latestVersion: number;
  readonly lastChange: ChangeLogEntry;
}

export interface PublishOutcome<T> {
  readonly published: DefinitionVersion<T>;
  readonly change: ChangeLogEntry;
}

export interface DefinitionStore<T extends IdentifiedDefinition> {
  /**
   * Stores `definition` as a new immutable version and puts it in force.
   * @throws DefinitionUnchangedError when its content equals the version in force
   */
  publish(definition: T, by: ChangeAuthor): Promise<PublishOutcome<T>>;
  /**
   * Puts an existing version back in force; recorded in the change log.
   * @throws DefinitionNotFoundError, DefinitionVersionNotFoundError, DefinitionStateError
   */
  rollback(id: string, toVersion: number, by: ChangeAuthor): Promise<ChangeLogEntry>;
  /** Retires a KPI: nothing computes it any more; its versions and history stay. */
  retire(id: string, by: ChangeAuthor): Promise<ChangeLogEntry>;
  /** The KPI's current state, or null when it was never published. */
  get(id: string): Promise<DefinitionState<T> | null>;
  /** One version. @throws DefinitionNotFoundError, DefinitionVersionNotFoundError */
  getVersion(id: string, version: number): Promise<DefinitionVersion<T>>;
  /** Every version, oldest first. */
  versions(id: string): Promise<DefinitionVersion<T>[]>;
  /** The change log, oldest first. */
  history(id: string): Promise<ChangeLogEntry[]>;
  /** Every KPI with the given status, by id. */
  list(status: 'active' | 'retired'): Promise<DefinitionState<T>[]>;
}

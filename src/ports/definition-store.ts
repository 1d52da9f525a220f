// Port: the versioned store of KPI definitions (publish, rollback, retire, history).
import type {
  ChangeLogEntry,
  ChangeProvenance,
  DefinitionVersion,
  IdentifiedDefinition,
} from '../domain/versioning/definition-versions';
import type { DefinitionProposal, ProposalApproval, ProposalStatus } from '../domain/versioning/proposals';

/** Who changes a definition and why (and, for a publish, the proposal and approval behind it); the store adds the time. */
export interface ChangeAuthor extends ChangeProvenance {
  readonly author: string;
  readonly reason: string;
}

/** Which proposals to list: of one KPI, or in one status across KPIs; newest first. */
export interface ProposalQuery {
  readonly kpiId?: string;
  readonly status?: ProposalStatus;
  /** Only those made at or after this instant (epoch ms). */
  readonly since?: number;
  /** @default 100 */
  readonly limit?: number;
}

/** What a status move may add to a proposal. */
export interface ProposalUpdate {
  readonly status: ProposalStatus;
  readonly approval?: ProposalApproval;
  readonly publishedVersion?: number;
}

/**
 * Proposals of new versions, kept beside the versions: what calibration proposes and what waits
 * for an approval. The read half (`getProposal`, `listProposals`) is what a review reads.
 */
export interface ProposalStore<T> {
  /** Stores a new proposal; false when one with the same KPI and id exists (made already). */
  propose(proposal: DefinitionProposal<T>): Promise<boolean>;
  getProposal(kpiId: string, proposalId: string): Promise<DefinitionProposal<T> | null>;
  listProposals(query: ProposalQuery): Promise<DefinitionProposal<T>[]>;
  /**
   * Moves a proposal's status forward (see `mayMove`), conditionally on the status it had.
   * @throws ConflictError when it is no longer in a status that may move there
   */
  updateProposal(kpiId: string, proposalId: string, update: ProposalUpdate): Promise<DefinitionProposal<T>>;
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

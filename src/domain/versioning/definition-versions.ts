// Domain (define): versions of a KPI definition, the pointer to the one in force and the change log.
// Versions and log entries are immutable; only the pointer moves, and each move is one transition
// below, applied by the store with a compare-and-set on the pointer's change sequence.
import { canonicalJson } from './canonical-json';
import { contentHash } from './content-hash';
import { DefinitionStateError, DefinitionUnchangedError } from './errors';
import type { SemanticDiff } from './semantic-diff';

/** `calibration`: thresholds recalibrated from history; `publish`: a person's edit held for approval. */
export const PROPOSAL_SOURCES = ['calibration', 'publish'] as const;
export type ProposalSource = (typeof PROPOSAL_SOURCES)[number];

/** What the change log keeps of the proposal (proposals.ts) and the approval behind a publish. */
export interface ChangeProvenance {
  readonly proposal?: { readonly id: string; readonly source: ProposalSource; readonly evidence: string | null };
  readonly approval?: {
    readonly id: string;
    readonly approver: string;
    readonly decidedAt: number;
    readonly reason: string | null;
  };
}

/** What a definition must have for the store: an id. The engine's schema validates the rest. */
export interface IdentifiedDefinition {
  readonly id: string;
}

/** One immutable, published version of a definition. */
export interface DefinitionVersion<T> {
  readonly id: string;
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  /** {@link contentHash} of `definition`. */
  readonly hash: string;
  readonly definition: T;
  readonly author: string;
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly publishedAt: number;
}

export type ChangeAction = 'publish' | 'rollback' | 'retire';

/**
 * One move of the pointer, in the order they happened (`seq` 1, 2, 3, …). A publish that came from
 * a proposal names it (with its evidence, in one line) and, when it needed one, the approval.
 */
export interface ChangeLogEntry extends ChangeProvenance {
  readonly id: string;
  readonly seq: number;
  readonly action: ChangeAction;
  /** The version in force before; null for the first publish. */
  readonly fromVersion: number | null;
  /** The version in force after (for `retire`, the last one that was). */
  readonly toVersion: number;
  /** Hash of `toVersion`. */
  readonly hash: string;
  readonly author: string;
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/**
 * The mutable head of a KPI: which version is in force, how many exist, and the last change. It
 * also carries the content of the version in force and of the last change, so that a reader never
 * depends on an item a crashed writer had yet to write (the store writes those afterwards, and any
 * later reader or writer finishes the job).
 */
export interface DefinitionPointer<T> {
  readonly id: string;
  readonly status: 'active' | 'retired';
  readonly activeVersion: number;
  readonly activeHash: string;
  readonly active: T;
  readonly latestVersion: number;
  /** Sequence number of the last change; the store's compare-and-set key. */
  readonly changeSeq: number;
  readonly lastChange: ChangeLogEntry;
  /** Set when the last change published a new version: that version, to be written as an item. */
  readonly lastPublished: DefinitionVersion<T> | null;
}

/** A change of the log with what it changed: the semantic diff against the version in force before. */
export interface DiffedChange {
  readonly change: ChangeLogEntry;
  /** Null for a first publication or a retirement. */
  readonly diff: SemanticDiff | null;
}

/** A pointer change, as the store must apply it. */
export interface PointerTransition<T> {
  readonly next: DefinitionPointer<T>;
  readonly change: ChangeLogEntry;
  /** A version to store (publish only). */
  readonly newVersion: DefinitionVersion<T> | null;
}

export interface ChangeRequest extends ChangeProvenance {
  readonly author: string;
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/**
 * Publishing `definition` on top of `pointer` (null for a KPI never published): a new version one
 * above the latest, in force at once. Publishing a retired KPI brings it back.
 * @throws DefinitionUnchangedError when the content equals the version in force
 */
export function publishTransition<T extends IdentifiedDefinition>(
  pointer: DefinitionPointer<T> | null,
  definition: T,
  request: ChangeRequest,
): PointerTransition<T> {
  const hash = contentHash(definition);
  if (pointer && pointer.status === 'active' && pointer.activeHash === hash) {
    throw new DefinitionUnchangedError(definition.id, pointer.activeVersion);
  }
  const version = (pointer?.latestVersion ?? 0) + 1;
  const newVersion: DefinitionVersion<T> = {
    id: definition.id,
    version,
    hash,
    definition,
    author: request.author,
    reason: request.reason,
    publishedAt: request.at,
  };
  const change: ChangeLogEntry = {
    id: definition.id,
    seq: (pointer?.changeSeq ?? 0) + 1,
    action: 'publish',
    fromVersion: pointer?.status === 'active' ? pointer.activeVersion : null,
    toVersion: version,
    hash,
    author: request.author,
    reason: request.reason,
    at: request.at,
    ...(request.proposal ? { proposal: request.proposal } : {}),
    ...(request.approval ? { approval: request.approval } : {}),
  };
  return {
    change,
    newVersion,
    next: {
      id: definition.id,
      status: 'active',
      activeVersion: version,
      activeHash: hash,
      active: definition,
      latestVersion: version,
      changeSeq: change.seq,
      lastChange: change,
      lastPublished: newVersion,
    },
  };
}

/**
 * Putting an earlier (or any other existing) version back in force.
 * @throws DefinitionStateError when the KPI is retired or the target is already in force
 */
export function rollbackTransition<T extends IdentifiedDefinition>(
  pointer: DefinitionPointer<T>,
  target: DefinitionVersion<T>,
  request: ChangeRequest,
): PointerTransition<T> {
  if (pointer.status === 'retired') {
    throw new DefinitionStateError(`${pointer.id} is retired; publish a version to bring it back`);
  }
  if (target.version === pointer.activeVersion) {
    throw new DefinitionStateError(`${pointer.id}: version ${target.version} is already in force`);
  }
  const change: ChangeLogEntry = {
    id: pointer.id,
    seq: pointer.changeSeq + 1,
    action: 'rollback',
    fromVersion: pointer.activeVersion,
    toVersion: target.version,
    hash: target.hash,
    ...requestFields(request),
  };
  return {
    change,
    newVersion: null,
    next: {
      ...pointer,
      activeVersion: target.version,
      activeHash: target.hash,
      active: target.definition,
      changeSeq: change.seq,
      lastChange: change,
      lastPublished: null,
    },
  };
}

/**
 * Retiring a KPI: it stays readable with its whole history, but nothing computes it any more.
 * @throws DefinitionStateError when it is already retired
 */
export function retireTransition<T extends IdentifiedDefinition>(
  pointer: DefinitionPointer<T>,
  request: ChangeRequest,
): PointerTransition<T> {
  if (pointer.status === 'retired') throw new DefinitionStateError(`${pointer.id} is already retired`);
  const change: ChangeLogEntry = {
    id: pointer.id,
    seq: pointer.changeSeq + 1,
    action: 'retire',
    fromVersion: pointer.activeVersion,
    toVersion: pointer.activeVersion,
    hash: pointer.activeHash,
    ...requestFields(request),
  };
  return {
    change,
    newVersion: null,
    next: { ...pointer, status: 'retired', changeSeq: change.seq, lastChange: change, lastPublished: null },
  };
}

function requestFields(request: ChangeRequest) {
  return { author: request.author, reason: request.reason, at: request.at };
}

/** Whether a stored version's hash matches its content. */
export function verifyVersion<T>(version: DefinitionVersion<T>): boolean {
  return contentHash(version.definition) === version.hash;
}

/** The canonical JSON text a version's content is stored as. */
export function storedBody(definition: unknown): string {
  return canonicalJson(definition);
}

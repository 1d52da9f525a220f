// Domain (define): errors of the definition store. Names are stable: the CLI and Step Functions match them.
import { ConflictError, NotFoundError } from '../errors';

/** A publish whose content is identical to the version in force. */
export class DefinitionUnchangedError extends ConflictError {
  override readonly name: string = 'DefinitionUnchangedError';
  constructor(
    readonly kpiId: string,
    readonly activeVersion: number,
  ) {
    super(`${kpiId}: the content is identical to the active version ${activeVersion}; nothing to publish`);
  }
}

/** A KPI that was never published. */
export class DefinitionNotFoundError extends NotFoundError {
  override readonly name: string = 'DefinitionNotFoundError';
  constructor(readonly kpiId: string) {
    super(`${kpiId}: no such KPI has been published`);
  }
}

/** A version number that a KPI does not have. */
export class DefinitionVersionNotFoundError extends NotFoundError {
  override readonly name: string = 'DefinitionVersionNotFoundError';
  constructor(
    readonly kpiId: string,
    readonly version: number,
    latestVersion: number,
  ) {
    super(`${kpiId}: there is no version ${version} (versions 1 to ${latestVersion} exist)`);
  }
}

/** A change that the KPI's current state does not allow (rolling back a retired KPI, a no-op rollback). */
export class DefinitionStateError extends ConflictError {
  override readonly name: string = 'DefinitionStateError';
}

/** A stored item that is not what the store wrote: a hash that does not match its content. */
export class DefinitionIntegrityError extends ConflictError {
  override readonly name: string = 'DefinitionIntegrityError';
}

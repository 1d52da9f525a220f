// Domain: errors of dataset declarations and reads. Names are stable (the CLI and handlers map them).
import { ValidationError } from '../errors';
import type { ReadCounts } from '../records';
import type { FileReasonCode } from './reasons';

/** A declaration file that does not follow the schema; `problems` name the path inside it. */
export class DatasetDeclarationError extends ValidationError {
  override readonly name: string = 'DatasetDeclarationError';
  readonly problems: readonly string[];
  constructor(location: string, problems: readonly string[], options?: { cause?: unknown }) {
    super(problems.length === 1 ? (problems[0] as string) : `\n  - ${problems.join('\n  - ')}`, {
      ...options,
      location,
    });
    this.problems = problems;
  }
}

/**
 * A whole input that cannot be read as the declared format: empty, corrupt compression, another
 * encoding, a CSV header without the needed columns. The file is kept in quarantine as it was.
 * `counts` are the rows read before the problem surfaced (a truncated gzip is found at its end).
 */
export class UnreadableInputError extends ValidationError {
  override readonly name: string = 'UnreadableInputError';
  /** The sentence without the location, for records that keep the location apart. */
  readonly reason: string;
  constructor(
    readonly code: FileReasonCode,
    reason: string,
    readonly counts: ReadCounts,
    options?: { cause?: unknown; location?: string },
  ) {
    super(reason, options);
    this.reason = reason;
  }
}

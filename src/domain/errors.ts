// Domain: the error hierarchy. Names are stable: Step Functions Retry/Catch and the CLI match them.

/** Base of every error the pipeline raises on purpose. `name` is the class name; `cause` is kept. */
export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input that cannot be used as given: a file, a row, an event, an environment. Not retryable. */
export class ValidationError extends PipelineError {
  override readonly name: string = 'ValidationError';
  /** Where the problem is, as precise as known: file, row, field, path. */
  readonly location: string | undefined;
  constructor(message: string, options?: { cause?: unknown; location?: string }) {
    super(options?.location ? `${options.location}: ${message}` : message, options);
    this.location = options?.location;
  }
}

/** A Lambda function's environment failed validation at cold start: a deployment defect. */
export class ConfigurationError extends PipelineError {
  override readonly name: string = 'ConfigurationError';
}

/** Something looked up does not exist (a definition, a version, an approval). */
export class NotFoundError extends PipelineError {
  override readonly name: string = 'NotFoundError';
}

/** A conditional write lost a race or a state transition is not allowed. */
export class ConflictError extends PipelineError {
  override readonly name: string = 'ConflictError';
}

/** A dependency failed in a way that may succeed on retry (throttling, 5xx, timeouts). */
export class TransientError extends PipelineError {
  override readonly name: string = 'TransientError';
}

/** Formats an unknown thrown value as one line for people, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

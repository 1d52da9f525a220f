// Local runtime: what the local Step Functions know of an execution, and how an interpreter's
// outcome maps onto the status and error Step Functions report.

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
  /** The states this execution entered, in order, with what each returned or threw. */
  readonly history: ExecutionHistory;
  readonly done: Promise<LocalExecution>;
  abort(): void;
}

export type ExecutionHistory = { state: string; at: Date; outcome: 'succeeded' | 'failed'; detail?: string }[];

/** An error a state throws, named as Step Functions names it (Retry and Catch match the name). */
export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The final status, error and cause of an execution whose interpreter run threw `error`. */
export function failureOf(error: Error & { cause?: unknown }): {
  status: ExecutionStatus;
  error: string;
  cause: string;
} {
  const status: ExecutionStatus =
    error.name === 'ExecutionAbortedError'
      ? 'ABORTED'
      : error.name === 'ExecutionTimeoutError'
        ? 'TIMED_OUT'
        : 'FAILED';
  // aws-local-stepfunctions wraps the state's error in an ExecutionError whose cause is the original.
  const inner = (error.cause as Error | undefined) ?? error;
  return { status, error: inner.name, cause: inner.message };
}

/** Settles `execution` when its run ends, as DescribeExecution then reports it. */
export function settleWhenDone(execution: LocalExecution, result: Promise<unknown>): Promise<LocalExecution> {
  return result.then(
    (output: unknown) => {
      Object.assign(execution, { status: 'SUCCEEDED', output, stopDate: new Date() });
      return execution;
    },
    (error: Error & { cause?: unknown }) => {
      Object.assign(execution, { ...failureOf(error), stopDate: new Date() });
      return execution;
    },
  );
}

// Local runtime: the task tokens of `.waitForTaskToken` tasks. A token is issued when the task
// starts (its parameters get it in place of `$$.Task.Token`), and completed through
// SendTaskSuccess / SendTaskFailure on the local endpoint, or expired by the task's deadline.
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../aws-json-endpoint';
import { TaskError } from './execution';

/** What `$$.Task.Token` resolves to before the task's own token replaces it. */
export const TOKEN_PLACEHOLDER = '__LOCAL_TASK_TOKEN__';

export interface PendingTaskToken {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly issuedAt: Date;
  /** The task's parameters with the token filled in (what was sent to SNS or Lambda). */
  readonly parameters: unknown;
}

export type TaskTokenEvent =
  | { type: 'task-token-issued'; pending: PendingTaskToken }
  | { type: 'task-token-completed'; pending: PendingTaskToken; outcome: 'success' | 'failure' | 'timeout' };

interface TokenEntry extends PendingTaskToken {
  state: 'waiting' | 'completed' | 'timed-out';
  resolve(output: unknown): void;
  reject(error: Error): void;
}

export class TaskTokens {
  private readonly tokens = new Map<string, TokenEntry>();

  constructor(private readonly onEvent: (event: TaskTokenEvent) => void) {}

  /**
   * Runs `call` (the notification that carries the token) with a new token in its parameters, and
   * resolves with what the token is completed with.
   */
  async waitFor(
    executionArn: string,
    stateName: string,
    input: unknown,
    call: (parameters: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    const token = `${randomUUID()}${randomUUID()}`.replaceAll('-', '');
    const parameters = replaceDeep(input, TOKEN_PLACEHOLDER, token);
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    // A callback may complete the token before the task's own call returns (as on AWS); the
    // rejection is observed below, so it must not count as unhandled meanwhile.
    promise.catch(() => undefined);
    const entry: TokenEntry = {
      token,
      executionArn,
      stateName,
      issuedAt: new Date(),
      parameters,
      state: 'waiting',
      resolve,
      reject,
    };
    this.tokens.set(token, entry);
    this.onEvent({ type: 'task-token-issued', pending: entry });
    return call(parameters).then(
      () => promise,
      (error: unknown) => {
        // The notification itself failed: nobody holds this token, so it can never complete.
        entry.state = 'timed-out';
        throw error;
      },
    );
  }

  /** Task tokens issued and not yet completed or timed out. */
  pending(executionArn?: string): PendingTaskToken[] {
    return [...this.tokens.values()]
      .filter((t) => t.state === 'waiting' && (!executionArn || t.executionArn === executionArn))
      .map(({ token, executionArn: arn, stateName, issuedAt, parameters }) => ({
        token,
        executionArn: arn,
        stateName,
        issuedAt,
        parameters,
      }));
  }

  succeed(token: string, output: unknown): void {
    const entry = this.live(token);
    entry.state = 'completed';
    this.onEvent({ type: 'task-token-completed', pending: entry, outcome: 'success' });
    entry.resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    const entry = this.live(token);
    entry.state = 'completed';
    this.onEvent({ type: 'task-token-completed', pending: entry, outcome: 'failure' });
    entry.reject(new TaskError(error, cause));
  }

  heartbeat(token: string): void {
    this.live(token);
  }

  /** Ends the task waiting on `token` as if its deadline had just passed. */
  expire(token: string): void {
    const entry = this.live(token);
    entry.state = 'timed-out';
    this.onEvent({ type: 'task-token-completed', pending: entry, outcome: 'timeout' });
    entry.reject(new TaskError('States.Timeout', 'the task deadline passed'));
  }

  /** A task that timed out leaves its token unusable, as Step Functions does. */
  expireTask(executionArn: string, stateName: string): void {
    for (const entry of this.tokens.values()) {
      if (entry.state === 'waiting' && entry.executionArn === executionArn && entry.stateName === stateName) {
        entry.state = 'timed-out';
        this.onEvent({ type: 'task-token-completed', pending: entry, outcome: 'timeout' });
      }
    }
  }

  /** Settles the waits of an aborted execution, so that their deadline timers are cleared. */
  abortExecution(executionArn: string): void {
    for (const entry of this.tokens.values()) {
      if (entry.executionArn !== executionArn || entry.state !== 'waiting') continue;
      entry.state = 'timed-out';
      entry.reject(new TaskError('States.Runtime', 'the execution was aborted'));
    }
  }

  private live(token: string): TokenEntry {
    const entry = this.tokens.get(token);
    if (!entry) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    if (entry.state !== 'waiting')
      throw new AwsServiceError('TaskTimedOut', 'Task Timed Out: provided task does not exist anymore');
    return entry;
  }
}

function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
}

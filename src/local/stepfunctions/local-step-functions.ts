// Local runtime: runs the synthesized state machines in-process with aws-local-stepfunctions.
// Lambda tasks run the production handlers; service integrations (SNS, DynamoDB, SQS, Step
// Functions) make the same call through the real SDK client against the emulators; task tokens
// are issued here and completed through the local Step Functions endpoint (SendTaskSuccess/Failure).
import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StateMachine as AslInterpreter } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import { AwsServiceError } from '../aws-json-endpoint';
import type { LocalFunctions } from '../functions';
import {
  type AslDefinition,
  type AslState,
  allStates,
  type SynthesizedStateMachine,
  validateStateMachine,
} from './asl';

/** What `$$.Task.Token` resolves to before the task's own token replaces it. */
const TOKEN_PLACEHOLDER = '__LOCAL_TASK_TOKEN__';
/** Seconds that stand for "no timeout" (what Step Functions does without TimeoutSeconds). */
const NO_TIMEOUT_SECONDS = 2_000_000;
/** Parameters field carrying a task's TimeoutSecondsPath value into its override. */
const TIMEOUT_FIELD = '__localTimeoutSeconds';

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
  readonly history: { state: string; at: Date; outcome: 'succeeded' | 'failed'; detail?: string }[];
  readonly done: Promise<LocalExecution>;
  abort(): void;
}

export interface PendingTaskToken {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly issuedAt: Date;
  /** The task's parameters with the token filled in (what was sent to SNS or Lambda). */
  readonly parameters: unknown;
}

export type LocalStepFunctionsEvent =
  | { type: 'execution-started'; execution: LocalExecution }
  | { type: 'execution-finished'; execution: LocalExecution }
  | { type: 'task-token-issued'; pending: PendingTaskToken }
  | { type: 'task-token-completed'; pending: PendingTaskToken; outcome: 'success' | 'failure' | 'timeout' }
  /** A state entered or retried: what Step Functions bills as a state transition. */
  | { type: 'state-transition'; executionArn: string; stateName: string };

export interface LocalStepFunctionsOptions {
  readonly functions: LocalFunctions;
  /**
   * Multiplies every task timeout, Wait state and retry interval; `1/3600` turns an hour into a
   * second, so deadlines and escalations can be exercised without waiting. @default 1
   */
  readonly timeScale?: number;
  readonly onEvent?: (event: LocalStepFunctionsEvent) => void;
}

class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface TokenEntry extends PendingTaskToken {
  state: 'waiting' | 'completed' | 'timed-out';
  resolve(output: unknown): void;
  reject(error: Error): void;
}

interface Registered {
  readonly machine: SynthesizedStateMachine;
  readonly interpreter: AslInterpreter;
  readonly timeouts: Map<string, { seconds?: number; path?: string; viaParameters: boolean }>;
  readonly waitOverrides: Record<string, number>;
  readonly retryOverrides: Record<string, number[]>;
  /** Checked with asl-validator before its first execution. */
  validated: boolean;
}

/**
 * The Step Functions of the local runtime: StartExecution, DescribeExecution, StopExecution,
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat over the registered state machines.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Registered>();
  private readonly executions = new Map<string, LocalExecution>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly timeScale: number;
  private readonly sns = new SNSClient({});
  private readonly sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  private readonly dynamodb = new DynamoDBClient({});

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.timeScale = options.timeScale ?? 1;
  }

  /** Registers a synthesized state machine; its tasks must all be runnable locally. */
  register(machine: SynthesizedStateMachine): void {
    const definition = structuredClone(machine.definition);
    const timeouts = new Map<string, { seconds?: number; path?: string; viaParameters: boolean }>();
    const waitOverrides: Record<string, number> = {};
    const retryOverrides: Record<string, number[]> = {};
    for (const [name, state] of allStates(definition)) {
      if (state.Type === 'Task') {
        this.integrationFor(machine, name, state); // fails now, not mid-run, on an unsupported resource
        // Timeouts are enforced by the override, scaled; the interpreter's own default (60 s) must not apply.
        const viaParameters = Boolean(state.TimeoutSecondsPath && state.Parameters);
        timeouts.set(name, { seconds: state.TimeoutSeconds, path: state.TimeoutSecondsPath, viaParameters });
        if (viaParameters && state.Parameters && state.TimeoutSecondsPath) {
          state.Parameters[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
        }
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
        state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
      }
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
        waitOverrides[name] = state.Seconds * 1000 * this.timeScale;
      }
      if (state.Retry) {
        retryOverrides[name] = state.Retry.map((r) => (r.IntervalSeconds ?? 1) * 1000 * this.timeScale);
      }
    }
    const interpreter = new AslInterpreter(definition as never, { validationOptions: { noValidate: true } });
    this.machines.set(machine.arn, { machine, interpreter, timeouts, waitOverrides, retryOverrides, validated: false });
  }

  get stateMachines(): SynthesizedStateMachine[] {
    return [...this.machines.values()].map((r) => r.machine);
  }

  /** Finds a registered state machine by ARN, name or logical id. */
  stateMachine(key: string): SynthesizedStateMachine {
    for (const { machine } of this.machines.values()) {
      if (machine.arn === key || machine.name === key || machine.logicalId === key) return machine;
    }
    throw new AwsServiceError('StateMachineDoesNotExist', `State machine does not exist: ${key}`);
  }

  /** Starts an execution; it runs in the background like the real service. */
  startExecution(stateMachineArn: string, input: unknown, name: string = randomUUID()): LocalExecution {
    const registered = this.machines.get(this.stateMachine(stateMachineArn).arn);
    if (!registered) throw new AwsServiceError('StateMachineDoesNotExist', stateMachineArn);
    const { machine } = registered;
    if (!registered.validated) {
      validateStateMachine(machine);
      registered.validated = true;
    }
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.executions.has(executionArn)) {
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution already exists: ${executionArn}`);
    }
    const startDate = new Date();
    const history: LocalExecution['history'] = [];
    const overrides = this.overridesFor(registered, executionArn, history);
    const run = registered.interpreter.run(
      input as never,
      {
        overrides: {
          taskResourceLocalHandlers: overrides,
          waitTimeOverrides: registered.waitOverrides,
          retryIntervalOverrides: registered.retryOverrides,
        },
        context: {
          Execution: {
            Id: executionArn,
            Input: input,
            Name: name,
            StartTime: startDate.toISOString(),
            RoleArn: 'local',
          },
          StateMachine: { Id: machine.arn, Name: machine.name },
          Task: { Token: TOKEN_PLACEHOLDER },
        },
      } as never,
    );
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input,
      startDate,
      status: 'RUNNING',
      history,
      abort: () => {
        run.abort();
        for (const entry of this.tokens.values()) {
          if (entry.executionArn !== executionArn || entry.state !== 'waiting') continue;
          // Settle the wait, so that its deadline timer is cleared and nothing outlives the run.
          entry.state = 'timed-out';
          entry.reject(new TaskError('States.Runtime', 'the execution was aborted'));
        }
      },
      done: run.result.then(
        (output: unknown) => {
          Object.assign(execution, { status: 'SUCCEEDED', output, stopDate: new Date() });
          return execution;
        },
        (error: Error & { cause?: unknown }) => {
          const failure = failureOf(error);
          const status: ExecutionStatus =
            error.name === 'ExecutionAbortedError'
              ? 'ABORTED'
              : error.name === 'ExecutionTimeoutError'
                ? 'TIMED_OUT'
                : 'FAILED';
          Object.assign(execution, { status, error: failure.error, cause: failure.cause, stopDate: new Date() });
          return execution;
        },
      ),
    };
    this.executions.set(executionArn, execution);
    const onEvent = this.options.onEvent;
    if (onEvent) {
      void (async () => {
        for await (const event of run.eventLogs) {
          if (event.type === 'StateEntered' || event.type === 'StateRetried')
            onEvent({ type: 'state-transition', executionArn, stateName: event.state.name });
        }
      })().catch(() => undefined);
    }
    this.options.onEvent?.({ type: 'execution-started', execution });
    void execution.done.then((finished) => this.options.onEvent?.({ type: 'execution-finished', execution: finished }));
    return execution;
  }

  execution(executionArn: string): LocalExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution does not exist: ${executionArn}`);
    return execution;
  }

  listExecutions(stateMachineArn?: string): LocalExecution[] {
    return [...this.executions.values()].filter((e) => !stateMachineArn || e.stateMachineArn === stateMachineArn);
  }

  /** Task tokens issued and not yet completed or timed out. */
  pendingTaskTokens(executionArn?: string): PendingTaskToken[] {
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

  sendTaskSuccess(token: string, output: unknown): void {
    const entry = this.liveToken(token);
    entry.state = 'completed';
    this.options.onEvent?.({ type: 'task-token-completed', pending: entry, outcome: 'success' });
    entry.resolve(output);
  }

  sendTaskFailure(token: string, error = 'TaskFailed', cause = ''): void {
    const entry = this.liveToken(token);
    entry.state = 'completed';
    this.options.onEvent?.({ type: 'task-token-completed', pending: entry, outcome: 'failure' });
    entry.reject(new TaskError(error, cause));
  }

  sendTaskHeartbeat(token: string): void {
    this.liveToken(token);
  }

  /**
   * Ends the task waiting on `token` as if its deadline had just passed: it fails with
   * `States.Timeout` and the token stops working. Lets a test walk a chain of deadlines
   * (escalations) in order, without waiting for scaled timers.
   */
  expireTask(token: string): void {
    const entry = this.liveToken(token);
    entry.state = 'timed-out';
    this.options.onEvent?.({ type: 'task-token-completed', pending: entry, outcome: 'timeout' });
    entry.reject(new TaskError('States.Timeout', 'the task deadline passed'));
  }

  /** Waits for every running execution to finish (for a clean shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Aborts running executions and rejects their waiting tasks. */
  stopAll(): void {
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') execution.abort();
  }

  /** The AWS JSON protocol operations served by the local endpoint (AWSStepFunctions.*). */
  operations(): Record<string, (input: Record<string, unknown>) => Promise<unknown> | unknown> {
    const epochSeconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
    return {
      StartExecution: (input) => {
        const raw = typeof input.input === 'string' ? input.input : '{}';
        const execution = this.startExecution(
          String(input.stateMachineArn),
          JSON.parse(raw),
          input.name as string | undefined,
        );
        return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
      },
      DescribeExecution: (input) => {
        const e = this.execution(String(input.executionArn));
        return {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: epochSeconds(e.startDate),
          stopDate: epochSeconds(e.stopDate),
          input: JSON.stringify(e.input),
          output: e.output === undefined ? undefined : JSON.stringify(e.output),
          error: e.error,
          cause: e.cause,
        };
      },
      StopExecution: (input) => {
        const e = this.execution(String(input.executionArn));
        e.abort();
        return { stopDate: Date.now() / 1000 };
      },
      SendTaskSuccess: (input) => {
        const output = JSON.parse(String(input.output ?? 'null'));
        this.sendTaskSuccess(String(input.taskToken), output);
        return {};
      },
      SendTaskFailure: (input) => {
        this.sendTaskFailure(
          String(input.taskToken),
          input.error as string | undefined,
          input.cause as string | undefined,
        );
        return {};
      },
      SendTaskHeartbeat: (input) => {
        this.sendTaskHeartbeat(String(input.taskToken));
        return {};
      },
    };
  }

  /** A task that timed out leaves its token unusable, as Step Functions does. */
  private expireTokens(executionArn: string, stateName: string): void {
    for (const entry of this.tokens.values()) {
      if (entry.state === 'waiting' && entry.executionArn === executionArn && entry.stateName === stateName) {
        entry.state = 'timed-out';
        this.options.onEvent?.({ type: 'task-token-completed', pending: entry, outcome: 'timeout' });
      }
    }
  }

  private liveToken(token: string): TokenEntry {
    const entry = this.tokens.get(token);
    if (!entry) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    if (entry.state !== 'waiting')
      throw new AwsServiceError('TaskTimedOut', 'Task Timed Out: provided task does not exist anymore');
    return entry;
  }

  private overridesFor(registered: Registered, executionArn: string, history: LocalExecution['history']) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of allStates(registered.machine.definition)) {
      if (state.Type !== 'Task') continue;
      const integration = this.integrationFor(registered.machine, name, state);
      const timeout = registered.timeouts.get(name);
      handlers[name] = async (rawInput: unknown) => {
        let input = rawInput;
        let seconds = timeout?.seconds;
        if (timeout?.path) {
          if (timeout.viaParameters && input && typeof input === 'object') {
            const { [TIMEOUT_FIELD]: fromParameters, ...rest } = input as Record<string, unknown>;
            seconds = Number(fromParameters);
            input = rest;
          } else {
            seconds = Number(JSONPath({ path: timeout.path, json: input as object, wrap: false }));
          }
        }
        try {
          const result = await withTimeout(integration(input, executionArn, name), seconds, this.timeScale);
          history.push({ state: name, at: new Date(), outcome: 'succeeded' });
          return result;
        } catch (error) {
          history.push({
            state: name,
            at: new Date(),
            outcome: 'failed',
            detail: `${(error as Error).name}: ${(error as Error).message}`,
          });
          if ((error as Error).name === 'States.Timeout') this.expireTokens(executionArn, name);
          throw error;
        }
      };
    }
    return handlers;
  }

  /** How one Task state runs locally; throws for a resource the local runtime cannot run. */
  private integrationFor(
    machine: SynthesizedStateMachine,
    stateName: string,
    state: AslState,
  ): (input: unknown, executionArn: string, stateName: string) => Promise<unknown> {
    const resource = String(state.Resource);
    const waitForToken = resource.endsWith('.waitForTaskToken');
    const base = resource.replace(/\.waitForTaskToken$/, '');
    const call = this.serviceCall(machine, stateName, base);
    if (!waitForToken) return (input) => call(input);
    return (input, executionArn, name) => {
      const token = `${randomUUID()}${randomUUID()}`.replaceAll('-', '');
      const parameters = replaceDeep(input, TOKEN_PLACEHOLDER, token);
      const { promise, resolve, reject } = Promise.withResolvers<unknown>();
      // A callback may complete the token before the task's own call returns (as on AWS); the
      // rejection is observed below, so it must not count as unhandled meanwhile.
      promise.catch(() => undefined);
      const entry: TokenEntry = {
        token,
        executionArn,
        stateName: name,
        issuedAt: new Date(),
        parameters,
        state: 'waiting',
        resolve,
        reject,
      };
      this.tokens.set(token, entry);
      this.options.onEvent?.({ type: 'task-token-issued', pending: entry });
      return call(parameters).then(
        () => promise,
        (error: unknown) => {
          // The notification itself failed: nobody holds this token, so it can never complete.
          entry.state = 'timed-out';
          throw error;
        },
      );
    };
  }

  private serviceCall(
    machine: SynthesizedStateMachine,
    stateName: string,
    resource: string,
  ): (input: unknown) => Promise<unknown> {
    const where = `${machine.stackName}/${machine.logicalId} state "${stateName}"`;
    const sdk = async <T>(prefix: string, send: () => Promise<T>): Promise<T> => {
      try {
        return await send();
      } catch (error) {
        throw new TaskError(`${prefix}.${(error as Error).name}`, (error as Error).message);
      }
    };
    if (/^arn:aws:lambda:[^:]+:\d+:function:/.test(resource)) {
      return (input) => this.invokeLambda(resource, input);
    }
    switch (resource) {
      case 'arn:aws:states:::lambda:invoke':
        return async (input) => {
          const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
          const payload = await this.invokeLambda(FunctionName, Payload ?? {});
          return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
        };
      case 'arn:aws:states:::sns:publish':
        return (input) => {
          const params = input as Record<string, unknown>;
          const Message = typeof params.Message === 'string' ? params.Message : JSON.stringify(params.Message);
          return sdk('SNS', () => this.sns.send(new PublishCommand({ ...(params as object), Message } as never)));
        };
      case 'arn:aws:states:::sqs:sendMessage':
        return (input) => {
          const params = input as Record<string, unknown>;
          const MessageBody =
            typeof params.MessageBody === 'string' ? params.MessageBody : JSON.stringify(params.MessageBody);
          return sdk('SQS', () =>
            this.sqs.send(new SendMessageCommand({ ...(params as object), MessageBody } as never)),
          );
        };
      case 'arn:aws:states:::dynamodb:putItem':
        return (input) =>
          sdk('DynamoDB', () => this.dynamodb.send(new PutItemCommand(input as never))).then(stripMetadata);
      case 'arn:aws:states:::dynamodb:getItem':
        return (input) =>
          sdk('DynamoDB', () => this.dynamodb.send(new GetItemCommand(input as never))).then(stripMetadata);
      case 'arn:aws:states:::dynamodb:updateItem':
        return (input) =>
          sdk('DynamoDB', () => this.dynamodb.send(new UpdateItemCommand(input as never))).then(stripMetadata);
      case 'arn:aws:states:::dynamodb:deleteItem':
        return (input) =>
          sdk('DynamoDB', () => this.dynamodb.send(new DeleteItemCommand(input as never))).then(stripMetadata);
      case 'arn:aws:states:::states:startExecution':
      case 'arn:aws:states:::states:startExecution.sync:2':
        return async (input) => {
          const { StateMachineArn, Input, Name } = input as { StateMachineArn: string; Input?: unknown; Name?: string };
          const child = this.startExecution(
            StateMachineArn,
            typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {}),
            Name,
          );
          if (resource === 'arn:aws:states:::states:startExecution') {
            return { ExecutionArn: child.executionArn, StartDate: child.startDate.toISOString() };
          }
          const finished = await child.done;
          if (finished.status !== 'SUCCEEDED')
            throw new TaskError('States.TaskFailed', `${finished.error}: ${finished.cause}`);
          return { ExecutionArn: finished.executionArn, Output: finished.output, Status: finished.status };
        };
      default:
        throw new Error(`${where}: resource ${resource} is not supported by the local runtime`);
    }
  }

  private async invokeLambda(functionKey: string, payload: unknown): Promise<unknown> {
    try {
      return await this.options.functions.invoke(functionKey, payload);
    } catch (error) {
      // Step Functions names a Lambda failure after the error the handler threw, and a throttled
      // invocation (reserved concurrency reached) after the Lambda service's error.
      const e = error as Error;
      if (e.name === 'TooManyRequestsException') throw new TaskError('Lambda.TooManyRequestsException', e.message);
      // A function whose process died mid-invocation (a crash plan of the fault injector): Step
      // Functions reports what Lambda tells it then, an error of unknown type.
      if (e.name === 'SimulatedCrash') throw new TaskError('Lambda.Unknown', e.message);
      throw new TaskError(e.name || 'Error', e.message);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, seconds: number | undefined, timeScale: number): Promise<T> {
  if (!seconds || !Number.isFinite(seconds)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TaskError('States.Timeout', `task timed out after ${seconds} s`)),
      seconds * 1000 * timeScale,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.replaceAll(from, to);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
}

function stripMetadata<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output;
  return rest;
}

function failureOf(error: Error & { cause?: unknown }): { error: string; cause: string } {
  // aws-local-stepfunctions wraps the state's error in an ExecutionError whose cause is the original.
  const inner = (error.cause as Error | undefined) ?? error;
  return { error: inner.name, cause: inner.message };
}

export type { AslDefinition };

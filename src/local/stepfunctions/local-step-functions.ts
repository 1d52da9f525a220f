// Local runtime: runs the synthesized state machines in-process with aws-local-stepfunctions.
// Lambda tasks run the production handlers and service integrations call the emulators
// (service-integrations.ts); task tokens are issued here and completed through the local endpoint
// (task-tokens.ts, api-operations.ts); Distributed Maps run their item reader and children here
// (distributed-map.ts).
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateMachine as AslInterpreter } from 'aws-local-stepfunctions';
import { JSONPath } from 'jsonpath-plus';
import { AwsServiceError } from '../aws-json-endpoint';
import type { LocalFunctions } from '../functions';
import { stepFunctionsOperations } from './api-operations';
import {
  type AslDefinition,
  type AslState,
  allStates,
  type SynthesizedStateMachine,
  validateStateMachine,
} from './asl';
import { type DistributedMapState, extractDistributedMaps, localS3, runDistributedMap } from './distributed-map';
import { type ExecutionHistory, type LocalExecution, settleWhenDone, TaskError } from './execution';
import { ServiceIntegrations } from './service-integrations';
import { type PendingTaskToken, type TaskTokenEvent, TaskTokens, TOKEN_PLACEHOLDER } from './task-tokens';

export type { ExecutionStatus, LocalExecution } from './execution';
export type { PendingTaskToken } from './task-tokens';

/** Seconds that stand for "no timeout" (what Step Functions does without TimeoutSeconds). */
const NO_TIMEOUT_SECONDS = 2_000_000;
/** Parameters field carrying a task's TimeoutSecondsPath value into its override. */
const TIMEOUT_FIELD = '__localTimeoutSeconds';

export type LocalStepFunctionsEvent =
  | { type: 'execution-started'; execution: LocalExecution }
  | { type: 'execution-finished'; execution: LocalExecution }
  | TaskTokenEvent
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

interface TaskTimeout {
  readonly seconds?: number;
  readonly path?: string;
  readonly viaParameters: boolean;
}

interface Registered {
  readonly machine: SynthesizedStateMachine;
  readonly interpreter: AslInterpreter;
  readonly timeouts: Map<string, TaskTimeout>;
  readonly waitOverrides: Record<string, number>;
  readonly retryOverrides: Record<string, number[]>;
  /** Distributed Map states (run here, not by the interpreter), with the interpreter of each's children. */
  readonly distributedMaps: Map<string, { readonly map: DistributedMapState; readonly children: AslInterpreter }>;
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
  private readonly tokens: TaskTokens;
  private readonly integrations: ServiceIntegrations;
  private readonly timeScale: number;
  private s3: S3Client | undefined;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.tokens = new TaskTokens((event) => options.onEvent?.(event));
    this.integrations = new ServiceIntegrations(options.functions, (arn, input, name) =>
      this.startExecution(arn, input, name),
    );
  }

  /** Registers a synthesized state machine; its tasks must all be runnable locally. */
  register(machine: SynthesizedStateMachine): void {
    const definition = structuredClone(machine.definition);
    const timeouts = new Map<string, TaskTimeout>();
    const waitOverrides: Record<string, number> = {};
    const retryOverrides: Record<string, number[]> = {};
    for (const [name, state] of allStates(definition)) {
      if (state.Type === 'Task') timeouts.set(name, this.takeTimeout(machine, name, state));
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
        waitOverrides[name] = state.Seconds * 1000 * this.timeScale;
      }
      if (state.Retry) {
        retryOverrides[name] = state.Retry.map((r) => (r.IntervalSeconds ?? 1) * 1000 * this.timeScale);
      }
    }
    const where = `${machine.stackName}/${machine.logicalId}`;
    const distributedMaps = new Map<string, { map: DistributedMapState; children: AslInterpreter }>();
    for (const [name, map] of extractDistributedMaps(definition, where)) {
      distributedMaps.set(name, { map, children: interpreterOf(map.processor) });
    }
    this.machines.set(machine.arn, {
      machine,
      interpreter: interpreterOf(definition),
      timeouts,
      waitOverrides,
      retryOverrides,
      distributedMaps,
      validated: false,
    });
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
    const history: ExecutionHistory = [];
    const context = {
      Execution: { Id: executionArn, Input: input, Name: name, StartTime: startDate.toISOString(), RoleArn: 'local' },
      StateMachine: { Id: machine.arn, Name: machine.name },
    };
    const overrides = this.overridesFor(registered, executionArn, history, context);
    const run = registered.interpreter.run(
      input as never,
      {
        overrides,
        context: { ...context, Task: { Token: TOKEN_PLACEHOLDER } },
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
        this.tokens.abortExecution(executionArn);
      },
      done: undefined as unknown as Promise<LocalExecution>,
    };
    Object.assign(execution, { done: settleWhenDone(execution, run.result) });
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
    return this.tokens.pending(executionArn);
  }

  sendTaskSuccess(token: string, output: unknown): void {
    this.tokens.succeed(token, output);
  }

  sendTaskFailure(token: string, error = 'TaskFailed', cause = ''): void {
    this.tokens.fail(token, error, cause);
  }

  sendTaskHeartbeat(token: string): void {
    this.tokens.heartbeat(token);
  }

  /**
   * Ends the task waiting on `token` as if its deadline had just passed: it fails with
   * `States.Timeout` and the token stops working. Lets a test walk a chain of deadlines
   * (escalations) in order, without waiting for scaled timers.
   */
  expireTask(token: string): void {
    this.tokens.expire(token);
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
  operations(): ReturnType<typeof stepFunctionsOperations> {
    return stepFunctionsOperations(this);
  }

  /**
   * A task's timeout, which its override enforces scaled (the interpreter's own default of 60 s
   * must not apply); fails now, not mid-run, on a resource the local runtime cannot run.
   */
  private takeTimeout(machine: SynthesizedStateMachine, name: string, state: AslState): TaskTimeout {
    this.integrationFor(machine, name, state);
    const viaParameters = Boolean(state.TimeoutSecondsPath && state.Parameters);
    const timeout = { seconds: state.TimeoutSeconds, path: state.TimeoutSecondsPath, viaParameters };
    if (viaParameters && state.Parameters && state.TimeoutSecondsPath) {
      state.Parameters[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
    }
    delete state.TimeoutSecondsPath;
    delete state.HeartbeatSeconds;
    delete state.HeartbeatSecondsPath;
    state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
    return timeout;
  }

  private overridesFor(
    registered: Registered,
    executionArn: string,
    history: ExecutionHistory,
    context: Record<string, unknown>,
  ) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const overrides = {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: registered.waitOverrides,
      retryIntervalOverrides: registered.retryOverrides,
    };
    for (const [name, state] of allStates(registered.machine.definition)) {
      if (state.Type !== 'Task') continue;
      const integration = this.integrationFor(registered.machine, name, state);
      const timeout = registered.timeouts.get(name);
      handlers[name] = (rawInput) =>
        recorded(history, name, async () => {
          const { input, seconds } = timeoutOf(timeout, rawInput);
          try {
            return await withTimeout(integration(input, executionArn, name), seconds, this.timeScale);
          } catch (error) {
            if ((error as Error).name === 'States.Timeout') this.tokens.expireTask(executionArn, name);
            throw error;
          }
        });
    }
    for (const [name, { map, children }] of registered.distributedMaps) {
      const runItem = (item: unknown) =>
        children.run(item as never, { overrides, context: { ...context, Task: { Token: TOKEN_PLACEHOLDER } } } as never)
          .result;
      handlers[name] = (input) =>
        recorded(history, name, () => {
          this.s3 ??= localS3();
          return runDistributedMap(map, input, { context, runItem }, () => this.s3 as S3Client);
        });
    }
    return overrides;
  }

  /** How one Task state runs locally; throws for a resource the local runtime cannot run. */
  private integrationFor(
    machine: SynthesizedStateMachine,
    stateName: string,
    state: AslState,
  ): (input: unknown, executionArn: string, stateName: string) => Promise<unknown> {
    const resource = String(state.Resource);
    const waitForToken = resource.endsWith('.waitForTaskToken');
    const call = this.integrations.callFor(machine, stateName, resource.replace(/\.waitForTaskToken$/, ''));
    if (!waitForToken) return (input) => call(input);
    return (input, executionArn, name) => this.tokens.waitFor(executionArn, name, input, call);
  }
}

function interpreterOf(definition: AslDefinition): AslInterpreter {
  return new AslInterpreter(definition as never, { validationOptions: { noValidate: true } });
}

/** Runs a state's work and records its outcome in the execution's history. */
async function recorded<T>(history: ExecutionHistory, state: string, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    history.push({ state, at: new Date(), outcome: 'succeeded' });
    return result;
  } catch (error) {
    const detail = `${(error as Error).name}: ${(error as Error).message}`;
    history.push({ state, at: new Date(), outcome: 'failed', detail });
    throw error;
  }
}

/** The task's input without the timeout field, and its timeout in seconds (static or from a path). */
function timeoutOf(timeout: TaskTimeout | undefined, rawInput: unknown): { input: unknown; seconds?: number } {
  if (!timeout?.path) return { input: rawInput, ...(timeout?.seconds ? { seconds: timeout.seconds } : {}) };
  if (timeout.viaParameters && rawInput && typeof rawInput === 'object') {
    const { [TIMEOUT_FIELD]: fromParameters, ...rest } = rawInput as Record<string, unknown>;
    return { input: rest, seconds: Number(fromParameters) };
  }
  return { input: rawInput, seconds: Number(JSONPath({ path: timeout.path, json: rawInput as object, wrap: false })) };
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

export type { AslDefinition };

// AWS adapters: faults injected into the SDK clients' own middleware, to see what the pipeline does
// when AWS misbehaves. Off unless AWS_FAULT_INJECTION is set (the local runtime's `--faults`, the
// adversarial tests); never set in Lambda, and never in a function's bundle: this module registers
// itself with the client factory (clients.ts) when the local runtime or a test loads it. Below the SDK's deserializer, a fault is an HTTP response
// as the service would send it (S3 `SlowDown` 503, DynamoDB `ProvisionedThroughputExceededException`,
// `ThrottlingException`, Lambda `TooManyRequestsException`, 5xx) or a socket timeout, before the
// request is sent or after the service applied it; the SDK parses and retries it as it would a real
// one. A crash plan instead stops one invocation of one function at its n-th write, as if the
// process had died there (before or after that write reached AWS): every later call of that
// invocation fails too, and the next invocation (the rerun) starts afresh.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pluggable } from '@smithy/types';
import { registerFaultInjection } from './clients';

export type FaultKind = 'throttle' | 'server' | 'timeout' | 'timeout-after';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server', 'timeout', 'timeout-after'];

export interface FaultPlan {
  /** Share of attempts (0 to 1) that fail. */
  readonly rate: number;
  /** Which faults to draw from, equally likely. @default every kind */
  readonly kinds?: readonly FaultKind[];
  /** Seed of the draw, so a run can be repeated. @default 1 */
  readonly seed?: number;
  /** How long an injected socket timeout hangs before failing, in ms. @default 100 */
  readonly timeoutMs?: number;
  /** Functions (entries under functions/) whose invocations run without faults. @default none */
  readonly except?: readonly string[];
}

export interface CrashPlan {
  /** The function (its entry under functions/) whose invocation dies. */
  readonly entry: string;
  /** The write of that function (1-based, counted from when the plan is armed) at which it dies. */
  readonly atWrite: number;
  /** Die before the write is sent, or after AWS applied it and before its answer is read. */
  readonly when: 'before' | 'after';
}

/** What the injector saw and did since the counters were last reset. */
export interface FaultStats {
  /** Commands sent by the code (one per `client.send`). */
  calls: number;
  /** HTTP attempts, retries included: `attempts - calls` is the number of retries. */
  attempts: number;
  /** Faults injected, by kind. */
  injected: Record<FaultKind, number>;
  /** Commands that failed for good on a throttle, a 5xx or a timeout (the SDK's retries ran out). */
  failed: number;
  /** Time spent in attempts that failed, ms (timeouts' hang included). */
  failedAttemptMs: number;
  /** Writes of the crash plan's function since it was armed, and whether it fired. */
  writes: number;
  crashed: boolean;
}

interface Invocation {
  readonly entry: string;
  /** The process of this invocation "died": every later call fails. */
  dead: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();

/** Runs one invocation of the function `entry` (the local runtime wraps every handler call in it). */
export function runInvocation<T>(entry: string, run: () => Promise<T>): Promise<T> {
  return invocations.run({ entry, dead: false }, run);
}

/** The error a crash plan raises: not retryable, as a dead process retries nothing. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

const READ_PREFIXES = ['Get', 'List', 'Query', 'Scan', 'Describe', 'Head', 'BatchGet', 'Select'];

/** Whether a command changes something at AWS (everything but reads). */
export function isWriteCommand(commandName: string): boolean {
  return !READ_PREFIXES.some((prefix) => commandName.startsWith(prefix));
}

const emptyStats = (): FaultStats => ({
  calls: 0,
  attempts: 0,
  injected: { throttle: 0, server: 0, timeout: 0, 'timeout-after': 0 },
  failed: 0,
  failedAttemptMs: 0,
  writes: 0,
  crashed: false,
});

let plan: FaultPlan = { rate: 0 };
let crash: CrashPlan | null = null;
let stats = emptyStats();
let random = mulberry32(1);

/** The controls of the injector, shared by every client built with it in this process. */
export const faultInjection = {
  /** Replaces the fault plan (and restarts its seeded draw). */
  setPlan(next: FaultPlan): void {
    plan = next;
    random = mulberry32(next.seed ?? 1);
  },
  /** Arms a crash plan; writes are counted from here. `null` disarms it. */
  setCrash(next: CrashPlan | null): void {
    crash = next;
    stats.writes = 0;
    stats.crashed = false;
  },
  stats(): FaultStats {
    return structuredClone(stats);
  },
  resetStats(): void {
    stats = emptyStats();
  },
};

/** Parses AWS_FAULT_INJECTION: JSON `{"rate":0.05,"kinds":[...],"seed":7,"timeoutMs":100}`, or a bare rate `0.05`. */
export function parseFaultPlan(text: string): FaultPlan {
  const value = /^\s*[0-9.]+\s*$/.test(text) ? { rate: Number(text) } : (JSON.parse(text) as FaultPlan);
  if (!(typeof value.rate === 'number' && value.rate >= 0 && value.rate <= 1)) {
    throw new Error(`AWS_FAULT_INJECTION: rate must be a number from 0 to 1, got ${JSON.stringify(value.rate)}`);
  }
  for (const kind of value.kinds ?? []) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`AWS_FAULT_INJECTION: unknown fault kind ${JSON.stringify(kind)}`);
  }
  return value;
}

let configured: string | undefined;

/**
 * The middleware for one client, plan taken from `spec` (AWS_FAULT_INJECTION) the first time it is
 * seen in the process. Add it with `client.middlewareStack.use(faultInjectionPlugin(spec))`.
 */
export function faultInjectionPlugin(spec: string): Pluggable<object, object> {
  if (configured !== spec) {
    configured = spec;
    faultInjection.setPlan(parseFaultPlan(spec));
  }
  return {
    applyToStack(stack) {
      // Outermost: one count per command, whatever the retries below it do.
      stack.add(
        (next) => async (args) => {
          stats.calls += 1;
          try {
            return await next(args);
          } catch (error) {
            if (isFaultError(error)) stats.failed += 1;
            throw error;
          }
        },
        { step: 'initialize', priority: 'high', name: 'faultInjectionCalls', override: true },
      );
      // Innermost, under the deserializer: each HTTP attempt, answered by AWS or by a fault.
      stack.add(
        (next, context) => async (args) => {
          stats.attempts += 1;
          const started = Date.now();
          const { clientName = '', commandName = '' } = context as { clientName?: string; commandName?: string };
          const write = isWriteCommand(commandName);
          const invocation = invocations.getStore();
          if (invocation?.dead) throw new SimulatedCrash(`the process died before ${commandName}`);
          if (crash && !stats.crashed && write && invocation?.entry === crash.entry) {
            stats.writes += 1;
            if (stats.writes === crash.atWrite) {
              stats.crashed = true;
              invocation.dead = true;
              if (crash.when === 'before') throw new SimulatedCrash(`the process died before ${commandName}`);
              const result = await next(args);
              await drain((result as { response?: { body?: unknown } }).response?.body);
              throw new SimulatedCrash(`the process died after ${commandName} reached AWS`);
            }
          }
          if (plan.rate <= 0 || (invocation && plan.except?.includes(invocation.entry))) return next(args);
          if (random() >= plan.rate) return next(args);
          const kinds = (plan.kinds ?? FAULT_KINDS).filter((k) => k !== 'timeout-after' || write);
          const kind = kinds[Math.floor(random() * kinds.length)] ?? 'throttle';
          stats.injected[kind] += 1;
          try {
            if (kind === 'timeout' || kind === 'timeout-after') {
              if (kind === 'timeout-after') {
                const result = await next(args);
                await drain((result as { response?: { body?: unknown } }).response?.body);
              }
              await new Promise((resolve) => setTimeout(resolve, plan.timeoutMs ?? 100));
              throw Object.assign(new Error(`socket timed out (injected) during ${commandName}`), {
                name: 'TimeoutError',
                code: 'ETIMEDOUT',
              });
            }
            return { response: faultResponse(clientName, kind), output: undefined } as never;
          } finally {
            stats.failedAttemptMs += Date.now() - started;
          }
        },
        { step: 'deserialize', priority: 'low', name: 'faultInjectionAttempts', override: true },
      );
    },
  };
}

const FAULT_ERROR_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'TooManyRequestsException',
  'TimeoutError',
]);

/** A throttle, a 5xx or a timeout, injected or real (not a conditional failure or a client error). */
function isFaultError(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return FAULT_ERROR_NAMES.has(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500;
}

/** Reads a response body to its end, so the connection goes back to the pool. */
async function drain(body: unknown): Promise<void> {
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const _ of body as AsyncIterable<unknown>) {
      // discard
    }
  }
}

interface FakeResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** The error response the service itself sends for this kind of fault, in its protocol. */
export function faultResponse(clientName: string, kind: 'throttle' | 'server'): FakeResponse {
  const requestId = `injected-${Math.floor(random() * 1e12).toString(36)}`;
  const text = (statusCode: number, contentType: string, body: string, headers: Record<string, string> = {}) => ({
    statusCode,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, ...headers },
    body: new TextEncoder().encode(body),
  });
  const xmlError = (statusCode: number, code: string, message: string) =>
    text(
      statusCode,
      'application/xml',
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
    );
  const queryError = (statusCode: number, code: string, message: string) =>
    text(
      statusCode,
      'text/xml',
      `<ErrorResponse><Error><Type>${statusCode >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  const jsonError = (statusCode: number, contentType: string, code: string, message: string) =>
    text(statusCode, contentType, JSON.stringify({ __type: code, message }), { 'x-amzn-errortype': code });
  const throttle = kind === 'throttle';
  switch (clientName) {
    case 'S3Client':
      return throttle
        ? xmlError(503, 'SlowDown', 'Please reduce your request rate.')
        : xmlError(500, 'InternalError', 'We encountered an internal error. Please try again.');
    case 'SNSClient':
      return throttle
        ? queryError(400, 'Throttling', 'Rate exceeded')
        : queryError(500, 'InternalError', 'Internal error');
    case 'DynamoDBClient':
      return throttle
        ? jsonError(
            400,
            'application/x-amz-json-1.0',
            'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded.',
          )
        : jsonError(
            500,
            'application/x-amz-json-1.0',
            'com.amazonaws.dynamodb.v20120810#InternalServerError',
            'Internal server error',
          );
    case 'LambdaClient':
      return throttle
        ? jsonError(429, 'application/json', 'TooManyRequestsException', 'Rate Exceeded.')
        : jsonError(500, 'application/json', 'ServiceException', 'Lambda was unable to process the request.');
    case 'SchedulerClient':
      return throttle
        ? jsonError(429, 'application/json', 'ThrottlingException', 'Rate exceeded')
        : jsonError(500, 'application/json', 'InternalServerException', 'Internal error');
    default: {
      // The AWS JSON protocol services: Step Functions, Secrets Manager, SQS.
      const contentType =
        clientName === 'SecretsManagerClient' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
      return throttle
        ? jsonError(400, contentType, 'ThrottlingException', 'Rate exceeded')
        : jsonError(500, contentType, 'InternalServerError', 'Internal error');
    }
  }
}

/** A small seeded generator (mulberry32): the same seed draws the same faults in the same order. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Clients built from an environment with AWS_FAULT_INJECTION carry the injector once it is loaded.
registerFaultInjection(faultInjectionPlugin);

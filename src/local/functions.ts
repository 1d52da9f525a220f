// Local runtime: the synthesized Lambda functions, run in-process. Each is the production handler
// module (functions/<entry>.ts) built with the environment its template gives it.
import path from 'node:path';
import { repoRoot } from '../../lib/repo-root';
import { runInvocation } from '../adapters/aws/fault-injection';
import type { Environment } from '../runtime/environment';
import type { LambdaHandler } from '../runtime/handler';
import type { TemplateResolver } from './template';

const functionsDir = path.join(repoRoot, 'functions');

/** Template metadata key set by lib/constructs/kpi-function.ts. */
const ENTRY_METADATA = 'agentKpi:entry';

export interface LocalFunction {
  readonly stackName: string;
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** File name under functions/, without extension. */
  readonly entry: string;
  /** The environment variables of the template, resolved to local names. */
  readonly environment: Record<string, string>;
  /** The function's timeout in the template (Lambda's default, 3 s, when it sets none). */
  readonly timeoutSeconds: number;
  /** The function's memory in the template (Lambda's default, 128 MB, when it sets none). */
  readonly memoryMb: number;
  /** ReservedConcurrentExecutions of the template: at most this many invocations run at once. */
  readonly reservedConcurrency?: number;
}

export class LocalFunctionNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** Lambda's answer to an invocation beyond the function's reserved concurrency (HTTP 429). */
export class LocalFunctionThrottledError extends Error {
  override readonly name = 'TooManyRequestsException';
}

interface HandlerModule {
  create?: (env: Environment) => LambdaHandler<unknown>;
}

/** One finished invocation, as Lambda would bill it: the function and how long its handler ran. */
export interface LocalInvocation {
  readonly fn: LocalFunction;
  readonly durationMs: number;
  /** The event the handler got. */
  readonly event: unknown;
}

/** Every function of the app, invocable by name, ARN, logical id or entry. */
export class LocalFunctions {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly observers = new Set<(invocation: LocalInvocation) => void>();
  private readonly handlers = new Map<string, Promise<LambdaHandler<unknown>>>();
  private readonly running = new Map<string, number>();

  /**
   * @param baseEnvironment what every function sees beneath its template environment (endpoints, region)
   * @param overrides variables set on top of every function's template environment
   */
  constructor(
    resolver: TemplateResolver,
    private readonly baseEnvironment: () => Environment,
    private readonly overrides: Record<string, string> = {},
  ) {
    for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::Lambda::Function')) {
      const entry = resource.Metadata?.[ENTRY_METADATA];
      // Functions CDK adds on its own (custom resources, log retention) are not the pipeline's.
      if (typeof entry !== 'string') continue;
      const variables = (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables;
      const environment = Object.fromEntries(
        Object.entries((resolver.resolve(stackName, variables ?? {}) as Record<string, unknown>) ?? {}).map(
          ([k, v]) => [k, String(v)],
        ),
      );
      const reserved = resource.Properties?.ReservedConcurrentExecutions;
      const fn: LocalFunction = {
        stackName,
        logicalId,
        functionName: resolver.physicalName(stackName, logicalId),
        arn: resolver.arn(stackName, logicalId),
        entry,
        timeoutSeconds: Number(resource.Properties?.Timeout ?? 3),
        memoryMb: Number(resource.Properties?.MemorySize ?? 128),
        environment: {
          ...environment,
          ...Object.fromEntries(Object.entries(this.overrides).filter(([k]) => k in environment)),
        },
        ...(typeof reserved === 'number' ? { reservedConcurrency: reserved } : {}),
      };
      for (const key of [fn.functionName, fn.arn, fn.logicalId]) this.byKey.set(key, fn);
      // Several functions may share an entry; the first one registered answers to the entry name.
      if (!this.byKey.has(entry)) this.byKey.set(entry, fn);
    }
  }

  list(): LocalFunction[] {
    return [...new Set(this.byKey.values())];
  }

  /** Finds a function by name, ARN (with or without qualifier), logical id or entry. */
  get(key: string): LocalFunction {
    const unqualified = key.startsWith('arn:') ? key.split(':').slice(0, 7).join(':') : key;
    const fn = this.byKey.get(unqualified);
    if (!fn) throw new LocalFunctionNotFoundError(`no local function ${key}`);
    return fn;
  }

  /**
   * Invokes a function with an event, as Lambda would: same handler module, same environment, and
   * beyond its reserved concurrency a `TooManyRequestsException` instead of a run.
   */
  async invoke(key: string, event: unknown): Promise<unknown> {
    const fn = this.get(key);
    const running = this.running.get(fn.functionName) ?? 0;
    if (fn.reservedConcurrency !== undefined && running >= fn.reservedConcurrency) {
      throw new LocalFunctionThrottledError(
        `Rate Exceeded: ${fn.functionName} runs ${running} of its ${fn.reservedConcurrency} reserved executions`,
      );
    }
    this.running.set(fn.functionName, running + 1);
    const started = performance.now();
    try {
      const handler = await this.handler(fn);
      // One invocation, for the fault injector's crash plans (a crashed invocation stays dead).
      return await runInvocation(fn.entry, () => handler(event, localContext(fn)));
    } finally {
      this.running.set(fn.functionName, (this.running.get(fn.functionName) ?? 1) - 1);
      for (const observer of this.observers) observer({ fn, durationMs: performance.now() - started, event });
    }
  }

  /**
   * Calls `observer` after every invocation (e.g. to count requests and GB-seconds); returns the
   * function that stops it.
   */
  observe(observer: (invocation: LocalInvocation) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** The environment a function's handler runs with: the endpoints and region, then its template's variables. */
  environmentOf(fn: LocalFunction): Environment {
    return { ...this.baseEnvironment(), ...fn.environment, AWS_LAMBDA_FUNCTION_NAME: fn.functionName };
  }

  private handler(fn: LocalFunction): Promise<LambdaHandler<unknown>> {
    let handler = this.handlers.get(fn.functionName);
    if (!handler) {
      handler = import(path.join(functionsDir, `${fn.entry}.ts`)).then((module: HandlerModule) => {
        if (typeof module.create !== 'function') {
          throw new Error(`functions/${fn.entry}.ts does not export create(env) (use defineHandler)`);
        }
        return module.create(this.environmentOf(fn));
      });
      this.handlers.set(fn.functionName, handler);
    }
    return handler;
  }
}

let invocationCounter = 0;

function localContext(fn: LocalFunction) {
  invocationCounter += 1;
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: `local-${process.pid}-${invocationCounter}`,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: 'local',
    // As in Lambda: the time left of the function's timeout (a long ingestion paces itself by it).
    getRemainingTimeInMillis: () => Math.max(0, started + fn.timeoutSeconds * 1000 - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

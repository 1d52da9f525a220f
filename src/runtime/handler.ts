// Runtime: the shape of every Lambda handler. Dependencies are built once per cold start from a
// validated environment; each invocation parses its event with zod, runs one use case with
// structured logs, metrics and a trace segment, and flushes metrics.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { type AwsClients, type AwsService, createAwsClients, lazyAwsClient } from '../adapters/aws/clients';
import { ValidationError } from '../domain/errors';
import { type Environment, readEnvironment } from './environment';
import { installLazySourceMaps } from './source-maps';

// In a bundle, `import.meta.url` is the bundle itself: its stack frames map to the sources through
// the map beside it, read the first time an error's stack is printed.
installLazySourceMaps(import.meta.url);

export { MetricUnit };

/** What every handler gets besides its own dependencies. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Present when tracing is on (in Lambda, unless POWERTOOLS_TRACE_ENABLED is false). */
  readonly tracer: Tracer | undefined;
}

export interface HandlerSpec<
  Env,
  Event,
  Deps,
  Result,
  Service extends AwsService = never,
  OnDemand extends AwsService = never,
> {
  /** Service name in logs, metrics and traces; matches POWERTOOLS_SERVICE_NAME in CDK. */
  readonly name: string;
  /** The function's environment; variables without a default are required. */
  readonly environment: z.ZodType<Env>;
  /** The event the function accepts; anything else fails with ValidationError. */
  readonly event: z.ZodType<Event>;
  /**
   * The AWS services whose clients `dependencies` uses. Only their SDK packages are loaded: every
   * other client stays out of the cold start.
   */
  readonly clients: readonly Service[];
  /**
   * The AWS services only some invocations use: `dependencies` gets a loader for each through
   * `lazyClient`, and the SDK package is imported on the first call, not at cold start.
   * @default none
   */
  readonly lazyClients?: readonly OnDemand[];
  /**
   * Builds adapters and use-case dependencies once per cold start. `lazyClient(service)` is a loader
   * for a client that only some invocations use (see `ClientSource`): its SDK package is imported on
   * the first call, not at cold start.
   */
  readonly dependencies: (
    env: Env,
    context: {
      clients: Pick<AwsClients, Service>;
      lazyClient: <S extends OnDemand>(service: S) => () => Promise<AwsClients[S]>;
    } & Observability,
  ) => Deps | Promise<Deps>;
  /** Runs one invocation. */
  readonly run: (event: Event, deps: Deps, context: Observability & { lambda?: Context }) => Promise<Result>;
  /** A correlation id to put on every log line of the invocation (a run id, an approval id). */
  readonly correlationId?: (event: Event) => string | undefined;
}

export type LambdaHandler<Result> = (event: unknown, context?: Context) => Promise<Result>;

export interface DefinedHandler<Result> {
  /** The Lambda entry point; builds from `process.env` on first call. */
  readonly handler: LambdaHandler<Result>;
  /** The same handler built from an explicit environment (the local runtime, tests). */
  readonly create: (env: Environment) => LambdaHandler<Result>;
  /** The services whose clients are loaded at cold start, and those loaded on first use. */
  readonly services: { readonly atColdStart: readonly AwsService[]; readonly onDemand: readonly AwsService[] };
}

/**
 * Declares a handler. The module exports `handler` for Lambda; the local runtime calls
 * `create(environmentFromTemplate)` so the function sees exactly the variables CDK gives it.
 *
 * @example
 * export const { handler, create } = defineHandler({ name: 'self-check', environment, event, dependencies, run });
 */
/**
 * The X-Ray tracer, only inside Lambda with tracing on. It is imported on demand: the X-Ray SDK
 * installs async hooks when loaded, which slow every promise of the local runtime for nothing.
 */
async function loadTracer(serviceName: string, env: Environment): Promise<Tracer | undefined> {
  const inLambda = env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda') === true;
  if (!inLambda || env.POWERTOOLS_TRACE_ENABLED === 'false') return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = new Tracer({ serviceName });
  return tracer.isTracingEnabled() ? tracer : undefined;
}

export function defineHandler<
  Env,
  Event,
  Deps,
  Result,
  Service extends AwsService = never,
  OnDemand extends AwsService = never,
>(spec: HandlerSpec<Env, Event, Deps, Result, Service, OnDemand>): DefinedHandler<Result> {
  const create = (env: Environment): LambdaHandler<Result> => {
    let ready: Promise<{ deps: Deps; observability: Observability }> | undefined;
    let coldStart = true;
    const init = async () => {
      const logger = new Logger({ serviceName: spec.name });
      const metrics = new Metrics({ serviceName: spec.name });
      const tracer = await loadTracer(spec.name, env);
      const observability = { logger, metrics, tracer };
      const parsedEnv = readEnvironment(spec.environment, env, spec.name);
      const instrument = <T>(client: T): T => (tracer ? tracer.captureAWSv3Client(client) : client);
      const clients = await createAwsClients(env, { services: spec.clients, instrument });
      const loaders = new Map<AwsService, () => Promise<unknown>>();
      const lazyClient = <S extends OnDemand>(service: S) => {
        if (!spec.lazyClients?.includes(service)) {
          throw new Error(`${spec.name}: ${service} is not among the handler's lazyClients`);
        }
        const loader = loaders.get(service) ?? lazyAwsClient(env, service, { instrument });
        loaders.set(service, loader);
        return loader as () => Promise<AwsClients[S]>;
      };
      const deps = await spec.dependencies(parsedEnv, { clients, lazyClient, ...observability });
      return { deps, observability };
    };
    return async (rawEvent, lambdaContext) => {
      if (!ready) {
        ready = init();
        // A failed cold start must not poison every later invocation of a warm container.
        ready.catch(() => {
          ready = undefined;
        });
      }
      const { deps, observability } = await ready;
      const { logger, metrics, tracer } = observability;
      if (lambdaContext) logger.addContext(lambdaContext);
      if (coldStart) {
        metrics.captureColdStartMetric();
        coldStart = false;
      }
      const parsed = spec.event.safeParse(rawEvent);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
        logger.error('rejected an invalid event', { problems });
        throw new ValidationError(`${spec.name}: invalid event: ${problems.join('; ')}`);
      }
      const correlationId = spec.correlationId?.(parsed.data);
      if (correlationId) logger.appendKeys({ correlationId });

      const segment = tracer?.getSegment();
      const subsegment = segment?.addNewSubsegment(`## ${spec.name}`);
      if (subsegment && tracer) {
        tracer.setSegment(subsegment);
        tracer.annotateColdStart();
        tracer.addServiceNameAnnotation();
      }
      try {
        const result = await spec.run(parsed.data, deps, {
          ...observability,
          ...(lambdaContext ? { lambda: lambdaContext } : {}),
        });
        return result;
      } catch (error) {
        logger.error('invocation failed', error as Error);
        subsegment?.addError(error as Error);
        throw error;
      } finally {
        if (subsegment && segment) {
          subsegment.close();
          tracer?.setSegment(segment);
        }
        // A handler may emit metrics on some paths only; an empty flush would just log a warning.
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
        logger.resetKeys();
      }
    };
  };
  let fromProcessEnv: LambdaHandler<Result> | undefined;
  const handler: LambdaHandler<Result> = (event, context) => {
    fromProcessEnv ??= create(process.env);
    return fromProcessEnv(event, context);
  };
  const services = { atColdStart: [...spec.clients], onDemand: [...(spec.lazyClients ?? [])] };
  return { handler, create, services };
}

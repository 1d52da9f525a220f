// AWS adapters: the one place SDK clients are built. Endpoints come from the standard
// AWS_ENDPOINT_URL_<SERVICE> variables, so the same code talks to AWS or to the local emulators.
// Each SDK package is imported on demand, for the services asked for only: a Lambda handler that
// needs S3 and DynamoDB never loads the other six clients (each costs tens of milliseconds of cold
// start), and a client that only some paths use is loaded on the first of them (`lazyAwsClient`,
// handed to adapters as a `ClientSource`). The packages are imported with a literal specifier so that bundlers leave them to the
// Lambda runtime's SDK (they are external) and never see one package loaded under two names.

import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Pluggable } from '@smithy/types';
import type { Environment } from '../../contracts/environment';

export interface AwsClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly scheduler: SchedulerClient;
  readonly secrets: SecretsManagerClient;
  readonly lambda: LambdaClient;
}

/** Attempts per AWS call, retries included, unless AWS_MAX_ATTEMPTS says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** A service a client is built for: a key of {@link AwsClients}. */
export type AwsService = keyof AwsClients;

/** Every service, in the order `createAwsClients` loads them when none are named. */
export const AWS_SERVICES: readonly AwsService[] = [
  'dynamodb',
  's3',
  'sns',
  'sqs',
  'sfn',
  'scheduler',
  'secrets',
  'lambda',
];

/** The SDK packages each service's client loads. */
export const AWS_SERVICE_PACKAGES: { readonly [S in AwsService]: readonly string[] } = {
  dynamodb: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
  s3: ['@aws-sdk/client-s3'],
  sns: ['@aws-sdk/client-sns'],
  sqs: ['@aws-sdk/client-sqs'],
  sfn: ['@aws-sdk/client-sfn'],
  scheduler: ['@aws-sdk/client-scheduler'],
  secrets: ['@aws-sdk/client-secrets-manager'],
  lambda: ['@aws-sdk/client-lambda'],
};

export interface AwsClientOptions<S extends AwsService = AwsService> {
  /** The services to build clients for. @default every service */
  readonly services?: readonly S[];
  /** Wraps each client once it is built, e.g. `tracer.captureAWSv3Client`. */
  readonly instrument?: <T>(client: T) => T;
}

interface ClientSettings {
  readonly env: Environment;
  readonly base: { region?: string; maxAttempts: number };
}

/** How each service's client is loaded and configured. */
const builders: { readonly [S in AwsService]: (settings: ClientSettings) => Promise<() => AwsClients[S]> } = {
  async dynamodb({ base }) {
    const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('@aws-sdk/lib-dynamodb'),
    ]);
    return () =>
      DynamoDBDocumentClient.from(new DynamoDBClient(base), {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      });
  },
  async s3({ env, base }) {
    const { S3Client } = await import('@aws-sdk/client-s3');
    // Emulators need path-style addressing, which AWS accepts too.
    const forcePathStyle = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
    return () => new S3Client({ ...base, forcePathStyle });
  },
  async sns({ base }) {
    const { SNSClient } = await import('@aws-sdk/client-sns');
    return () => new SNSClient(base);
  },
  async sqs({ env, base }) {
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    // Against an emulator, queue URLs may name a host that does not resolve; the endpoint decides.
    const useQueueUrlAsEndpoint = !(env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL);
    return () => new SQSClient({ ...base, useQueueUrlAsEndpoint });
  },
  async sfn({ base }) {
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    return () => new SFNClient(base);
  },
  async scheduler({ base }) {
    const { SchedulerClient } = await import('@aws-sdk/client-scheduler');
    return () => new SchedulerClient(base);
  },
  async secrets({ base }) {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    return () => new SecretsManagerClient(base);
  },
  async lambda({ base }) {
    const { LambdaClient } = await import('@aws-sdk/client-lambda');
    return () => new LambdaClient(base);
  },
};

/**
 * Loads the SDK packages of `options.services` (every service when omitted) and returns their
 * clients, each built on first use.
 *
 * @example
 * const clients = await createAwsClients(process.env, { services: ['s3'] });
 * await clients.s3.send(new HeadBucketCommand({ Bucket }));
 */
/** What the fault injector registers when it is loaded (src/adapters/aws/fault-injection.ts). */
type FaultPluginFactory = (spec: string) => Pluggable<object, object>;
let faultPluginFactory: FaultPluginFactory | undefined;

/**
 * Called by the fault injector's module when it is loaded (by the local runtime and the tests that
 * inject faults), so that the functions' bundles never carry it.
 */
export function registerFaultInjection(factory: FaultPluginFactory): void {
  faultPluginFactory = factory;
}

function faultPlugin(spec: string): Pluggable<object, object> {
  if (!faultPluginFactory) {
    throw new Error('AWS_FAULT_INJECTION is set, but the fault injector is not loaded: it runs locally only');
  }
  return faultPluginFactory(spec);
}

export async function createAwsClients<S extends AwsService = AwsService>(
  env: Environment = process.env,
  options: AwsClientOptions<S> = {},
): Promise<Pick<AwsClients, S>> {
  const instrument = options.instrument ?? (<T>(client: T) => client);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Five attempts rather than the SDK's three: under a brown-out (throttling, 5xx, timeouts on a
  // twentieth of calls) one call in three million still fails, instead of one in eight thousand.
  const maxAttempts = Number(env.AWS_MAX_ATTEMPTS ?? DEFAULT_MAX_ATTEMPTS);
  const settings: ClientSettings = { env, base: { ...(region ? { region } : {}), maxAttempts } };
  // Faults injected into every client's middleware, when the local runtime or a test asks for them.
  const faults = env.AWS_FAULT_INJECTION ? faultPlugin(env.AWS_FAULT_INJECTION) : undefined;
  const services = [...new Set(options.services ?? (AWS_SERVICES as readonly S[]))];
  const factories = await Promise.all(services.map((service) => builders[service](settings)));
  const clients: Partial<Record<S, unknown>> = {};
  services.forEach((service, i) => {
    const build = factories[i] as () => unknown;
    let client: unknown;
    Object.defineProperty(clients, service, {
      enumerable: true,
      get: () => {
        if (client === undefined) {
          const built = build() as { middlewareStack: { use(plugin: NonNullable<typeof faults>): void } };
          if (faults) built.middlewareStack.use(faults);
          client = instrument(built);
        }
        return client;
      },
    });
  });
  return clients as Pick<AwsClients, S>;
}

/**
 * A client, or a function that loads its SDK package and builds it on the first call: adapters that
 * only some invocations use take one, so that the others never load the package.
 */
export type ClientSource<T> = T | (() => Promise<T>);

/** The client of `source`, loaded and built if it is a loader. */
export async function clientOf<T extends object>(source: ClientSource<T>): Promise<T> {
  return typeof source === 'function' ? await source() : source;
}

/**
 * A loader of one service's client: the SDK package is imported and the client built on the first
 * call (once; a failed load is retried by the next call), with the same settings as
 * {@link createAwsClients}.
 *
 * @example
 * const sfn = lazyAwsClient(process.env, 'sfn');
 * await (await sfn()).send(new StartExecutionCommand({ ... }));
 */
export function lazyAwsClient<S extends AwsService>(
  env: Environment,
  service: S,
  options: Omit<AwsClientOptions<S>, 'services'> = {},
): () => Promise<AwsClients[S]> {
  let client: Promise<AwsClients[S]> | undefined;
  return () => {
    client ??= createAwsClients(env, { ...options, services: [service] }).then(
      (clients) => clients[service],
      (error: unknown) => {
        client = undefined;
        throw error;
      },
    );
    return client;
  };
}

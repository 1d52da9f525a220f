// AWS adapters: the one place SDK clients are built. Endpoints come from the standard
// AWS_ENDPOINT_URL_<SERVICE> variables, so the same code talks to AWS or to the local emulators.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment } from '../../runtime/environment';
import { faultInjectionPlugin } from './fault-injection';

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

export interface AwsClientOptions {
  /** Wraps each client once it is built, e.g. `tracer.captureAWSv3Client`. */
  readonly instrument?: <T>(client: T) => T;
}

/**
 * Builds SDK v3 clients on first use. With `AWS_ENDPOINT_URL_S3` set, S3 switches to path-style
 * addressing, which emulators need and AWS accepts.
 *
 * @example
 * const clients = createAwsClients(process.env, { instrument: (c) => tracer.captureAWSv3Client(c) });
 * await clients.s3.send(new HeadBucketCommand({ Bucket }));
 */
export function createAwsClients(env: Environment = process.env, options: AwsClientOptions = {}): AwsClients {
  const instrument = options.instrument ?? (<T>(client: T) => client);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Five attempts rather than the SDK's three: under a brown-out (throttling, 5xx, timeouts on a
  // twentieth of calls) one call in three million still fails, instead of one in eight thousand.
  const maxAttempts = Number(env.AWS_MAX_ATTEMPTS ?? DEFAULT_MAX_ATTEMPTS);
  const base = { ...(region ? { region } : {}), maxAttempts };
  const cache = new Map<string, unknown>();
  // Faults injected into every client's middleware, when the local runtime or a test asks for them.
  const faults = env.AWS_FAULT_INJECTION ? faultInjectionPlugin(env.AWS_FAULT_INJECTION) : undefined;
  const lazy = <T>(key: string, build: () => T): T => {
    if (!cache.has(key)) {
      const client = build();
      if (faults) (client as { middlewareStack: { use(p: typeof faults): void } }).middlewareStack.use(faults);
      cache.set(key, instrument(client));
    }
    return cache.get(key) as T;
  };
  return {
    get dynamodb() {
      return lazy('dynamodb', () =>
        DynamoDBDocumentClient.from(new DynamoDBClient(base), {
          marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
        }),
      );
    },
    get s3() {
      const forcePathStyle = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
      return lazy('s3', () => new S3Client({ ...base, forcePathStyle }));
    },
    get sns() {
      return lazy('sns', () => new SNSClient(base));
    },
    get sqs() {
      // Against an emulator, queue URLs may name a host that does not resolve; the endpoint decides.
      const useQueueUrlAsEndpoint = !(env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL);
      return lazy('sqs', () => new SQSClient({ ...base, useQueueUrlAsEndpoint }));
    },
    get sfn() {
      return lazy('sfn', () => new SFNClient(base));
    },
    get scheduler() {
      return lazy('scheduler', () => new SchedulerClient(base));
    },
    get lambda() {
      return lazy('lambda', () => new LambdaClient(base));
    },
    get secrets() {
      return lazy('secrets', () => new SecretsManagerClient(base));
    },
  };
}

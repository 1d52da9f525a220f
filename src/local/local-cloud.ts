// Local runtime: the one module behind `npm start` and the integration tests. It starts the
// emulators on loopback, creates what the synthesized templates declare, and wires the production
// handlers and state machines to them by endpoint. Nothing here is a second implementation.

import path from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients';
import type { FaultPlan } from '../adapters/aws/fault-injection';
import { type AwsJsonEndpoint, startAwsJsonEndpoint } from './aws-json-endpoint';
import { type RunningEmulators, startEmulators, startEmulatorsHere } from './emulators';
import { LocalFunctions } from './functions';
import { LocalHttpApis } from './http-apis';
import { type LambdaEndpoint, startLambdaEndpoint } from './lambda-endpoint';
import { type ProvisionedResources, provisionResources } from './provision';
import { LocalScheduler, startSchedulerEndpoint } from './scheduler';
import { LocalSchedules } from './schedules';
import { LocalSecretsManager } from './secrets-manager';
import { extractStateMachines } from './stepfunctions/asl';
import { LocalStepFunctions, type LocalStepFunctionsEvent } from './stepfunctions/local-step-functions';
import { localTemplates } from './synth';
import { LOCAL_REGION, type StackTemplate, TemplateResolver } from './template';

export interface LocalCloudOptions {
  /** Templates to run; synthesized from lib/app.ts when omitted. */
  readonly templates?: StackTemplate[];
  /** Extra CDK context for the synthesis (e.g. a deployment configuration). */
  readonly context?: Record<string, unknown>;
  /** Scales task timeouts, Wait states and retry intervals of the state machines. @default 1 */
  readonly timeScale?: number;
  readonly onStepFunctionsEvent?: (event: LocalStepFunctionsEvent) => void;
  /**
   * Keep DynamoDB, S3, SNS/SQS and secrets in this folder so a later start finds them again (the
   * `kpi` CLI against the local deployment). Without it everything lives in memory.
   */
  readonly stateDir?: string;
  /** Variables every function gets on top of its template environment (e.g. DATASETS_DIR for your own data). */
  readonly functionEnvironment?: Record<string, string>;
  /**
   * Faults injected into the AWS calls of every function (AWS_FAULT_INJECTION, see
   * src/adapters/aws/fault-injection.ts), e.g. `{ rate: 0.05 }`. The runtime's own calls (provisioning,
   * `cloud.clients`) are left alone. @default none
   */
  readonly faults?: FaultPlan;
  /**
   * Run DynamoDB, S3, SNS and SQS on a thread of their own, so that they and the functions use two
   * cores. @default true
   */
  readonly emulatorThread?: boolean;
}

/** A message an SNS topic published, as the local outbox received it. */
export interface PublishedMessage {
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Record<string, string>;
}

const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SCHEDULER',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_TRACE_ENABLED',
] as const;

/** What a running {@link LocalCloud} is made of; `LocalCloud.start` builds it. */
type LocalCloudParts = Pick<
  LocalCloud,
  | 'environment'
  | 'resolver'
  | 'resources'
  | 'functions'
  | 'stepFunctions'
  | 'secrets'
  | 'schedules'
  | 'scheduler'
  | 'lambda'
  | 'httpApis'
  | 'clients'
  | 'emulatorThread'
> & { readonly closers: Closers };

/** What to close when the cloud stops (or fails to start), closed in the reverse order of opening. */
class Closers {
  private readonly closers: (() => Promise<void>)[] = [];

  add(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Closes everything, last opened first; a close that fails does not keep the others open. */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}

/**
 * The local services whose endpoints must listen before the services themselves can be built (the
 * functions' environment names the endpoints): each endpoint answers through this holder, filled
 * once the templates are wired. Until then nothing calls them.
 */
interface LateServices {
  stepFunctions?: LocalStepFunctions;
  secrets?: LocalSecretsManager;
  scheduler?: LocalScheduler;
  functions?: LocalFunctions;
}

const STEP_FUNCTIONS_OPERATIONS = [
  'StartExecution',
  'DescribeExecution',
  'StopExecution',
  'SendTaskSuccess',
  'SendTaskFailure',
  'SendTaskHeartbeat',
];
const SECRETS_MANAGER_OPERATIONS = [
  'GetSecretValue',
  'DescribeSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CreateSecret',
];

/** The emulators and the local AWS endpoints, listening on loopback. */
interface LocalEndpoints {
  readonly emulators: RunningEmulators;
  readonly stepFunctions: AwsJsonEndpoint;
  readonly secrets: AwsJsonEndpoint;
  readonly scheduler: AwsJsonEndpoint;
  readonly lambda: LambdaEndpoint;
}

/**
 * A running local deployment: dynalite (DynamoDB) and fauxqs (S3, SNS, SQS) on 127.0.0.1 with
 * OS-assigned ports, a local Step Functions endpoint, the resources of the templates, the
 * functions and the state machines.
 *
 * @example
 * const cloud = await LocalCloud.start();
 * try { await cloud.functions.invoke('self-check', {}); } finally { await cloud.stop(); }
 */
export class LocalCloud {
  private stopped = false;
  private readonly outboxes = new Map<string, string>();
  /** Variables that point SDK clients at the emulators (also set on process.env while running). */
  readonly environment: Record<string, string>;
  readonly resolver: TemplateResolver;
  readonly resources: ProvisionedResources;
  readonly functions: LocalFunctions;
  readonly stepFunctions: LocalStepFunctions;
  readonly secrets: LocalSecretsManager;
  readonly schedules: LocalSchedules;
  /** EventBridge Scheduler for the schedules created at run time (one per KPI). */
  readonly scheduler: LocalScheduler;
  /** The Lambda Invoke API over the functions; `lambda.drain()` waits for Event invocations. */
  readonly lambda: LambdaEndpoint;
  /** The HTTP APIs of the templates, each on its own loopback port (e.g. the approval page). */
  readonly httpApis: LocalHttpApis;
  readonly clients: AwsClients;
  /** Whether DynamoDB, S3, SNS and SQS run on a thread of their own (see LocalCloudOptions). */
  readonly emulatorThread: boolean;
  private readonly closers: Closers;

  private constructor(parts: LocalCloudParts) {
    this.environment = parts.environment;
    this.resolver = parts.resolver;
    this.resources = parts.resources;
    this.functions = parts.functions;
    this.stepFunctions = parts.stepFunctions;
    this.secrets = parts.secrets;
    this.schedules = parts.schedules;
    this.scheduler = parts.scheduler;
    this.lambda = parts.lambda;
    this.httpApis = parts.httpApis;
    this.clients = parts.clients;
    this.emulatorThread = parts.emulatorThread;
    this.closers = parts.closers;
  }

  /**
   * Starts the emulators and endpoints, points this process's SDK clients at them, creates what the
   * templates declare and wires their functions, state machines, secrets and schedules.
   */
  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const closers = new Closers();
    closers.add(restoreEnvironment());
    try {
      const stateDir = options.stateDir ? path.resolve(options.stateDir) : undefined;
      const late: LateServices = {};
      const endpoints = await startEndpoints(late, stateDir, options.emulatorThread !== false, closers);
      const environment = localEnvironment(endpoints);
      Object.assign(process.env, environment);
      const resolver = new TemplateResolver(options.templates ?? (await localTemplates(options.context)));
      const resources = await provisionResources(resolver);
      // Before the functions: their environment may name an API's endpoint.
      const httpApis = await LocalHttpApis.start(resolver);
      closers.add(() => httpApis.stop());
      const services = wireServices(resolver, environment, options, stateDir, closers);
      httpApis.bind(services.functions);
      Object.assign(late, services);
      return new LocalCloud({
        environment,
        resolver,
        resources,
        httpApis,
        ...services,
        lambda: endpoints.lambda,
        clients: await createAwsClients({ ...process.env, ...environment }),
        emulatorThread: options.emulatorThread !== false,
        closers,
      });
    } catch (error) {
      await closers.closeAll();
      throw error;
    }
  }

  /**
   * The physical name of the one resource whose logical id starts with `prefix` (CDK appends a
   * hash), optionally of one CloudFormation type.
   */
  physicalName(logicalIdPrefix: string, type?: string): string {
    for (const stackName of this.resolver.stackNames) {
      const resources = this.resolver.template(stackName).Resources ?? {};
      const match = Object.keys(resources).filter(
        (id) => id.startsWith(logicalIdPrefix) && (!type || resources[id]?.Type === type),
      );
      if (match.length === 1 && match[0]) return this.resolver.physicalName(stackName, match[0]);
    }
    throw new Error(`no single resource whose logical id starts with ${logicalIdPrefix}`);
  }

  /**
   * Subscribes a local outbox queue to a topic so what it publishes can be read back
   * (an approver's email, an alarm). Call before the messages are published.
   */
  async watchTopic(topicArn: string): Promise<void> {
    if (this.outboxes.has(topicArn)) return;
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const sns = new SNSClient({});
    try {
      const name = `local-outbox-${topicArn.split(':').pop()}`.slice(0, 80);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
      this.outboxes.set(topicArn, String(QueueUrl));
    } finally {
      sqs.destroy();
      sns.destroy();
    }
  }

  /** Takes every message a watched topic has published since the last call. */
  async takePublished(topicArn: string): Promise<PublishedMessage[]> {
    const queueUrl = this.outboxes.get(topicArn);
    if (!queueUrl) throw new Error(`topic ${topicArn} is not watched; call watchTopic first`);
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const messages: PublishedMessage[] = [];
    try {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) break;
        for (const m of Messages) {
          const envelope = JSON.parse(m.Body ?? '{}') as {
            Subject?: string;
            Message?: string;
            MessageAttributes?: Record<string, { Value: string }>;
          };
          messages.push({
            ...(envelope.Subject ? { subject: envelope.Subject } : {}),
            message: envelope.Message ?? '',
            attributes: Object.fromEntries(
              Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
            ),
          });
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
      return messages;
    } finally {
      sqs.destroy();
    }
  }

  /** Stops executions, servers and restores the environment. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.closers.closeAll();
  }
}

/** Saves the variables the cloud sets on process.env; the returned close puts them back. */
function restoreEnvironment(): () => Promise<void> {
  const previous = Object.fromEntries(ENDPOINT_VARIABLES.map((name) => [name, process.env[name]]));
  return async () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Serves `operations` of a local service as an AWS JSON endpoint, answered by `service()` once it exists. */
function lateOperations(
  operations: readonly string[],
  service: () =>
    | { operations(): Record<string, ((input: Record<string, unknown>) => unknown) | undefined> }
    | undefined,
): Record<string, (input: Record<string, unknown>) => unknown> {
  return Object.fromEntries(
    operations.map((op) => [op, (input: Record<string, unknown>) => service()?.operations()[op]?.(input)]),
  );
}

/** Starts the emulators (on their own thread unless `emulatorThread` is false) and the local AWS endpoints. */
async function startEndpoints(
  late: LateServices,
  stateDir: string | undefined,
  emulatorThread: boolean,
  closers: Closers,
): Promise<LocalEndpoints> {
  const emulators = await (emulatorThread ? startEmulators : startEmulatorsHere)(stateDir ? { stateDir } : {});
  closers.add(() => emulators.stop());
  const stepFunctions = await startAwsJsonEndpoint(
    'AWSStepFunctions',
    lateOperations(STEP_FUNCTIONS_OPERATIONS, () => late.stepFunctions),
  );
  closers.add(() => stepFunctions.stop());
  const secrets = await startAwsJsonEndpoint(
    'secretsmanager',
    lateOperations(SECRETS_MANAGER_OPERATIONS, () => late.secrets),
  );
  closers.add(() => secrets.stop());
  const scheduler = await startSchedulerEndpoint(() => late.scheduler);
  closers.add(() => scheduler.stop());
  const lambda = await startLambdaEndpoint(() => late.functions);
  closers.add(() => lambda.stop());
  return { emulators, stepFunctions, secrets, scheduler, lambda };
}

/** The variables that point SDK clients (the functions', the CLI's, the tests') at the local endpoints. */
function localEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  const fauxqsUrl = endpoints.emulators.fauxqsUrl;
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.emulators.dynamodbUrl,
    AWS_ENDPOINT_URL_S3: fauxqsUrl,
    AWS_ENDPOINT_URL_SNS: fauxqsUrl,
    AWS_ENDPOINT_URL_SQS: fauxqsUrl,
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secrets.url,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler.url,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda.url,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    // EMF lines and info logs on stdout would drown what `npm start` prints; warnings still show.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/** The template's functions, state machines, secrets and schedules, run against the local endpoints. */
function wireServices(
  resolver: TemplateResolver,
  environment: Record<string, string>,
  options: LocalCloudOptions,
  stateDir: string | undefined,
  closers: Closers,
) {
  const faults = options.faults ? { AWS_FAULT_INJECTION: JSON.stringify(options.faults) } : {};
  const functions = new LocalFunctions(
    resolver,
    () => ({ ...process.env, ...environment, ...faults }),
    options.functionEnvironment,
  );
  const stepFunctions = new LocalStepFunctions({
    functions,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.onStepFunctionsEvent ? { onEvent: options.onStepFunctionsEvent } : {}),
  });
  for (const machine of extractStateMachines(resolver)) stepFunctions.register(machine);
  closers.add(async () => {
    stepFunctions.stopAll();
    await stepFunctions.drain();
  });
  const secrets = new LocalSecretsManager(resolver, stateDir ? path.join(stateDir, 'secrets.json') : undefined);
  secrets.bindRotation((arn, event) => functions.invoke(arn, event));
  const schedules = new LocalSchedules(resolver, functions, stepFunctions);
  const scheduler = new LocalScheduler(
    resolver,
    functions,
    stepFunctions,
    stateDir ? path.join(stateDir, 'schedules.json') : undefined,
  );
  return { functions, stepFunctions, secrets, schedules, scheduler };
}

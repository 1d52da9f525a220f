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
import { startEmulators, startEmulatorsHere } from './emulators';
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

  private constructor(
    /** Variables that point SDK clients at the emulators (also set on process.env while running). */
    readonly environment: Record<string, string>,
    readonly resolver: TemplateResolver,
    readonly resources: ProvisionedResources,
    readonly functions: LocalFunctions,
    readonly stepFunctions: LocalStepFunctions,
    readonly secrets: LocalSecretsManager,
    readonly schedules: LocalSchedules,
    /** EventBridge Scheduler for the schedules created at run time (one per KPI). */
    readonly scheduler: LocalScheduler,
    /** The Lambda Invoke API over the functions; `lambda.drain()` waits for Event invocations. */
    readonly lambda: LambdaEndpoint,
    /** The HTTP APIs of the templates, each on its own loopback port (e.g. the approval page). */
    readonly httpApis: LocalHttpApis,
    readonly clients: AwsClients,
    private readonly shutdown: () => Promise<void>,
    /** Whether DynamoDB, S3, SNS and SQS run on a thread of their own (see LocalCloudOptions). */
    readonly emulatorThread: boolean,
  ) {}

  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const closers: (() => Promise<void>)[] = [];
    const previous = Object.fromEntries(ENDPOINT_VARIABLES.map((name) => [name, process.env[name]]));
    closers.push(async () => {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const shutdown = async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    };
    try {
      const stateDir = options.stateDir ? path.resolve(options.stateDir) : undefined;
      const emulators = await (options.emulatorThread === false ? startEmulatorsHere : startEmulators)(
        stateDir ? { stateDir } : {},
      );
      closers.push(() => emulators.stop());
      const fauxqsUrl = emulators.fauxqsUrl;

      let stepFunctions: LocalStepFunctions | undefined;
      const sfnEndpoint: AwsJsonEndpoint = await startAwsJsonEndpoint('AWSStepFunctions', {
        // Operations are bound once the state machines exist (below); until then nothing calls them.
        ...Object.fromEntries(
          [
            'StartExecution',
            'DescribeExecution',
            'StopExecution',
            'SendTaskSuccess',
            'SendTaskFailure',
            'SendTaskHeartbeat',
          ].map((op) => [op, (input: Record<string, unknown>) => stepFunctions?.operations()[op]?.(input)]),
        ),
      });
      closers.push(() => sfnEndpoint.stop());

      let secrets: LocalSecretsManager | undefined;
      const secretsEndpoint = await startAwsJsonEndpoint('secretsmanager', {
        ...Object.fromEntries(
          [
            'GetSecretValue',
            'DescribeSecret',
            'PutSecretValue',
            'UpdateSecretVersionStage',
            'RotateSecret',
            'CreateSecret',
          ].map((op) => [op, (input: Record<string, unknown>) => secrets?.operations()[op]?.(input)]),
        ),
      });
      closers.push(() => secretsEndpoint.stop());

      let scheduler: LocalScheduler | undefined;
      const schedulerEndpoint = await startSchedulerEndpoint(() => scheduler);
      closers.push(() => schedulerEndpoint.stop());

      let functions: LocalFunctions | undefined;
      const lambdaEndpoint = await startLambdaEndpoint(() => functions);
      closers.push(() => lambdaEndpoint.stop());

      const environment: Record<string, string> = {
        AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbUrl,
        AWS_ENDPOINT_URL_S3: fauxqsUrl,
        AWS_ENDPOINT_URL_SNS: fauxqsUrl,
        AWS_ENDPOINT_URL_SQS: fauxqsUrl,
        AWS_ENDPOINT_URL_SFN: sfnEndpoint.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint.url,
        AWS_ENDPOINT_URL_SCHEDULER: schedulerEndpoint.url,
        AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint.url,
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SESSION_TOKEN: 'local',
        // EMF lines and info logs on stdout would drown what `npm start` prints; warnings still show.
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
        POWERTOOLS_TRACE_ENABLED: 'false',
      };
      Object.assign(process.env, environment);

      const templates = options.templates ?? (await localTemplates(options.context));
      const resolver = new TemplateResolver(templates);
      const resources = await provisionResources(resolver);
      // Before the functions: their environment may name an API's endpoint.
      const httpApis = await LocalHttpApis.start(resolver);
      closers.push(() => httpApis.stop());
      const faults = options.faults ? { AWS_FAULT_INJECTION: JSON.stringify(options.faults) } : {};
      functions = new LocalFunctions(
        resolver,
        () => ({ ...process.env, ...environment, ...faults }),
        options.functionEnvironment,
      );
      httpApis.bind(functions);
      stepFunctions = new LocalStepFunctions({
        functions,
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        ...(options.onStepFunctionsEvent ? { onEvent: options.onStepFunctionsEvent } : {}),
      });
      for (const machine of extractStateMachines(resolver)) stepFunctions.register(machine);
      secrets = new LocalSecretsManager(resolver, stateDir ? path.join(stateDir, 'secrets.json') : undefined);
      const localFunctions = functions;
      secrets.bindRotation((arn, event) => localFunctions.invoke(arn, event));
      const schedules = new LocalSchedules(resolver, functions, stepFunctions);
      scheduler = new LocalScheduler(
        resolver,
        functions,
        stepFunctions,
        stateDir ? path.join(stateDir, 'schedules.json') : undefined,
      );
      const sfn = stepFunctions;
      closers.push(async () => {
        sfn.stopAll();
        await sfn.drain();
      });
      const clients = await createAwsClients({ ...process.env, ...environment });
      return new LocalCloud(
        environment,
        resolver,
        resources,
        functions,
        stepFunctions,
        secrets,
        schedules,
        scheduler,
        lambdaEndpoint,
        httpApis,
        clients,
        shutdown,
        options.emulatorThread !== false,
      );
    } catch (error) {
      await shutdown();
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
    await this.shutdown();
  }
}

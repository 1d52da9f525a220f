// CLI: the deployment the definition and backfill commands act on. By default, the local one: the
// emulators with their state kept under `.local/state`, the same templates, handlers and adapters
// as `npm start`. With `--aws`, the deployed stacks: names from `cdk deploy --outputs-file`, the
// account and region from the usual AWS profile and environment variables.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ComputeEvent, ComputeSummary } from '../../functions/compute';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients';
import type { DynamoDefinitionStore } from '../adapters/aws/dynamo-definition-store';
import { DynamoKpiValueStore } from '../adapters/aws/dynamo-kpi-value-store';
import { kpiDefinitionStore } from '../adapters/aws/kpi-definitions';
import { SchedulerKpiSchedules } from '../adapters/aws/scheduler-kpi-schedules';
import type { KpiDefinition } from '../domain/definition/schema';
import { UsageError } from './command';

/** Options every deployment-aware command accepts. */
export const DEPLOYMENT_OPTIONS = {
  aws: { type: 'boolean', default: false },
  outputs: { type: 'string' },
  'stack-prefix': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

export const DEPLOYMENT_USAGE = `Target (default: the local deployment under .local/state):
  --aws                   act on the deployed stacks instead
  --outputs FILE          outputs of \`cdk deploy --outputs-file FILE\` (default cdk-outputs.json)
  --stack-prefix PREFIX   the deployment's stack prefix (default AgentKpi)
  --region REGION         AWS region (default: AWS_REGION or the profile's)
  --profile NAME          AWS profile (default: AWS_PROFILE)`;

export interface Deployment {
  readonly where: string;
  readonly clients: AwsClients;
  readonly definitions: DynamoDefinitionStore<KpiDefinition>;
  readonly values: DynamoKpiValueStore;
  readonly schedules: SchedulerKpiSchedules;
  readonly names: {
    readonly definitionsTable: string;
    readonly valuesTable: string;
    readonly stateTable: string;
    readonly rawBucket: string;
  };
  /** Runs the compute function with an event and returns its summary. */
  computeNow(event: ComputeEvent): Promise<ComputeSummary>;
  /** Starts the backfill state machine; resolves with its final status. */
  backfillWorkflow(input: unknown): Promise<{ status: string; output?: unknown }>;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  readonly aws?: boolean;
  readonly outputs?: string;
  readonly 'stack-prefix'?: string;
  readonly region?: string;
  readonly profile?: string;
}

export async function openDeployment(
  options: DeploymentOptions,
  context: { cwd: string; env: Readonly<Record<string, string | undefined>>; now: () => number },
): Promise<Deployment> {
  return options.aws ? openAws(options, context) : openLocal(context);
}

async function openLocal(context: { cwd: string; now: () => number }): Promise<Deployment> {
  const { LocalCloud } = await import('../local/local-cloud');
  const cloud = await LocalCloud.start({ stateDir: path.join(context.cwd, '.local', 'state') });
  const clients = cloud.clients;
  const names = {
    definitionsTable: cloud.physicalName('DefinitionsTable'),
    valuesTable: cloud.physicalName('ValuesTable'),
    stateTable: cloud.physicalName('StateTable'),
    rawBucket: cloud.physicalName('RawBucket', 'AWS::S3::Bucket'),
  };
  const role = cloud.resolver
    .resourcesOfType('AWS::IAM::Role')
    .find((r) => r.logicalId.startsWith('ComputationSchedulerRole'));
  if (!role) throw new Error('the app has no KPI scheduler role');
  const compute = cloud.functions.get('compute');
  const backfill = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('ComputationBackfill'));
  return {
    where: 'the local deployment (.local/state)',
    clients,
    names,
    definitions: kpiDefinitionStore(clients.dynamodb, names.definitionsTable, { now: context.now }),
    values: new DynamoKpiValueStore({ client: clients.dynamodb, tableName: names.valuesTable }),
    schedules: new SchedulerKpiSchedules({
      client: clients.scheduler,
      groupName: cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup'),
      targetArn: compute.arn,
      roleArn: cloud.resolver.arn(role.stackName, role.logicalId),
    }),
    computeNow: (event) => cloud.functions.invoke('compute', event) as Promise<ComputeSummary>,
    backfillWorkflow: async (input) => {
      if (!backfill) throw new Error('the app has no backfill state machine');
      const execution = await cloud.stepFunctions.startExecution(backfill.arn, input).done;
      return { status: execution.status, output: execution.output };
    },
    close: () => cloud.stop(),
  };
}

async function openAws(
  options: DeploymentOptions,
  context: { cwd: string; env: Readonly<Record<string, string | undefined>> },
): Promise<Deployment> {
  const env: Record<string, string | undefined> = { ...context.env };
  if (options.region) env.AWS_REGION = options.region;
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  const prefix = options['stack-prefix'] ?? 'AgentKpi';
  const file = path.resolve(context.cwd, options.outputs ?? 'cdk-outputs.json');
  if (!existsSync(file)) {
    throw new UsageError(
      `no stack outputs at ${file}: deploy with \`npx cdk deploy --all --outputs-file ${path.basename(file)}\``,
    );
  }
  const outputs = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[
    `${prefix}-Pipeline`
  ];
  if (!outputs) throw new UsageError(`${file} has no outputs of the stack ${prefix}-Pipeline`);
  const output = (name: string) => {
    const key = Object.keys(outputs).find((k) => k.startsWith(name));
    if (!key) throw new UsageError(`${file}: the stack ${prefix}-Pipeline has no output ${name}`);
    return outputs[key] as string;
  };
  const clients = await createAwsClients(env);
  // Table names are fixed per stack prefix (lib/naming.ts).
  const names = {
    definitionsTable: `${prefix}-definitions`,
    valuesTable: `${prefix}-values`,
    stateTable: `${prefix}-state`,
    rawBucket: output('ComputationRawBucketName'),
  };
  const sfn = new SFNClient(env.AWS_REGION ? { region: env.AWS_REGION } : {});
  return {
    where: `the ${prefix} stacks on AWS`,
    clients,
    names,
    definitions: kpiDefinitionStore(clients.dynamodb, names.definitionsTable, { now: () => Date.now() }),
    values: new DynamoKpiValueStore({ client: clients.dynamodb, tableName: names.valuesTable }),
    schedules: new SchedulerKpiSchedules({
      client: clients.scheduler,
      groupName: output('ComputationKpiScheduleGroupName'),
      targetArn: output('ComputationComputeFunctionArn'),
      roleArn: output('ComputationKpiSchedulerRoleArn'),
      deadLetterArn: output('ComputationKpiScheduleDeadLetterArn'),
    }),
    computeNow: async (event) => {
      const response = await clients.lambda.send(
        new InvokeCommand({
          FunctionName: output('ComputationComputeFunctionArn'),
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      const body = JSON.parse(new TextDecoder().decode(response.Payload ?? new Uint8Array()));
      if (response.FunctionError) throw new Error(`compute failed: ${body.errorType}: ${body.errorMessage}`);
      return body as ComputeSummary;
    },
    backfillWorkflow: async (input) => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: output('ComputationBackfillStateMachineArn'),
          input: JSON.stringify(input),
        }),
      );
      for (;;) {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status !== 'RUNNING') {
          return {
            status: String(execution.status),
            output: execution.output ? JSON.parse(execution.output) : undefined,
          };
        }
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
    },
    close: async () => {
      sfn.destroy();
    },
  };
}

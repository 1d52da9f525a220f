// CLI: the deployment the definition and backfill commands act on. By default, the local one: the
// emulators with their state kept under `.local/state`, the same templates, handlers and adapters
// as `npm start`. With `--aws`, the deployed stacks: names from `cdk deploy --outputs-file`, the
// account and region from the usual AWS profile and environment variables.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients';
import { datasetDeclarationStore } from '../adapters/aws/dataset-declarations';
import { DynamoDbApprovalStore } from '../adapters/aws/dynamodb-approval-store';
import { DynamoDbKpiValueStore } from '../adapters/aws/dynamodb-kpi-value-store';
import type { DynamoDbDefinitionAndProposalStore } from '../adapters/aws/dynamodb-proposal-store';
import { DynamoDbReviewStore } from '../adapters/aws/dynamodb-review-store';
import { kpiDefinitionAndProposalStore } from '../adapters/aws/kpi-proposals';
import { SchedulerKpiSchedules } from '../adapters/aws/scheduler-kpi-schedules';
import { StepFunctionsApprovalWorkflow } from '../adapters/aws/sfn-approval-workflow';
import { systemClock } from '../adapters/system-clock';
import type { ComputeEvent, ComputeSummary } from '../contracts/compute-function';
import type { DatasetDeclaration } from '../domain/dataset';
import type { KpiDefinition } from '../domain/definition/schema';
import type { LocalCloud } from '../local/local-cloud';
import type { ApprovalWorkflow } from '../ports/approval-workflow';
import type { Clock } from '../ports/clock';
import type { DefinitionStore } from '../ports/definition-store';
import { UsageError } from './command';

/** Options every deployment-aware command accepts. */
export const DEPLOYMENT_OPTIONS = {
  aws: { type: 'boolean', default: false },
  outputs: { type: 'string' },
  'stack-prefix': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  wait: { type: 'string' },
} as const;

export const DEPLOYMENT_USAGE = `Target (default: the local deployment under .local/state):
  --aws                   act on the deployed stacks instead
  --outputs FILE          outputs of \`cdk deploy --outputs-file FILE\` (default cdk-outputs.json)
  --stack-prefix PREFIX   the deployment's stack prefix (default AgentKpi)
  --region REGION         AWS region (default: AWS_REGION or the profile's)
  --profile NAME          AWS profile (default: AWS_PROFILE)
  --wait SECONDS          how long to wait while another process uses the local deployment (default 120)`;

export interface Deployment {
  readonly where: string;
  readonly clients: AwsClients;
  readonly definitions: DynamoDbDefinitionAndProposalStore<KpiDefinition>;
  /** The versioned dataset declarations (`kpi dataset`), in the same table. */
  readonly datasets: DefinitionStore<DatasetDeclaration>;
  readonly values: DynamoDbKpiValueStore;
  /** Approval requests (what waits for a decision). */
  readonly approvals: DynamoDbApprovalStore;
  /** Review packs, action items and drift review cases. */
  readonly reviews: DynamoDbReviewStore;
  readonly schedules: SchedulerKpiSchedules;
  readonly names: {
    readonly definitionsTable: string;
    readonly valuesTable: string;
    readonly stateTable: string;
    readonly approvalsTable: string;
    readonly reviewsTable: string;
    readonly rawBucket: string;
    readonly landingBucket: string;
    readonly quarantineBucket: string;
    readonly controlsTable: string;
    readonly auditTable: string;
    /** Where governance records (the pipeline_governance dataset) are written. */
    readonly governanceBucket: string;
  };
  /**
   * Runs the drop-zone connector on the files waiting under `landing/<dataset>/` and returns its
   * report; null where this tool cannot invoke it (on AWS its schedule picks the files up).
   */
  runDropZone(datasets: readonly string[]): Promise<unknown | null>;
  /** Runs the drop-zone function on a quarantine replay (`kpi replay`) and returns its report. */
  runReplay(replay: { dataset: string; from: string; to: string }): Promise<unknown>;
  /** Runs the freshness check now, as its schedule would, and returns its report. */
  runFreshnessCheck(): Promise<unknown>;
  /** Runs the compute function with an event and returns its summary. */
  computeNow(event: ComputeEvent): Promise<ComputeSummary>;
  /** Starts the backfill state machine; resolves with its final status. */
  backfillWorkflow(input: unknown): Promise<{ status: string; output?: unknown }>;
  /** The approval workflow a guardrail change of a high or critical KPI goes through. */
  readonly approvalWorkflow: ApprovalWorkflow;
  /**
   * The local deployment only (its workflows live in this process): reports each approval link as
   * it is sent and resolves when the approval's workflow ends.
   */
  readonly awaitApproval?: (
    approvalId: string,
    onLink: (approver: string, link: string) => void,
  ) => Promise<{ status: string; output?: unknown }>;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  readonly aws?: boolean;
  readonly outputs?: string;
  readonly 'stack-prefix'?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly wait?: string;
}

/** What opening a deployment may use of the command's context. */
export interface DeploymentContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  /** Says that the command waits for another process (the local deployment is busy). */
  readonly stderr?: (text: string) => void;
  /** The command, as the processes waiting for this one are told (e.g. `kpi publish`). */
  readonly command?: string;
}

export async function openDeployment(options: DeploymentOptions, context: DeploymentContext): Promise<Deployment> {
  return options.aws ? openAws(options, context) : openLocal(options, context);
}

/** `--wait SECONDS` in milliseconds. */
function waitOf(options: DeploymentOptions): number {
  if (options.wait === undefined) return 120_000;
  const seconds = Number(options.wait);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UsageError(`--wait ${options.wait} is not a number of seconds`);
  return seconds * 1000;
}

/** The stores every command reads and writes, the same on both deployments. */
function deploymentStores(clients: AwsClients, names: Deployment['names'], clock: Clock) {
  return {
    definitions: kpiDefinitionAndProposalStore(clients.dynamodb, names.definitionsTable, clock),
    datasets: datasetDeclarationStore(clients.dynamodb, names.definitionsTable, clock),
    values: new DynamoDbKpiValueStore({ client: clients.dynamodb, tableName: names.valuesTable }),
    approvals: new DynamoDbApprovalStore(clients.dynamodb, names.approvalsTable),
    reviews: new DynamoDbReviewStore(clients.dynamodb, names.reviewsTable),
  };
}

async function openLocal(options: DeploymentOptions, context: DeploymentContext): Promise<Deployment> {
  const waitMs = waitOf(options);
  const { openLocalDeployment, localStateDir } = await import('../local/local-deployment');
  const { describeHolder } = await import('../local/state-lock');
  const stateDir = localStateDir(context.cwd);
  const shown = path.relative(context.cwd, stateDir) || stateDir;
  const local = await openLocalDeployment({
    stateDir,
    command: context.command ?? 'kpi',
    waitMs,
    onWaiting: (holder) =>
      context.stderr?.(
        `${context.command ?? 'kpi'}: waiting for ${describeHolder(holder)} to finish with the local deployment (${shown})…\n`,
      ),
  });
  const cloud = local.cloud;
  const clients = cloud.clients;
  const names = localNames(cloud);
  const role = cloud.resolver
    .resourcesOfType('AWS::IAM::Role')
    .find((r) => r.logicalId.startsWith('ComputationSchedulerRole'));
  if (!role) throw new Error('the app has no KPI scheduler role');
  const backfill = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('ComputationBackfill'));
  const approval = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('GuardrailsStateMachine'));
  const approvalsTopic = cloud.resolver
    .resourcesOfType('AWS::SNS::Topic')
    .find((t) => t.logicalId.startsWith('GuardrailsApprovalsTopic'));
  if (!approval || !approvalsTopic) throw new Error('the app has no approval workflow');
  const approvalsTopicArn = cloud.resolver.arn(approvalsTopic.stackName, approvalsTopic.logicalId);
  await cloud.watchTopic(approvalsTopicArn);
  return {
    where: `the local deployment (${shown})`,
    clients,
    names,
    ...deploymentStores(clients, names, { now: context.now }),
    schedules: new SchedulerKpiSchedules({
      client: clients.scheduler,
      groupName: cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup'),
      targetArn: cloud.functions.get('compute').arn,
      roleArn: cloud.resolver.arn(role.stackName, role.logicalId),
    }),
    computeNow: (event) => cloud.functions.invoke('compute', event) as Promise<ComputeSummary>,
    runDropZone: (datasets) => cloud.functions.invoke('ingest-drop-zone', { datasets }),
    runReplay: (replay) => cloud.functions.invoke('ingest-drop-zone', { replay }),
    runFreshnessCheck: () => cloud.functions.invoke('check-freshness', {}),
    backfillWorkflow: async (input) => {
      if (!backfill) throw new Error('the app has no backfill state machine');
      const execution = await cloud.stepFunctions.startExecution(backfill.arn, input).done;
      return { status: execution.status, output: execution.output };
    },
    approvalWorkflow: new StepFunctionsApprovalWorkflow(clients.sfn, approval.arn),
    awaitApproval: (approvalId, onLink) => awaitLocalApproval(cloud, approvalsTopicArn, approvalId, onLink),
    close: () => local.close(),
  };
}

/** The local deployment's tables and buckets, by the names the templates give them. */
function localNames(cloud: LocalCloud): Deployment['names'] {
  const guardrails = cloud.functions.get('guardrail-intake').environment;
  return {
    definitionsTable: cloud.physicalName('DefinitionsTable'),
    valuesTable: cloud.physicalName('ValuesTable'),
    stateTable: cloud.physicalName('StateTable'),
    approvalsTable: cloud.physicalName('ApprovalsTable'),
    reviewsTable: cloud.physicalName('ReviewsTable'),
    rawBucket: cloud.physicalName('RawBucket', 'AWS::S3::Bucket'),
    landingBucket: cloud.physicalName('LandingBucket', 'AWS::S3::Bucket'),
    quarantineBucket: String(cloud.functions.get('ingest-drop-zone').environment.QUARANTINE_BUCKET),
    controlsTable: String(guardrails.CONTROLS_TABLE),
    auditTable: String(guardrails.AUDIT_TABLE),
    governanceBucket: String(guardrails.GOVERNANCE_BUCKET),
  };
}

/** Reports each link of one approval as the approvals topic sends it, until the approval's workflow ends. */
async function awaitLocalApproval(
  cloud: LocalCloud,
  approvalsTopicArn: string,
  approvalId: string,
  onLink: (approver: string, link: string) => void,
): Promise<{ status: string; output?: unknown }> {
  for (;;) {
    for (const message of await cloud.takePublished(approvalsTopicArn)) {
      const link = /https?:\/\/\S+/.exec(message.message)?.[0];
      if (link && message.attributes.approvalId === approvalId) onLink(message.attributes.approver ?? '', link);
    }
    const execution = cloud.stepFunctions.listExecutions().find((e) => e.name === approvalId);
    if (execution && execution.status !== 'RUNNING') {
      const done = await execution.done;
      return { status: done.status, output: done.output };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function openAws(options: DeploymentOptions, context: DeploymentContext): Promise<Deployment> {
  const env: Record<string, string | undefined> = { ...context.env };
  if (options.region) env.AWS_REGION = options.region;
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  const prefix = options['stack-prefix'] ?? 'AgentKpi';
  const output = stackOutputs(path.resolve(context.cwd, options.outputs ?? 'cdk-outputs.json'), `${prefix}-Pipeline`);
  const clients = await createAwsClients(env);
  const names = awsNames(prefix, output('ComputationRawBucketName'));
  const sfn = new SFNClient(env.AWS_REGION ? { region: env.AWS_REGION } : {});
  return {
    where: `the ${prefix} stacks on AWS`,
    clients,
    names,
    ...deploymentStores(clients, names, systemClock),
    schedules: new SchedulerKpiSchedules({
      client: clients.scheduler,
      groupName: output('ComputationKpiScheduleGroupName'),
      targetArn: output('ComputationComputeFunctionArn'),
      roleArn: output('ComputationKpiSchedulerRoleArn'),
      deadLetterArn: output('ComputationKpiScheduleDeadLetterArn'),
    }),
    computeNow: async (event) =>
      (await invokeForResult(
        clients,
        output('ComputationComputeFunctionArn'),
        event,
        'compute failed',
      )) as ComputeSummary,
    runDropZone: async () => null,
    // Synchronously, as the schedule would invoke it asynchronously: the report comes back.
    runReplay: (replay) =>
      invokeForResult(clients, output('IngestionDropZoneFunctionArn'), { replay }, 'the replay failed'),
    runFreshnessCheck: () =>
      invokeForResult(clients, output('IngestionFreshnessFunctionArn'), {}, 'the freshness check failed'),
    // Looked up when used: a deployment from before the output existed still serves other commands.
    approvalWorkflow: {
      start: (start) =>
        new StepFunctionsApprovalWorkflow(sfn, output('GuardrailsApprovalStateMachineArn')).start(start),
      resume: (token, id, outcome) =>
        new StepFunctionsApprovalWorkflow(sfn, output('GuardrailsApprovalStateMachineArn')).resume(token, id, outcome),
    },
    backfillWorkflow: (input) => runExecution(sfn, output('ComputationBackfillStateMachineArn'), input),
    close: async () => {
      sfn.destroy();
    },
  };
}

/**
 * The outputs of one stack in a `cdk deploy --outputs-file` file, looked up by the start of their
 * name (CDK appends a hash).
 * @throws UsageError when the file, the stack or (on lookup) the output is missing
 */
function stackOutputs(file: string, stack: string): (name: string) => string {
  if (!existsSync(file)) {
    throw new UsageError(
      `no stack outputs at ${file}: deploy with \`npx cdk deploy --all --outputs-file ${path.basename(file)}\``,
    );
  }
  const outputs = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[stack];
  if (!outputs) throw new UsageError(`${file} has no outputs of the stack ${stack}`);
  return (name) => {
    const key = Object.keys(outputs).find((k) => k.startsWith(name));
    if (!key) throw new UsageError(`${file}: the stack ${stack} has no output ${name}`);
    return outputs[key] as string;
  };
}

/** The deployed tables and buckets: table names are fixed per stack prefix (lib/naming.ts). */
function awsNames(prefix: string, rawBucket: string): Deployment['names'] {
  // Bucket names differ only by their role (lib/naming.ts): <prefix>-<role>-<account>-<region>.
  const bucketOf = (role: string) =>
    rawBucket.replace(`${prefix.toLowerCase()}-raw-`, `${prefix.toLowerCase()}-${role}-`);
  return {
    definitionsTable: `${prefix}-definitions`,
    valuesTable: `${prefix}-values`,
    stateTable: `${prefix}-state`,
    approvalsTable: `${prefix}-approvals`,
    reviewsTable: `${prefix}-reviews`,
    rawBucket,
    landingBucket: bucketOf('landing'),
    quarantineBucket: bucketOf('quarantine'),
    controlsTable: `${prefix}-controls`,
    auditTable: `${prefix}-audit`,
    governanceBucket: rawBucket,
  };
}

/** Invokes a deployed function synchronously and returns what it answered; its error is thrown as `failure`. */
async function invokeForResult(
  clients: Pick<AwsClients, 'lambda'>,
  functionArn: string,
  event: unknown,
  failure: string,
): Promise<unknown> {
  const response = await clients.lambda.send(
    new InvokeCommand({ FunctionName: functionArn, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
  );
  const body = JSON.parse(new TextDecoder().decode(response.Payload ?? new Uint8Array()));
  if (response.FunctionError) throw new Error(`${failure}: ${body.errorType}: ${body.errorMessage}`);
  return body;
}

/** Starts a deployed state machine and polls the execution until it ends. */
async function runExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  input: unknown,
): Promise<{ status: string; output?: unknown }> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      return { status: String(execution.status), output: execution.output ? JSON.parse(execution.output) : undefined };
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

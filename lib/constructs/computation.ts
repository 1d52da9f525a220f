// CDK: the compute stage. One function computes a KPI (incrementally, from the raw store, with
// partial aggregates in the work bucket); each active KPI gets a schedule in the KPI schedule group
// (created by publishing, see src/usecases/publish-definition.ts) that invokes it through a role of
// its own; a backfill state machine fans a range out over raw partitions (a Distributed Map over
// the item list of its parts) and then over periods (Map, JSONPath).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  JsonPath,
  LogLevel,
  Map as MapState,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FORECAST_ASSET_FILES, FORECASTER_BUNDLE } from '../../src/contracts/forecast-assets';
import { RAW_PREFIX } from '../../src/contracts/raw-layout';
import { FANOUT_PREFIX, LINEAGE_PREFIX, PARTIALS_PREFIX } from '../../src/contracts/work-layout';
import { acknowledgeWildcardAction, acknowledgeWildcardResource } from '../nag';
import type { PipelineBuckets, PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { readDatasetCatalog } from './ingestion/catalog';
import { KpiFunction } from './kpi-function';
import { schedulerRole, stateMachineRole } from './service-role';

export interface ComputationProps {
  readonly stackPrefix: string;
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly messagingKey: IKey;
  readonly logRetention: RetentionDays;
  readonly codeVersion: string;
  /** Folders (relative to the repository root) of dataset declarations, for their partition fields. */
  readonly datasetFolders: readonly string[];
  readonly repoRoot: string;
  /** How a computation is fanned out over raw partitions. @default DEFAULT_FAN_OUT */
  readonly fanOut?: FanOutSettings;
}

export interface FanOutSettings {
  /** Stale raw partitions one invocation aggregates; a range with more is split into parts. */
  readonly partitionsPerPart: number;
  /** Parts computed at once by the backfill's Distributed Map (its MaxConcurrency). */
  readonly maxConcurrency: number;
  /** A scheduled refresh whose stale partitions hold more records than this hands its range to the fan-out. */
  readonly refreshThresholdRecords: number;
}

/** Two days of hour partitions per part, 40 parts at once, refreshes of more than 50M new records handed on. */
export const DEFAULT_FAN_OUT: FanOutSettings = {
  partitionsPerPart: 48,
  maxConcurrency: 40,
  refreshThresholdRecords: 50_000_000,
};

/** Errors of the compute function worth retrying in the backfill. */
const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.TooManyRequestsException',
  // The function died mid-run (out of memory, a crash): every step is idempotent, so run it again.
  'Lambda.Unknown',
  'Lambda.SdkClientException',
  'TransientError',
  'ConflictError',
];

export class Computation extends Construct {
  readonly compute: KpiFunction;
  readonly scheduleGroup: ScheduleGroup;
  readonly schedulerRole: Role;
  readonly scheduleDeadLetters: DeadLetterQueue;
  readonly backfill: StateMachine;

  constructor(scope: Construct, id: string, props: ComputationProps) {
    super(scope, id);
    const fanOut = props.fanOut ?? DEFAULT_FAN_OUT;
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'KPI computations that failed after their retries',
    });
    this.compute = new KpiFunction(this, 'Compute', {
      entry: 'compute',
      description: 'Computes a KPI incrementally from the raw store, with lineage and drift, and hands violations on',
      serviceName: 'compute',
      memorySize: 2048,
      timeout: Duration.minutes(10),
      logRetention: props.logRetention,
      invocation: { kind: 'asynchronous', deadLetterQueue: deadLetters.queue },
      // The forecasting code and its model (augurs, WebAssembly) are loaded from beside the bundle on
      // the first forecast.
      copiedFiles: FORECAST_ASSET_FILES.map((file) => `node_modules/@bsull/augurs/${file}`),
      lazyBundles: { [FORECASTER_BUNDLE.file]: FORECASTER_BUNDLE.entry },
      environment: {
        CODE_VERSION: props.codeVersion,
        // Raw objects (gzip) kept in memory between invocations, for KPIs of one dataset computed in turn.
        RAW_CACHE_MIB: '256',
        PARTITION_TIME_FIELDS: JSON.stringify(partitionTimeFields(props.repoRoot, props.datasetFolders)),
        FANOUT_PARTITIONS_PER_PART: String(fanOut.partitionsPerPart),
        FANOUT_REFRESH_THRESHOLD_RECORDS: String(fanOut.refreshThresholdRecords),
      },
    });
    this.compute.bindTable('DEFINITIONS_TABLE', props.tables.definitions, 'read');
    this.compute.bindTable('VALUES_TABLE', props.tables.values, 'readWrite');
    // The raw store's commit log (what is visible) and the hours ingestion marked for recomputation
    // when late data landed: queried, never written, and no other state.
    this.compute.bindTableItems('STATE_TABLE', props.tables.state, ['Query'], ['COMMITS#*', 'RECOMPUTE#*']);
    this.compute.bindBucket('RAW_BUCKET', props.buckets.raw, 'read', RAW_PREFIX);
    this.compute.bindBucket('WORK_BUCKET', props.buckets.work, 'readWrite', PARTIALS_PREFIX);
    // The full input list of each computed period, referenced from its values' lineage.
    this.compute.bindBucket('WORK_BUCKET', props.buckets.work, 'readWrite', LINEAGE_PREFIX);
    // The item lists of fanned-out computations and the states their parts keep.
    this.compute.bindBucket('WORK_BUCKET', props.buckets.work, 'readWrite', FANOUT_PREFIX);

    // Schedules are created at run time, one per KPI; this group holds them and nothing else.
    this.scheduleGroup = new ScheduleGroup(this, 'KpiSchedules', {
      scheduleGroupName: `${props.stackPrefix}-kpis`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'KPI schedule deliveries Lambda refused',
    });
    this.schedulerRole = schedulerRole(this, 'SchedulerRole', {
      description: 'Lets the KPI schedules invoke the compute function',
      scheduleGroupName: this.scheduleGroup.scheduleGroupName,
    });
    this.compute.fn.grantInvoke(this.schedulerRole);
    this.scheduleDeadLetters.queue.grantSendMessages(this.schedulerRole);
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledgeWildcardAction(
        this.schedulerRole,
        action,
        'Sending to the KMS-encrypted dead-letter queue needs these on the messaging key, which is the only resource granted.',
      );
    }
    acknowledgeWildcardResource(
      this.schedulerRole,
      `${this.compute.fn.functionArn}:*`,
      'grantInvoke covers the compute function and its versions; the role invokes nothing else.',
    );

    this.backfill = this.backfillStateMachine(props, fanOut);
    this.grantHandOff(props.stackPrefix);

    new CfnOutput(this, 'ComputeFunctionArn', { value: this.compute.fn.functionArn });
    new CfnOutput(this, 'KpiScheduleGroupName', { value: this.scheduleGroup.scheduleGroupName });
    new CfnOutput(this, 'KpiSchedulerRoleArn', { value: this.schedulerRole.roleArn });
    new CfnOutput(this, 'KpiScheduleDeadLetterArn', { value: this.scheduleDeadLetters.queue.queueArn });
    new CfnOutput(this, 'BackfillStateMachineArn', { value: this.backfill.stateMachineArn });
    new CfnOutput(this, 'RawBucketName', { value: props.buckets.raw.bucketName });
  }

  /**
   * `{ kpiId, from, to, asOf, periods: [{ from, to }] }` (a backfill) or `{ kpiId, from, to,
   * scheduledTime }` (a refresh handed on) → the plan counts the range's stale raw partitions →
   * beyond one invocation's share, a Distributed Map aggregates the parts listed in the plan's item
   * list (S3) → the chunks of periods (at most four at once, so the values table is not flooded),
   * or the refresh, finalize from what the parts kept.
   */
  private backfillStateMachine(props: ComputationProps, fanOut: FanOutSettings): StateMachine {
    const computeTask = (
      id: string,
      payload: Record<string, unknown>,
      output: { resultPath?: string; resultSelector?: Record<string, unknown> } = {},
    ) => {
      const task = new LambdaInvoke(this, id, {
        lambdaFunction: this.compute.fn,
        payload: TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        ...output,
      });
      task.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 });
      return task;
    };
    const range = {
      kpiId: JsonPath.stringAt('$.kpiId'),
      from: JsonPath.stringAt('$.from'),
      to: JsonPath.stringAt('$.to'),
    };
    const plan = computeTask(
      'PlanParts',
      { ...range, planParts: { name: JsonPath.stringAt('$$.Execution.Name') } },
      { resultPath: '$.plan' },
    );
    const eachPart = new DistributedMap(this, 'EachPart', {
      itemReader: new S3JsonItemReader({
        bucketNamePath: JsonPath.stringAt('$.plan.items.bucket'),
        key: JsonPath.stringAt('$.plan.items.key'),
      }),
      maxConcurrency: fanOut.maxConcurrency,
      mapExecutionType: StateMachineType.STANDARD,
      itemSelector: {
        'kpiId.$': '$.kpiId',
        'from.$': '$.from',
        'to.$': '$.to',
        'part.$': '$$.Map.Item.Value',
      },
      resultPath: JsonPath.DISCARD,
    });
    eachPart.itemProcessor(
      computeTask(
        'ComputePart',
        {
          kpiId: JsonPath.stringAt('$.kpiId'),
          from: JsonPath.stringAt('$.from'),
          to: JsonPath.stringAt('$.to'),
          part: JsonPath.objectAt('$.part'),
        },
        {
          // The Map gathers every child's output (within the 256 KiB state limit): a count each, so
          // ~10,000 parts fit one execution.
          resultSelector: { 'aggregated.$': '$.partitions.aggregated' },
        },
      ),
    );
    const eachChunk = new MapState(this, 'EachChunk', {
      itemsPath: '$.periods',
      maxConcurrency: 4,
      itemSelector: {
        'kpiId.$': '$.kpiId',
        'asOf.$': '$.asOf',
        'from.$': '$$.Map.Item.Value.from',
        'to.$': '$$.Map.Item.Value.to',
        'takeParts.$': '$.plan.fannedOut',
      },
      resultPath: '$.chunks',
    });
    eachChunk.itemProcessor(
      computeTask('ComputePeriods', {
        kpiId: JsonPath.stringAt('$.kpiId'),
        from: JsonPath.stringAt('$.from'),
        to: JsonPath.stringAt('$.to'),
        asOf: JsonPath.stringAt('$.asOf'),
        takeParts: JsonPath.objectAt('$.takeParts'),
      }),
    );
    // The refresh evaluates and hands violations on, as it would have; it never hands on again.
    const refresh = computeTask(
      'Refresh',
      { kpiId: JsonPath.stringAt('$.kpiId'), scheduledTime: JsonPath.stringAt('$.scheduledTime'), takeParts: true },
      { resultPath: '$.refresh' },
    );
    const done = new Succeed(this, 'Done');
    const finalize = new Choice(this, 'RefreshOrChunks')
      .when(Condition.isPresent('$.scheduledTime'), refresh.next(done))
      .otherwise(eachChunk.next(done));
    const definition = plan.next(
      new Choice(this, 'FannedOut')
        .when(Condition.booleanEquals('$.plan.fannedOut', true), eachPart.next(finalize))
        .otherwise(finalize),
    );
    const role = stateMachineRole(this, 'BackfillRole', 'Runs KPI backfills and fanned-out computations');
    const machine = new StateMachine(this, 'Backfill', {
      role,
      // Named, so that the compute function can be granted to start it without a reference to it
      // (which would be a cycle: the state machine invokes the function).
      stateMachineName: backfillStateMachineName(props.stackPrefix),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'BackfillLogs', {
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    // The Distributed Map's item reader gets the item lists the plan writes under fanout/: GetObject
    // there and nothing else of the bucket (grantRead would add listing the whole bucket).
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.buckets.work.arnForObjects(`${FANOUT_PREFIX}*`)],
      }),
    );
    acknowledgeWildcardResource(
      role,
      `${this.compute.fn.functionArn}:*`,
      'LambdaInvoke grants the compute function and its versions; the state machine calls nothing else.',
    );
    // The Distributed Map's own grants (CDK adds them): its child executions, which are named per run.
    const name = Fn.select(6, Fn.split(':', machine.stateMachineArn));
    for (const [resourceName, what] of [
      [`${name}:*`, 'describe and stop'],
      [`${name}/*:*`, 'redrive'],
    ] as const) {
      acknowledgeWildcardResource(
        machine.node.findChild('DistributedMapPolicy'),
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          resourceName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        `The Distributed Map must ${what} its child executions, whose names Step Functions generates per run; the grant is limited to executions of this state machine.`,
      );
    }
    acknowledgeWildcardResource(
      role,
      props.buckets.work.arnForObjects(`${FANOUT_PREFIX}*`),
      'The item lists of fan-outs are named per execution; reads are limited to the fanout/ prefix.',
    );
    return machine;
  }

  /** Lets a scheduled refresh with more new data than one invocation should take start the fan-out. */
  private grantHandOff(stackPrefix: string): void {
    const arn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: backfillStateMachineName(stackPrefix),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.compute.fn.addEnvironment('FANOUT_STATE_MACHINE_ARN', arn);
    // By ARN, not grantStartExecution: a reference to the state machine would make a cycle.
    this.compute.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [arn] }),
    );
  }
}

/** The backfill state machine's name (the compute function starts it by ARN). */
function backfillStateMachineName(stackPrefix: string): string {
  return `${stackPrefix}-kpi-backfill`;
}

/** Dataset id → the field its raw partitions are cut by, from the declarations. */
function partitionTimeFields(repoRoot: string, folders: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const folder of folders) {
    const dir = path.join(repoRoot, folder);
    if (!existsSync(dir) || readdirSync(dir).length === 0) continue;
    for (const declaration of readDatasetCatalog(dir)) {
      const eventTime = declaration.eventTime;
      fields[declaration.id] = typeof eventTime === 'string' ? eventTime : eventTime.field;
    }
  }
  return fields;
}

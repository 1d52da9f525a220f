// CDK: the compute stage. One function computes a KPI (incrementally, from the raw store, with
// partial aggregates in the work bucket); each active KPI gets a schedule in the KPI schedule group
// (created by publishing, see src/usecases/publish-definition.ts) that invokes it through a role of
// its own; a backfill state machine fans a range out over periods (Map, JSONPath).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import {
  DefinitionBody,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FORECAST_ASSET_FILES, FORECASTER_BUNDLE } from '../../src/contracts/forecast-assets';
import { RAW_PREFIX } from '../../src/contracts/raw-layout';
import { LINEAGE_PREFIX, PARTIALS_PREFIX } from '../../src/contracts/work-layout';
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
}

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

    this.backfill = this.backfillStateMachine(props.logRetention);

    new CfnOutput(this, 'ComputeFunctionArn', { value: this.compute.fn.functionArn });
    new CfnOutput(this, 'KpiScheduleGroupName', { value: this.scheduleGroup.scheduleGroupName });
    new CfnOutput(this, 'KpiSchedulerRoleArn', { value: this.schedulerRole.roleArn });
    new CfnOutput(this, 'KpiScheduleDeadLetterArn', { value: this.scheduleDeadLetters.queue.queueArn });
    new CfnOutput(this, 'BackfillStateMachineArn', { value: this.backfill.stateMachineArn });
    new CfnOutput(this, 'RawBucketName', { value: props.buckets.raw.bucketName });
  }

  /**
   * `{ kpiId, asOf, periods: [{ from, to }] }` → a Map state computes each chunk of periods (at most
   * four at once, so the values table and the raw bucket are not flooded) → a summary per chunk.
   */
  private backfillStateMachine(logRetention: RetentionDays): StateMachine {
    const computeChunk = new LambdaInvoke(this, 'ComputePeriods', {
      lambdaFunction: this.compute.fn,
      payload: TaskInput.fromObject({
        kpiId: JsonPath.stringAt('$.kpiId'),
        from: JsonPath.stringAt('$.from'),
        to: JsonPath.stringAt('$.to'),
        asOf: JsonPath.stringAt('$.asOf'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    computeChunk.addRetry({ errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 });
    const fanOut = new MapState(this, 'EachChunk', {
      itemsPath: '$.periods',
      maxConcurrency: 4,
      itemSelector: {
        'kpiId.$': '$.kpiId',
        'asOf.$': '$.asOf',
        'from.$': '$$.Map.Item.Value.from',
        'to.$': '$$.Map.Item.Value.to',
      },
      resultPath: '$.chunks',
    });
    fanOut.itemProcessor(computeChunk);
    const role = stateMachineRole(this, 'BackfillRole', 'Runs KPI backfills');
    const machine = new StateMachine(this, 'Backfill', {
      role,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(fanOut.next(new Succeed(this, 'Done'))),
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'BackfillLogs', {
          retention: logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    acknowledgeWildcardResource(
      role,
      `${this.compute.fn.functionArn}:*`,
      'LambdaInvoke grants the compute function and its versions; the state machine calls nothing else.',
    );
    return machine;
  }
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

// CDK: an ingestion Lambda with what every connector needs: the declarations folder in its bundle,
// the code version, puts narrowed to `raw/` and `quarantine/`, and the state table (claims,
// recompute marks, watermarks).
import { Duration, Size } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DATASET_STATUS_KEYS } from '../../../src/contracts/definitions-table';
import { KEY_INDEX_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX } from '../../../src/contracts/raw-layout';
import { acknowledgeWildcardResource } from '../../nag';
import type { PipelineBuckets, PipelineTables } from '../../stacks/resources';
import { KpiFunction, type KpiFunctionProps } from '../kpi-function';

/** What every ingestion construct receives. */
export interface IngestionBaseProps {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly logRetention: RetentionDays;
  /** The declarations folder, relative to the repository root. */
  readonly datasetsFolder: string;
  /** The declarations each function carries, as JSON files under `datasetsFolder` (see `declarationsAsJson`). */
  readonly declarationFiles: Readonly<Record<string, string>>;
  readonly codeVersion: string;
}

export interface IngestionFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly invocation: KpiFunctionProps['invocation'];
  /**
   * Scratch space for records spilled by hour while a large input is read in any time order.
   * @default 512 (Lambda's default)
   */
  readonly ephemeralStorageMiB?: number;
}

export function ingestionFunction(
  scope: Construct,
  id: string,
  props: IngestionFunctionProps,
  base: IngestionBaseProps,
): KpiFunction {
  const fn = new KpiFunction(scope, id, {
    entry: props.entry,
    description: props.description,
    serviceName: props.entry,
    memorySize: props.memorySize,
    timeout: props.timeout,
    logRetention: base.logRetention,
    invocation: props.invocation,
    bundledFiles: base.declarationFiles,
    environment: {
      DATASETS_DIR: base.datasetsFolder,
      CODE_VERSION: base.codeVersion,
      SPILL_DIR: '/tmp',
      // glibc gives each thread that allocates (zlib, hashing and file reads run on libuv's pool) an
      // arena of its own, and keeps what they freed: reading a large file in random order left some
      // 200 MB of the process's memory in freed arenas (npm run bench -- ingest). Two arenas bound it.
      MALLOC_ARENA_MAX: '2',
    },
    ...(props.ephemeralStorageMiB
      ? { overrides: { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } }
      : {}),
  });
  fn.bindBucket('RAW_BUCKET', base.buckets.raw, 'put', RAW_PREFIX);
  // The key indexes of keyed datasets: a batch reads those of the days it writes to drop duplicates.
  fn.bindBucket('RAW_BUCKET', base.buckets.raw, 'read', KEY_INDEX_PREFIX);
  fn.bindBucket('QUARANTINE_BUCKET', base.buckets.quarantine, 'put', QUARANTINE_PREFIX);
  fn.bindTable('STATE_TABLE', base.tables.state, 'readWrite');
  // The dataset declarations in force (`kpi dataset publish`): one Query of the definitions table's
  // status index for the dataset pointers, and nothing else of that table (no KPI, no proposal).
  fn.fn.addEnvironment('DEFINITIONS_TABLE', base.tables.definitions.tableName);
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${base.tables.definitions.tableArn}/index/gsi1`],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...DATASET_STATUS_KEYS] },
      },
    }),
  );
  return fn;
}

/**
 * Runs an ingestion function on a schedule with `input` as its event: retried twice, dropped to the
 * dead-letter queue after an hour. The scheduler assumes a role of its own that may invoke this
 * function only.
 */
export function scheduleIngestion(
  scope: Construct,
  id: string,
  fn: KpiFunction,
  props: { expression: string; description: string; input: unknown; deadLetterQueue: IQueue },
): Schedule {
  const construct = new Construct(scope, id);
  const role = new Role(construct, 'Role', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
    description: props.description,
  });
  const schedule = new Schedule(construct, 'Schedule', {
    description: props.description,
    schedule: ScheduleExpression.expression(props.expression),
    target: new LambdaInvoke(fn.fn, {
      role,
      input: ScheduleTargetInput.fromObject(props.input),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    }),
  });
  acknowledgeWildcardResource(
    role,
    `${fn.fn.functionArn}:*`,
    'Invoke rights on the one ingestion function (and its versions) the schedule targets.',
  );
  return schedule;
}

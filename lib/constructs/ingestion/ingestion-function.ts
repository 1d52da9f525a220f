// CDK: an ingestion Lambda with what every connector needs: the declarations folder in its bundle,
// the code version, scratch space, and its datasets' prefixes of raw and quarantine and items of
// the state table (claims, recompute marks, watermarks, commit logs), for the datasets it serves only.
import { Duration, Size } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_INGEST_DATASET } from '../../../src/contracts/dataset-ownership';
import { DATASET_STATUS_KEYS } from '../../../src/contracts/definitions-table';
import { acknowledgeWildcardResource } from '../../nag';
import type { PipelineBuckets, PipelineTables } from '../../stacks/resources';
import { KpiFunction, type KpiFunctionProps } from '../kpi-function';
import { schedulerRole } from '../service-role';

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
  /** Ids of the datasets this connector ingests (its grants cover these and `pipeline_ingest`). */
  readonly datasets: readonly string[];
  /** Executions reserved for the function (null: none). */
  readonly reservedConcurrency?: number | null;
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
    reservedConcurrency: props.reservedConcurrency ?? null,
    bundledFiles: base.declarationFiles,
    environment: {
      DATASETS_DIR: base.datasetsFolder,
      CODE_VERSION: base.codeVersion,
      SPILL_DIR: '/tmp',
      // glibc gives each thread that allocates (zlib, hashing and file reads run on libuv's pool) an
      // arena of its own and keeps what they freed for reuse; two arenas bound that memory.
      MALLOC_ARENA_MAX: '2',
    },
    ...(props.ephemeralStorageMiB
      ? { overrides: { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } }
      : {}),
  });
  // The datasets it serves and the data-quality records of its batches; nothing of any other dataset.
  fn.bindDatasetStorage({ raw: base.buckets.raw, quarantine: base.buckets.quarantine, state: base.tables.state }, [
    ...props.datasets,
    PIPELINE_INGEST_DATASET,
  ]);
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
  const role = schedulerRole(construct, 'Role', { description: props.description, scheduleGroupName: 'default' });
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

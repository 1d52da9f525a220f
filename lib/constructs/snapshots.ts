// CDK: the publishing stage for data teams. A scheduled function exports KPI values to the snapshots
// bucket as Parquet, Hive-partitioned by date, with a manifest per date; a Glue database and table
// (with partition projection, so a new date is queryable the moment it lands) let Athena read them.
import { Duration } from 'aws-cdk-lib';
import {
  Database,
  DataFormat,
  PartitionProjectionConfiguration,
  S3Table,
  S3TableStorage,
  Schema,
  type Type,
} from 'aws-cdk-lib/aws-glue';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import {
  SNAPSHOT_COLUMNS,
  SNAPSHOT_MANIFEST_PREFIX,
  SNAPSHOT_TABLE_PREFIX,
  type SnapshotColumn,
} from '../../src/contracts/snapshot-layout';
import { acknowledgeWildcardResource } from '../nag';
import type { PipelineBuckets, PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';

export interface SnapshotsProps {
  readonly stackPrefix: string;
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly messagingKey: IKey;
  readonly logRetention: RetentionDays;
  /** When the export runs (UTC). @default 'cron(30 1 * * ? *)', after the daily KPIs of the day before */
  readonly schedule?: string;
}

const GLUE_TYPES: Record<SnapshotColumn['glue'], Type> = {
  string: Schema.STRING,
  double: Schema.DOUBLE,
  int: Schema.INTEGER,
  bigint: Schema.BIG_INT,
  boolean: Schema.BOOLEAN,
  timestamp: Schema.TIMESTAMP,
};

export class Snapshots extends Construct {
  readonly exporter: KpiFunction;
  readonly database: Database;
  readonly table: S3Table;

  constructor(scope: Construct, id: string, props: SnapshotsProps) {
    super(scope, id);
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'snapshot exports that failed after their retries',
    });
    this.exporter = new KpiFunction(this, 'Exporter', {
      entry: 'export-snapshots',
      description: 'Exports KPI values to Parquet snapshots with a manifest per date',
      serviceName: 'export-snapshots',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      invocation: { kind: 'asynchronous', deadLetterQueue: deadLetters.queue },
    });
    this.exporter.bindTable('VALUES_TABLE', props.tables.values, 'read');
    this.exporter.bindBucket('SNAPSHOTS_BUCKET', props.buckets.snapshots, 'put', SNAPSHOT_TABLE_PREFIX);
    // The manifest is read back to skip rewriting a date whose values did not change.
    this.exporter.bindBucket('SNAPSHOTS_BUCKET', props.buckets.snapshots, 'readWrite', SNAPSHOT_MANIFEST_PREFIX);

    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the snapshot exporter',
    });
    new Schedule(this, 'Schedule', {
      description: 'Exports the KPI values of recent days to Parquet snapshots',
      schedule: ScheduleExpression.expression(props.schedule ?? 'cron(30 1 * * ? *)'),
      target: new LambdaInvoke(this.exporter.fn, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        deadLetterQueue: deadLetters.queue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });

    acknowledgeWildcardResource(
      scheduleRole,
      `${this.exporter.fn.functionArn}:*`,
      'The schedule target grants invoke on the exporter and its versions; the role invokes nothing else.',
    );

    this.database = new Database(this, 'Database', {
      databaseName: `${props.stackPrefix.toLowerCase().replace(/-/g, '_')}_kpi_snapshots`,
      description: 'Agent KPI Pipeline: Parquet snapshots of KPI values',
    });
    this.table = new S3Table(this, 'Table', {
      database: this.database,
      tableName: 'kpi_values',
      description: 'One row per KPI value (KPI, grain, period, dimensions) with its lineage; partitioned by UTC date',
      storage: S3TableStorage.fromBucket(props.buckets.snapshots),
      s3Prefix: SNAPSHOT_TABLE_PREFIX,
      dataFormat: DataFormat.PARQUET,
      // The objects are SSE-S3 encrypted, which S3 undoes transparently; `true` tells Athena to expect
      // client-side (CSE-KMS) encryption instead, which these files do not have.
      hasEncryptedData: false,
      columns: SNAPSHOT_COLUMNS.map((c) => ({ name: c.name, type: GLUE_TYPES[c.glue], comment: c.comment })),
      partitionKeys: [{ name: 'date', type: Schema.STRING, comment: 'UTC date the periods start on' }],
      partitionProjection: {
        date: PartitionProjectionConfiguration.date({ min: '2020-01-01', max: 'NOW', format: 'yyyy-MM-dd' }),
      },
    });
  }
}

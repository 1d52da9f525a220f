// CDK: the raw store's sweeper. One function on one schedule deletes what no commit of the raw
// commit log names (runs that died before their commit) once no run can still be writing it, and
// the objects of superseded batches after their retention.
import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX, SWEEP_REPORTS_PREFIX } from '../../../src/contracts/raw-layout';
import { KpiFunction } from '../kpi-function';
import { type IngestionBaseProps, scheduleIngestion } from './ingestion-function';

export interface RawStoreSweeperProps extends IngestionBaseProps {
  /** Scheduler expression, e.g. `rate(1 day)`. */
  readonly schedule: string;
  /** Hours an object no commit names is left alone. */
  readonly graceHours: number;
  /** Days the objects of a superseded batch are kept after the correction. */
  readonly supersededRetentionDays: number;
  readonly deadLetterQueue: IQueue;
}

export class RawStoreSweeper extends Construct {
  readonly function: KpiFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: RawStoreSweeperProps) {
    super(scope, id);
    this.function = new KpiFunction(this, 'Function', {
      entry: 'sweep-raw-store',
      description: 'Deletes raw and quarantine objects no commit names, and superseded batches after retention',
      serviceName: 'sweep-raw-store',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      invocation: { kind: 'asynchronous', deadLetterQueue: props.deadLetterQueue },
      environment: {
        SWEEP_GRACE_HOURS: String(props.graceHours),
        SUPERSEDED_RETENTION_DAYS: String(props.supersededRetentionDays),
      },
    });
    this.function.bindBucket('RAW_BUCKET', props.buckets.raw, 'put', SWEEP_REPORTS_PREFIX);
    this.function.grantBucketSweep(props.buckets.raw, RAW_PREFIX, 'RAW_BUCKET');
    this.function.bindBucket('QUARANTINE_BUCKET', props.buckets.quarantine, 'read', QUARANTINE_PREFIX);
    this.function.grantBucketSweep(props.buckets.quarantine, QUARANTINE_PREFIX, 'QUARANTINE_BUCKET');
    // Reads the commit log; writes it only to adopt batches written before the log existed.
    this.function.bindTable('STATE_TABLE', props.tables.state, 'readWrite');
    this.schedule = scheduleIngestion(this, 'Schedule', this.function, {
      expression: props.schedule,
      description: 'Sweeps the raw store',
      input: {},
      deadLetterQueue: props.deadLetterQueue,
    });
  }
}

// CDK: the S3 drop zone connector. One function, on one schedule, reads what waits under
// `landing/<dataset>/` for every dataset whose declaration keeps a drop zone; invoked by
// `kpi replay`, the same function reads quarantined rows again under a fixed declaration.
import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANDING_PREFIX, MANIFEST_PREFIX, QUARANTINE_PREFIX } from '../../../src/contracts/raw-layout';
import type { KpiFunction } from '../kpi-function';
import { type IngestionBaseProps, ingestionFunction, scheduleIngestion } from './ingestion-function';

export interface DropZoneIngestionProps extends IngestionBaseProps {
  /** Scheduler expression, e.g. `rate(5 minutes)`. */
  readonly schedule: string;
  /** Failed deliveries and failed asynchronous invocations. */
  readonly deadLetterQueue: IQueue;
}

export class DropZoneIngestion extends Construct {
  readonly function: KpiFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: DropZoneIngestionProps) {
    super(scope, id);
    this.function = ingestionFunction(
      this,
      'Function',
      {
        entry: 'ingest-drop-zone',
        description: 'Ingests the files dropped under landing/<dataset>/ into raw and quarantine',
        // A 1 GB file in any row order streams through in bounded memory (64 MiB of records, then
        // spilled by hour to /tmp); 1024 MB leaves room for the parts in flight.
        memorySize: 1024,
        timeout: Duration.minutes(15),
        // Spilled records are typed NDJSON, up to twice a CSV's bytes: room for a 4 GiB input.
        ephemeralStorageMiB: 10_240,
        invocation: { kind: 'asynchronous', deadLetterQueue: props.deadLetterQueue },
      },
      props,
    );
    this.function.bindBucket('LANDING_BUCKET', props.buckets.landing, 'read', LANDING_PREFIX);
    // `kpi replay`: the quarantined rows read again (quarantine/), found through the batch manifests.
    this.function.bindBucket('QUARANTINE_BUCKET', props.buckets.quarantine, 'read', QUARANTINE_PREFIX);
    this.function.bindBucket('RAW_BUCKET', props.buckets.raw, 'read', MANIFEST_PREFIX);
    // What `kpi replay --aws` invokes.
    new CfnOutput(this, 'FunctionArn', { value: this.function.fn.functionArn });
    this.schedule = scheduleIngestion(this, 'Schedule', this.function, {
      expression: props.schedule,
      description: 'Runs the S3 drop zone connector',
      input: {},
      deadLetterQueue: props.deadLetterQueue,
    });
  }
}

// CDK: scheduled calibration proposals. Once a day a schedule invokes the calibrate function, which
// stores a proposal for each KPI whose calibration cadence (a week, a month) has none yet. It reads
// the values and writes proposals to the definitions table; it publishes nothing.
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag';
import type { PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';

export interface CalibrationProps {
  readonly tables: PipelineTables;
  readonly messagingKey: IKey;
  readonly logRetention: RetentionDays;
  /** When the proposals are made. @default cron(0 2 * * ? *) (02:00 UTC daily) */
  readonly schedule?: string;
}

export class Calibration extends Construct {
  readonly proposer: KpiFunction;

  constructor(scope: Construct, id: string, props: CalibrationProps) {
    super(scope, id);
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'calibration runs that failed after their retries',
    });
    this.proposer = new KpiFunction(this, 'Proposer', {
      entry: 'calibrate',
      description: 'Proposes recalibrated thresholds for KPIs whose calibration cadence is due (never publishes)',
      serviceName: 'calibrate',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      invocation: { kind: 'asynchronous', deadLetterQueue: deadLetters.queue },
    });
    // Reads definitions and annotations, writes proposals beside them.
    this.proposer.bindTable('DEFINITIONS_TABLE', props.tables.definitions, 'readWrite');
    this.proposer.bindTable('VALUES_TABLE', props.tables.values, 'read');

    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the calibration proposer',
    });
    new Schedule(this, 'Schedule', {
      description: 'Makes the calibration proposals that are due',
      schedule: ScheduleExpression.expression(props.schedule ?? 'cron(0 2 * * ? *)'),
      target: new LambdaInvoke(this.proposer.fn, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        deadLetterQueue: deadLetters.queue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });
    acknowledgeWildcardResource(
      scheduleRole,
      `${this.proposer.fn.functionArn}:*`,
      'The schedule target grants invoke on the proposer and its versions; the role invokes nothing else.',
    );
  }
}

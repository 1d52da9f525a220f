// CDK: the post-deploy self check. A small Standard workflow that probes every bucket and table
// the pipeline depends on, records the result, and tells operations when something is missing.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { DynamoAttributeValue, DynamoPutItem, LambdaInvoke, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag';
import type { PipelineBuckets, PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';
import { stateMachineRole } from './service-role';

export interface SelfCheckProps {
  /** When the check runs, e.g. `rate(1 day)`. */
  readonly schedule: string;
  /** Key for the dead-letter queue of the schedule. */
  readonly messagingKey: IKey;
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly opsTopic: ITopic;
  readonly logRetention: RetentionDays;
}

/** Error names the probe may throw that are worth a retry (see functions/self-check.ts). */
const TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.TooManyRequestsException', 'Lambda.SdkClientException'];

/**
 * `ProbeResources` (Lambda) → `RecordResult` (DynamoDB PutItem) → `IsHealthy?` →
 * `Healthy` | `NotifyOperations` (SNS Publish) → `Unhealthy`. Any error after retries is caught
 * and reported to operations before the execution fails.
 */
export class SelfCheck extends Construct {
  readonly stateMachine: StateMachine;
  readonly probe: KpiFunction;

  constructor(scope: Construct, id: string, props: SelfCheckProps) {
    super(scope, id);
    const { buckets, tables } = props;

    this.probe = new KpiFunction(this, 'Probe', {
      entry: 'self-check',
      description: 'Checks that every bucket and table of the pipeline is reachable',
      serviceName: 'self-check',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      invocation: { kind: 'synchronous', caller: 'the self-check state machine' },
    });
    // HeadBucket needs s3:ListBucket (bucket read); DescribeTable comes with table read. Prefix-narrowed
    // to a key no object uses, so the probe can see that a bucket exists but read nothing in it.
    for (const [role, bucket] of Object.entries(buckets)) {
      this.probe.bindBucket(`${role.toUpperCase()}_BUCKET`, bucket, 'read', '.self-check/');
    }
    for (const [role, table] of Object.entries(tables)) {
      this.probe.bindTable(`${role.toUpperCase()}_TABLE`, table, 'read');
    }

    const notifyFailure = new SnsPublish(this, 'NotifyCheckFailed', {
      topic: props.opsTopic,
      subject: 'Agent KPI Pipeline self check failed',
      message: TaskInput.fromObject({
        check: 'self-check',
        execution: JsonPath.executionId,
        error: JsonPath.stringAt('$.error.Error'),
        cause: JsonPath.stringAt('$.error.Cause'),
      }),
      resultPath: JsonPath.DISCARD,
    }).next(new Fail(this, 'CheckFailed', { error: 'SelfCheckFailed', cause: 'The self check could not run' }));

    const probeResources = new LambdaInvoke(this, 'ProbeResources', {
      lambdaFunction: this.probe.fn,
      payload: TaskInput.fromObject({ requestedAt: JsonPath.executionStartTime }),
      payloadResponseOnly: true,
      resultPath: '$.report',
      retryOnServiceExceptions: false,
    });
    probeResources.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
    });
    probeResources.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const recordResult = new DynamoPutItem(this, 'RecordResult', {
      table: tables.state,
      item: {
        pk: DynamoAttributeValue.fromString('SELF_CHECK'),
        sk: DynamoAttributeValue.fromString(JsonPath.stringAt('$.report.checkedAt')),
        healthy: DynamoAttributeValue.booleanFromJsonPath(JsonPath.stringAt('$.report.healthy')),
        summary: DynamoAttributeValue.fromString(JsonPath.stringAt('$.report.summary')),
        execution: DynamoAttributeValue.fromString(JsonPath.executionId),
      },
      resultPath: JsonPath.DISCARD,
    });
    recordResult.addRetry({
      errors: ['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.InternalServerErrorException'],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    recordResult.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const notifyUnhealthy = new SnsPublish(this, 'NotifyOperations', {
      topic: props.opsTopic,
      subject: 'Agent KPI Pipeline resources unreachable',
      message: TaskInput.fromObject({
        check: 'self-check',
        execution: JsonPath.executionId,
        summary: JsonPath.stringAt('$.report.summary'),
        failures: JsonPath.objectAt('$.report.failures'),
      }),
      resultPath: JsonPath.DISCARD,
    });
    notifyUnhealthy.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const definition = probeResources.next(recordResult).next(
      new Choice(this, 'IsHealthy?')
        .when(Condition.booleanEquals('$.report.healthy', true), new Succeed(this, 'Healthy'))
        .otherwise(
          notifyUnhealthy.next(
            new Fail(this, 'Unhealthy', {
              error: 'ResourcesUnreachable',
              cause: 'See the self check report in the state table',
            }),
          ),
        ),
    );

    const role = stateMachineRole(this, 'StateMachineRole', 'Runs the self check');
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      role,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.minutes(5),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', {
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    acknowledgeWildcardResource(
      role,
      `${this.probe.fn.functionArn}:*`,
      'LambdaInvoke grants the probe function and its versions; the state machine calls nothing else.',
    );
    // Publishing to the encrypted operations topic needs the topic's key.
    props.messagingKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    const deadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'self-check schedule deliveries that Step Functions refused',
    });
    new Schedule(this, 'Schedule', {
      description: 'Runs the self check of every bucket and table',
      schedule: ScheduleExpression.expression(props.schedule),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        deadLetterQueue: deadLetters.queue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}

// CDK: the guardrail stage. The intake function applies the policy to violations; the approval
// workflow (a Standard state machine) asks the approver tiers in turn through SNS, waits for the
// decision with a deadline, escalates, and applies the decision or the safe default; the approval
// page is served over HTTPS by an HTTP API. Business logic lives in src/usecases/guardrails.
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { APPROVAL_REJECTED_ERROR, APPROVER_ATTRIBUTE, OWNER_ATTRIBUTE } from '../../src/contracts/messages';
import { GOVERNANCE_RECORDS_PREFIX } from '../../src/contracts/raw-layout';
import type { ApproverTier, AtRiskRouting } from '../config';
import { acknowledge, acknowledgeWildcardAction, acknowledgeWildcardResource } from '../nag';
import type { PipelineBuckets, PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';

export interface GuardrailsProps {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  /** Encrypts the approvals and owners topics and the intake's dead-letter queue. */
  readonly messagingKey: IKey;
  /** Where a failed workflow is reported (its executions also raise the stack's failure alarm). */
  readonly opsTopic: ITopic;
  /** The escalation chain, first tier first. */
  readonly approverTiers: readonly ApproverTier[];
  /** KPI owners that receive notices by email. */
  readonly kpiOwnerEmails: readonly string[];
  /** Public base URL of the approval page. @default the HTTP API's endpoint */
  readonly approvalPageUrl?: string;
  /** How at-risk forecasts are routed per level of decision. @default notify_owner everywhere */
  readonly atRiskRouting?: AtRiskRouting;
  readonly logRetention: RetentionDays;
}

/** Errors worth a retry with backoff: Lambda's own, throttling, and the pipeline's transient ones. */
const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientError',
  'ConflictError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'ThrottledException',
  'InternalServerError',
  'ServiceUnavailable',
];

/**
 * The approval page takes a handful of requests per approver; these limits stop a flood (or a
 * scanner) from running up Lambda and DynamoDB cost without ever troubling a person.
 */
const PAGE_THROTTLE = { rateLimit: 10, burstLimit: 20 };

/**
 * `RecordRequest` → `NotifyApprovers` (waits for the task token, the tier's deadline as timeout) →
 * approved: `ApplyDecision` | rejected (`ApprovalRejected`): `ApplyDecision` | deadline:
 * `CloseTier` → `AfterDeadline?` → escalated: `NotifyApprovers` (next tier, fresh links) | decided
 * in time: `ApplyDecision` | no tier left: `ApplySafeDefault`. Every task retries transient errors
 * with backoff; anything else goes to `FailSafe` (hold the agent supervised, audit) →
 * `NotifyOperations` → `ApprovalWorkflowFailed`.
 */
export class Guardrails extends Construct {
  /** Evaluate hands violations to this function (`{ violations: [...] }`). */
  readonly intake: KpiFunction;
  readonly steps: KpiFunction;
  readonly page: KpiFunction;
  readonly stateMachine: StateMachine;
  readonly approvalsTopic: Topic;
  readonly ownersTopic: Topic;
  readonly linkSigningKey: Secret;
  readonly api: HttpApi;
  /** The base URL approval links start with. */
  readonly pageUrl: string;

  constructor(scope: Construct, id: string, props: GuardrailsProps) {
    super(scope, id);
    const { tables, buckets } = props;
    const tiersJson = JSON.stringify(props.approverTiers);

    this.linkSigningKey = new Secret(this, 'LinkSigningKey', {
      description: 'HMAC key that signs approval links (the links carry no task token)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.linkSigningKey,
      'AwsSolutions-SMG4',
      'The key only signs approval links that expire within the escalation chain; the page verifies the previous version too, so it is rotated by putting a new value (docs/approvals.md), without a rotation Lambda.',
    );

    // Messages SNS could not deliver to an email endpoint land here (and raise the DLQ alarm).
    const undelivered = new DeadLetterQueue(this, 'UndeliveredEmails', {
      encryptionKey: props.messagingKey,
      purpose: 'approval requests and owner notices SNS could not deliver',
    });
    // SNS encrypts what it moves to that queue with the messaging key, for this account's topics only.
    props.messagingKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const email = (address: string, attribute: string) =>
      new EmailSubscription(address, {
        filterPolicy: { [attribute]: SubscriptionFilter.stringFilter({ allowlist: [address] }) },
        deadLetterQueue: undelivered.queue,
      });

    this.approvalsTopic = new Topic(this, 'ApprovalsTopic', {
      displayName: 'Agent KPI Pipeline approval requests',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    // Each link names its approver, so each approver receives their own messages only.
    for (const address of new Set(props.approverTiers.flatMap((t) => t.emails.map((e) => e.toLowerCase())))) {
      this.approvalsTopic.addSubscription(email(address, APPROVER_ATTRIBUTE));
    }
    this.ownersTopic = new Topic(this, 'OwnersTopic', {
      displayName: 'Agent KPI Pipeline KPI owner notices',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    for (const address of new Set(props.kpiOwnerEmails.map((e) => e.toLowerCase()))) {
      this.ownersTopic.addSubscription(email(address, OWNER_ATTRIBUTE));
    }

    const common = { serviceName: 'governance', logRetention: props.logRetention, memorySize: 512 } as const;
    this.steps = new KpiFunction(this, 'Steps', {
      ...common,
      entry: 'approval-steps',
      description: 'Steps of the approval workflow: record, notify a tier, close a tier, apply',
      timeout: Duration.seconds(30),
      invocation: { kind: 'synchronous', caller: 'the approval state machine' },
    });
    this.page = new KpiFunction(this, 'Page', {
      ...common,
      entry: 'approval-page',
      description: 'The approval page: GET shows a request, POST records the one decision',
      timeout: Duration.seconds(15),
      invocation: { kind: 'synchronous', caller: 'the approval page HTTP API' },
    });
    const intakeDeadLetters = new DeadLetterQueue(this, 'IntakeDeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'violations the guardrail intake could not handle',
    });
    this.intake = new KpiFunction(this, 'Intake', {
      ...common,
      entry: 'guardrail-intake',
      description: 'Applies the guardrail policy to a batch of violations',
      timeout: Duration.minutes(2),
      invocation: { kind: 'asynchronous', deadLetterQueue: intakeDeadLetters.queue },
    });

    for (const fn of [this.intake, this.steps, this.page]) {
      fn.bindTable('APPROVALS_TABLE', tables.approvals, 'readWrite');
      // Read too: a retried step reads back when it first recorded an event.
      fn.bindTable('AUDIT_TABLE', tables.audit, 'readWrite');
      fn.bindBucket('GOVERNANCE_BUCKET', buckets.raw, 'put', GOVERNANCE_RECORDS_PREFIX);
    }
    for (const fn of [this.intake, this.steps]) {
      fn.bindTable('CONTROLS_TABLE', tables.controls, 'readWrite');
      fn.addEnvironment('APPROVER_TIERS', tiersJson);
    }
    for (const fn of [this.steps, this.page]) fn.bindSecret('LINK_KEY_SECRET_ARN', this.linkSigningKey);
    this.steps.bindTopic('APPROVALS_TOPIC_ARN', this.approvalsTopic);
    // An approved guardrail change of a definition is published by the workflow's last step.
    this.steps.bindTable('DEFINITIONS_TABLE', tables.definitions, 'readWrite');
    this.intake.bindTopic('OWNERS_TOPIC_ARN', this.ownersTopic);
    if (props.atRiskRouting) this.intake.addEnvironment('AT_RISK_ROUTING', JSON.stringify(props.atRiskRouting));
    for (const fn of [this.steps, this.intake]) {
      acknowledgeWildcardAction(
        fn,
        'kms:GenerateDataKey*',
        'Publishing to a topic encrypted with the messaging key needs a data key; grantPublish scopes it to that one key.',
      );
    }

    this.api = this.approvalPageApi(props.logRetention);
    this.pageUrl = props.approvalPageUrl ?? `${this.api.apiEndpoint}/`;
    this.steps.addEnvironment('APPROVAL_PAGE_URL', this.pageUrl);

    this.stateMachine = this.workflow(props);
    this.intake.bindStateMachine('APPROVAL_STATE_MACHINE_ARN', this.stateMachine, 'start');
    this.page.bindStateMachine('APPROVAL_STATE_MACHINE_ARN', this.stateMachine, 'taskResponse');

    new CfnOutput(this, 'ApprovalPageUrl', { value: this.pageUrl, description: 'Base URL of approval links' });
    new CfnOutput(this, 'ApprovalStateMachineArn', {
      value: this.stateMachine.stateMachineArn,
      description: '`kpi publish --aws` starts it for a guardrail change of a high or critical KPI',
    });
    new CfnOutput(this, 'GuardrailIntakeFunction', {
      value: this.intake.fn.functionName,
      description: 'Evaluate invokes this function with { violations: [...] }',
    });
  }

  private approvalPageApi(logRetention: RetentionDays): HttpApi {
    const api = new HttpApi(this, 'PageApi', {
      description: 'Approval page: GET shows a request, POST decides it (signed links, no AWS identity)',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'PageApiAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'PageApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: PAGE_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // The path only: the query string holds the link's signature and stays out of the logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('PageIntegration', this.page.fn);
    const routes = api.addRoutes({
      path: '/approvals/{approvalId}',
      methods: [HttpMethod.GET, HttpMethod.POST],
      integration,
    });
    for (const route of routes) {
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'Approvers follow an emailed link on any device and have no AWS identity; each request is authorized by the link itself (HMAC-signed approval id, approver, tier and expiry, checked before anything is read or written).',
      );
    }
    return api;
  }

  private workflow(props: GuardrailsProps): StateMachine {
    const stepsFn = this.steps.fn;
    const input = JsonPath.objectAt('$$.Execution.Input');
    const approvalId = JsonPath.stringAt('$.approvalId');
    const task = (id: string, payload: Record<string, unknown>, resultPath: string) => {
      const invoke = new LambdaInvoke(this, id, {
        lambdaFunction: stepsFn,
        payload: TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: false,
      });
      invoke.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 4,
        jitterStrategy: JitterType.FULL,
      });
      return invoke;
    };

    const notifyOperations = new SnsPublish(this, 'NotifyOperations', {
      topic: props.opsTopic,
      subject: 'Agent KPI Pipeline approval workflow failed',
      message: TaskInput.fromObject({
        workflow: 'approval',
        execution: JsonPath.executionId,
        approvalId: JsonPath.stringAt('$$.Execution.Input.approvalId'),
        error: JsonPath.stringAt('$.error.Error'),
        cause: JsonPath.stringAt('$.error.Cause'),
        action: 'The governed agent is held supervised; see the audit trail, then restore it when resolved.',
      }),
      resultPath: JsonPath.DISCARD,
    }).next(
      new Fail(this, 'ApprovalWorkflowFailed', {
        error: 'ApprovalWorkflowFailed',
        cause: 'The approval workflow failed; the agent is held supervised and operations were notified',
      }),
    );
    const failSafe = task(
      'FailSafe',
      { step: 'fail-safe', start: input, error: JsonPath.objectAt('$.error') },
      JsonPath.DISCARD,
    );
    failSafe.addCatch(notifyOperations, { errors: ['States.ALL'], resultPath: '$.failSafeError' });
    failSafe.next(notifyOperations);
    const onFailure = { errors: ['States.ALL'], resultPath: '$.error' };

    const applyDecision = task('ApplyDecision', { step: 'apply-decision', approvalId }, '$.applied');
    applyDecision.addCatch(failSafe, onFailure);
    applyDecision.next(new Succeed(this, 'Decided'));

    const applySafeDefault = task('ApplySafeDefault', { step: 'apply-safe-default', approvalId }, '$.applied');
    applySafeDefault.addCatch(failSafe, onFailure);
    applySafeDefault.next(new Succeed(this, 'SafeDefaultApplied'));

    const notifyApprovers = new LambdaInvoke(this, 'NotifyApprovers', {
      lambdaFunction: stepsFn,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      // The token goes to the function, which keeps it in the approvals table; links never carry it.
      payload: TaskInput.fromObject({
        step: 'notify',
        approvalId,
        tier: JsonPath.numberAt('$.tier.index'),
        taskToken: JsonPath.taskToken,
      }),
      taskTimeout: Timeout.at('$.tier.waitSeconds'),
      resultPath: '$.decision',
      retryOnServiceExceptions: false,
    });
    notifyApprovers.addRetry({
      errors: TRANSIENT_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: JitterType.FULL,
    });
    const closeTier = task(
      'CloseTier',
      { step: 'close-tier', approvalId, tier: JsonPath.numberAt('$.tier.index') },
      '$.tier',
    );
    closeTier.addCatch(failSafe, onFailure);
    // A retried notify that finds the request decided (a link of the first attempt was used) applies it too.
    notifyApprovers.addCatch(applyDecision, {
      errors: [APPROVAL_REJECTED_ERROR, 'ApprovalAlreadyDecided'],
      resultPath: '$.decision',
    });
    notifyApprovers.addCatch(closeTier, { errors: ['States.Timeout'], resultPath: '$.deadline' });
    notifyApprovers.addCatch(failSafe, onFailure);
    notifyApprovers.next(applyDecision);
    closeTier.next(
      new Choice(this, 'AfterDeadline?')
        .when(Condition.stringEquals('$.tier.outcome', 'escalated'), notifyApprovers)
        .when(Condition.stringEquals('$.tier.outcome', 'decided'), applyDecision)
        .otherwise(applySafeDefault),
    );

    const recordRequest = task(
      'RecordRequest',
      { step: 'record', start: input, executionArn: JsonPath.executionId },
      '$.tier',
    );
    recordRequest.addCatch(failSafe, onFailure);
    recordRequest.next(notifyApprovers);

    const chainMinutes = props.approverTiers.reduce((sum, tier) => sum + tier.deadlineMinutes, 0);
    const stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'Asks the approver tiers in turn for a guardrail decision, then applies it or the safe default',
      definitionBody: DefinitionBody.fromChainable(recordRequest),
      // The whole chain of deadlines, plus a day for retries and the final steps.
      timeout: Duration.minutes(chainMinutes + 24 * 60),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'WorkflowLogs', {
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        // Execution data shows the task token passed to NotifyApprovers; using it still takes
        // states:SendTaskSuccess on this state machine, which only the page function holds.
        includeExecutionData: true,
      },
    });
    // Publishing to the KMS-encrypted operations topic needs a data key from its key.
    props.messagingKey.grant(stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResource(
      stateMachine,
      `${stepsFn.functionArn}:*`,
      'LambdaInvoke grants the steps function and its versions; the state machine invokes nothing else.',
    );
    acknowledge(
      stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Tracing needs xray:PutTraceSegments, PutTelemetryRecords and GetSampling*, which X-Ray grants on * only.',
    );
    return stateMachine;
  }
}

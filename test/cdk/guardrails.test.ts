// The guardrail stage as synthesized: the approval workflow's shape, who may do what, and how the
// approval page is exposed.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { Guardrails } from '../../lib/constructs/guardrails';
import { PipelineResources } from '../../lib/stacks/resources';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSecondsPath?: string;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Next?: string;
}

let app: SynthesizedApp;
let states: Record<string, AslState>;
let timeoutSeconds: number;
let machine: Record<string, unknown>;

const TIERS = [
  { name: 'kpi-owners', emails: ['ana@example.com', 'Ben@example.com'], deadlineMinutes: 30 },
  { name: 'leads', emails: ['lead@example.com', 'ana@example.com'], deadlineMinutes: 120 },
];

beforeAll(() => {
  app = synthesizeApp({ agentKpiPipeline: { approverTiers: TIERS } });
  const [found] = Object.entries(app.pipeline.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) =>
    id.startsWith('Guardrails'),
  );
  machine = found?.[1].Properties as Record<string, unknown>;
  // Tokens (function ARNs, the topic) become placeholders; the shape is what is checked.
  const [, parts] = (machine.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const json = parts.map((p) => (typeof p === 'string' ? p : '<token>')).join('');
  const definition = JSON.parse(json) as { States: Record<string, AslState>; TimeoutSeconds: number };
  states = definition.States;
  timeoutSeconds = definition.TimeoutSeconds;
});

const policyOf = (rolePrefix: string) =>
  Object.values(rolePolicies(app.pipeline))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
const actionsOf = (rolePrefix: string) => policyOf(rolePrefix).flatMap((s) => [s.Action].flat());

describe('approval workflow', () => {
  it('is a Standard state machine, traced, with a timeout covering the whole chain of deadlines', () => {
    expect(machine).toMatchObject({ StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true } });
    expect(timeoutSeconds).toBe((30 + 120 + 24 * 60) * 60);
  });

  it('waits for the decision on a task token with the tier deadline as its timeout', () => {
    expect(states.NotifyApprovers).toMatchObject({
      Resource: expect.stringContaining('lambda:invoke.waitForTaskToken'),
      TimeoutSecondsPath: '$.tier.waitSeconds',
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token', step: 'notify' } },
    });
  });

  it('hands the task token to the steps function only, never to SNS', () => {
    const withToken = Object.entries(states)
      .filter(([, s]) => JSON.stringify(s.Parameters ?? {}).includes('$$.Task.Token'))
      .map(([name]) => name);
    expect(withToken).toEqual(['NotifyApprovers']);
  });

  it('applies a rejection or a decision made meanwhile, escalates on a timeout and fails safe on anything else', () => {
    expect(states.NotifyApprovers?.Catch?.map((c) => [c.ErrorEquals.join(' '), c.Next])).toEqual([
      ['ApprovalRejected ApprovalAlreadyDecided', 'ApplyDecision'],
      ['States.Timeout', 'CloseTier'],
      ['States.ALL', 'FailSafe'],
    ]);
  });

  it('loops back to notify the next tier, applies a decision made in time, or takes the safe default', () => {
    expect(states['AfterDeadline?']).toMatchObject({
      Choices: [
        { Variable: '$.tier.outcome', StringEquals: 'escalated', Next: 'NotifyApprovers' },
        { Variable: '$.tier.outcome', StringEquals: 'decided', Next: 'ApplyDecision' },
      ],
      Default: 'ApplySafeDefault',
    });
  });

  it('retries transient errors with exponential backoff in every Lambda step', () => {
    const lambdaSteps = Object.entries(states).filter(
      ([, s]) => s.Resource?.includes('lambda') || s.Resource === '<token>',
    );
    expect(lambdaSteps.map(([name]) => name).sort()).toEqual([
      'ApplyDecision',
      'ApplySafeDefault',
      'CloseTier',
      'FailSafe',
      'NotifyApprovers',
      'RecordRequest',
    ]);
    for (const [, state] of lambdaSteps) {
      expect(state.Retry?.[0]).toMatchObject({ BackoffRate: 2, MaxAttempts: 4 });
      expect(state.Retry?.[0]?.ErrorEquals).toContain('Lambda.TooManyRequestsException');
      expect(state.Retry?.[0]?.ErrorEquals).not.toContain('States.Timeout');
    }
  });

  it('sends every failure through the fail-safe to operations before failing the execution', () => {
    expect(states.FailSafe?.Next).toBe('NotifyOperations');
    expect(states.FailSafe?.Catch?.[0]?.Next).toBe('NotifyOperations');
    expect(states.NotifyOperations).toMatchObject({
      Resource: expect.stringContaining('sns:publish'),
      Next: 'ApprovalWorkflowFailed',
    });
    expect(states.ApprovalWorkflowFailed?.Type).toBe('Fail');
  });

  it('gives the steps function the escalation chain from the deployment configuration', () => {
    app.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Steps of the approval workflow'),
      Environment: { Variables: Match.objectLike({ APPROVER_TIERS: JSON.stringify(TIERS) }) },
    });
  });
});

describe('who may do what', () => {
  it('lets only the approval page answer a waiting task', () => {
    const answering = Object.values(rolePolicies(app.pipeline))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('states:SendTaskSuccess'))
      .map((p) => JSON.stringify(p.Properties.Roles));
    expect(answering).toHaveLength(1);
    expect(answering[0]).toContain('GuardrailsPageRole');
  });

  it('lets only the intake start approval workflows', () => {
    const starting = Object.values(rolePolicies(app.pipeline))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('states:StartExecution'))
      .map((p) => JSON.stringify(p.Properties.Roles));
    expect(starting.filter((roles) => roles.includes('Guardrails'))).toEqual([
      expect.stringContaining('GuardrailsIntakeRole'),
    ]);
  });

  it('lets the steps, page and rotation functions and the review functions (which sign review links), and no other, read the link signing key', () => {
    const readers = Object.values(rolePolicies(app.pipeline))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
          (st) =>
            [st.Action].flat().includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(st.Resource).includes('GuardrailsLinkSigningKey'),
        ),
      )
      .map((p) =>
        JSON.stringify(p.Properties.Roles)
          .match(/(Guardrails|Reviews)(\w+?)Role/)
          ?.slice(1)
          .join(''),
      );
    expect(readers.sort()).toEqual([
      'GuardrailsPage',
      'GuardrailsRotateLinkKey',
      'GuardrailsSteps',
      'ReviewsMonthlyBusiness',
      'ReviewsPage',
      'ReviewsWeeklyOperational',
    ]);
  });

  it('lets only the rotation function write the link signing key', () => {
    const writers = Object.values(rolePolicies(app.pipeline))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:PutSecretValue'))
      .map((p) => JSON.stringify(p.Properties.Roles).match(/Guardrails(\w+?)Role/)?.[1]);
    expect(writers).toEqual(['RotateLinkKey']);
    expect(actionsOf('GuardrailsRotateLinkKeyRole')).toEqual(
      expect.arrayContaining(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']),
    );
    expect(actionsOf('GuardrailsRotateLinkKeyRole')).not.toContain('secretsmanager:GetRandomPassword');
  });

  it('lets the steps function, and no other guardrail function, write the definitions table (approved changes)', () => {
    const writers = Object.values(rolePolicies(app.pipeline))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
          (st) =>
            [st.Action].flat().includes('dynamodb:PutItem') && JSON.stringify(st.Resource).includes('-definitions'),
        ),
      )
      .map((p) => JSON.stringify(p.Properties.Roles).match(/(Guardrails\w+?|Calibration\w+?)Role/)?.[1])
      .filter((role) => role !== undefined);
    expect(writers.sort()).toEqual(['CalibrationProposer', 'GuardrailsSteps']);
  });

  it('routes at-risk forecasts as the deployment configuration says, per level of decision', () => {
    app.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Applies the guardrail policy'),
      Environment: {
        Variables: Match.objectLike({
          AT_RISK_ROUTING: JSON.stringify({ low: 'notify_owner', high: 'notify_owner', critical: 'notify_owner' }),
        }),
      },
    });
  });

  it('writes governance records only under raw/dataset=pipeline_governance/ of the raw bucket', () => {
    const puts = policyOf('GuardrailsPageRole').filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(puts.map((s) => s.Resource))).toContain('/raw/dataset=pipeline_governance/*');
    expect(actionsOf('GuardrailsPageRole')).not.toContain('s3:GetObject');
  });
});

describe('link signing key rotation', () => {
  it('rotates the key every 30 days by default, never on a deployment', () => {
    app.pipeline.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^GuardrailsLinkSigningKey') },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardrailsRotateLinkKey'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('lets Secrets Manager invoke the rotation function for this secret of this account only', () => {
    app.pipeline.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardrailsRotateLinkKey'), 'Arn'] },
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { Ref: Match.stringLikeRegexp('^GuardrailsLinkSigningKey') },
    });
  });

  it('leaves rotation to operators when the configuration turns it off', () => {
    const manual = synthesizeApp({ agentKpiPipeline: { linkKeyRotationDays: null } });
    manual.pipeline.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});

describe('approval emails', () => {
  it('subscribes each approver once, filtered to the messages that name them', () => {
    const subscriptions = Object.values(
      app.pipeline.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }),
    );
    const approvers = subscriptions
      .filter((s) => s.Properties.FilterPolicy?.approver)
      .map((s) => [s.Properties.Endpoint, s.Properties.FilterPolicy.approver[0]]);
    expect(approvers.sort()).toEqual([
      ['ana@example.com', 'ana@example.com'],
      ['ben@example.com', 'ben@example.com'],
      ['lead@example.com', 'lead@example.com'],
    ]);
  });

  it('keeps undeliverable emails in a dead-letter queue', () => {
    for (const subscription of Object.values(
      app.pipeline.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }),
    )) {
      expect(subscription.Properties.RedrivePolicy?.deadLetterTargetArn).toBeDefined();
    }
  });
});

describe('approval page', () => {
  it('serves GET and POST of one approval path and of one review path (docs/reviews.md), nothing else', () => {
    const routes = Object.values(app.pipeline.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([
      'GET /approvals/{approvalId}',
      'GET /reviews/{kind}/{period}',
      'POST /approvals/{approvalId}',
      'POST /reviews/{kind}/{period}',
    ]);
  });

  it('throttles requests and logs access as JSON without the query string that holds the signature', () => {
    app.pipeline.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const [stage] = Object.values(app.pipeline.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(Object.values(format)).not.toContain('$context.requestOverride.querystring');
    expect(JSON.stringify(format)).not.toMatch(/querystring|rawQueryString/i);
    expect(format.path).toBe('$context.path');
  });

  it('builds approval links from the API endpoint unless a custom domain is configured', () => {
    const stack = new Stack(
      new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
      'Alone',
    );
    const { buckets, tables } = new PipelineResources(stack, 'Resources', 'Test');
    const key = new Key(stack, 'Key');
    new Guardrails(stack, 'Guardrails', {
      buckets,
      tables,
      messagingKey: key,
      opsTopic: new Topic(stack, 'Ops'),
      approverTiers: TIERS,
      kpiOwnerEmails: [],
      approvalPageUrl: 'https://approvals.example.com/',
      logRetention: RetentionDays.ONE_WEEK,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ APPROVAL_PAGE_URL: 'https://approvals.example.com/' }) },
    });
  });
});

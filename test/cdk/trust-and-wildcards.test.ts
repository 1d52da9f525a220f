// Who may assume the pipeline's roles and use its key, and where `Resource: *` may appear: only in
// the X-Ray and log-delivery policies kept apart for it, each acknowledged alone, so a wildcard
// granted to a function later is reported by cdk-nag instead of passing under an old excuse.
import { App, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { KpiFunction } from '../../lib/constructs/kpi-function';
import { actionsOf, type PolicyStatementJson, rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp();
});

interface TrustStatement {
  Principal: { Service?: string };
  Condition?: Record<string, Record<string, unknown>>;
}
// biome-ignore lint/suspicious/noExplicitAny: a synthesized resource, read by its CloudFormation shape
const trustOf = (role: { [key: string]: any }) =>
  role.Properties.AssumeRolePolicyDocument.Statement as TrustStatement[];
const rolesTrusting = (service: string) =>
  Object.values(app.pipeline.findResources('AWS::IAM::Role')).filter((role) =>
    trustOf(role).some((s) => s.Principal.Service === service),
  );
const text = (value: unknown) => JSON.stringify(value);

describe('trust policies', () => {
  it('lets EventBridge Scheduler assume its roles for this account and one schedule group only', () => {
    const roles = rolesTrusting('scheduler.amazonaws.com');
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const role of roles) {
      for (const statement of trustOf(role)) {
        const equals = statement.Condition?.StringEquals ?? {};
        expect(equals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
        expect(text(equals['aws:SourceArn'])).toMatch(/:scheduler:.*:schedule-group\/(default|AgentKpi-kpis)"/);
      }
    }
  });

  it('lets Step Functions assume the workflow roles for this account state machines only', () => {
    const roles = rolesTrusting('states.amazonaws.com');
    expect(roles).toHaveLength(3);
    for (const role of roles) {
      const [statement] = trustOf(role);
      expect(statement?.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(text(statement?.Condition?.ArnLike?.['aws:SourceArn'])).toContain(':stateMachine:*');
    }
  });

  it('lets CloudWatch use the messaging key for this account alarms only', () => {
    const [key] = Object.values(app.pipeline.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as (PolicyStatementJson & { Principal: unknown })[];
    const cloudwatch = statements.filter((s) => text(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch).toHaveLength(1);
    expect(cloudwatch[0]?.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(text(cloudwatch[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toContain(':alarm:*');
  });

  it('conditions every grant to an AWS service on the messaging key', () => {
    const [key] = Object.values(app.pipeline.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as (PolicyStatementJson & {
      Principal: { Service?: string };
    })[];
    const services = statements.filter((s) => s.Principal.Service);
    expect(services.length).toBeGreaterThan(0);
    for (const statement of services) {
      expect(text(statement.Condition), statement.Principal.Service).toContain('aws:SourceAccount');
    }
  });
});

const SERVICE_WIDE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

describe('wildcard resources', () => {
  it('appear only in the tracing and log-delivery policies, for the actions that have no resource', () => {
    const policies = Object.entries(rolePolicies(app.pipeline));
    const wildcards = policies.flatMap(([id, policy]) =>
      (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
        .filter((s) => s.Effect === 'Allow' && [s.Resource].flat().includes('*'))
        .map((s) => ({ id, actions: actionsOf(s) })),
    );
    expect(wildcards.length).toBeGreaterThan(0);
    for (const { id, actions } of wildcards) {
      expect(id).toMatch(/Role(Tracing|LogDelivery)[0-9A-F]{8}$/);
      expect(
        actions.filter((a) => !SERVICE_WIDE.has(a)),
        id,
      ).toEqual([]);
    }
  });

  it('gives every function its tracing grant in a policy of its own', () => {
    const functions = Object.keys(app.pipeline.findResources('AWS::Lambda::Function'));
    const tracing = Object.keys(rolePolicies(app.pipeline)).filter((id) => /RoleTracing[0-9A-F]{8}$/.test(id));
    // Every function's, and each of the three state machines'.
    expect(tracing).toHaveLength(functions.length + 3);
  });

  it('lets cdk-nag report a wildcard granted to a function beside its tracing', () => {
    const stack = new Stack(
      new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
      'Probe',
    );
    const fn = new KpiFunction(stack, 'Probe', {
      entry: 'self-check',
      description: 'probe',
      serviceName: 'probe',
      invocation: { kind: 'synchronous', caller: 'a test' },
    });
    const findings = () =>
      [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
        pack.validateScope(stack).violations.map((v) => v.ruleName),
      );
    expect(findings()).toEqual([]);
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(findings()).toContain('AwsSolutions-IAM5[Resource::*]');
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;
const templates = () => [app.stateful, app.pipeline];

beforeAll(() => {
  app = synthesizeApp();
});

describe('buckets', () => {
  it('encrypts every bucket and blocks all public access', () => {
    for (const template of templates().filter((t) => Object.keys(t.findResources('AWS::S3::Bucket')).length > 0)) {
      template.allResourcesProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: Match.anyValue() } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    }
  });

  it('denies every request to every bucket that does not use TLS', () => {
    const buckets = Object.keys(app.stateful.findResources('AWS::S3::Bucket'));
    const policies = Object.values(app.stateful.findResources('AWS::S3::BucketPolicy'));
    const tlsOnly = policies
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[]).some(
          (s) =>
            s.Effect === 'Deny' &&
            JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
        ),
      )
      .map((policy) => policy.Properties.Bucket.Ref as string);
    expect(buckets.length).toBeGreaterThanOrEqual(6);
    expect(new Set(tlsOnly)).toEqual(new Set(buckets));
  });

  it('logs access to every data bucket into the access log bucket', () => {
    const buckets = app.stateful.findResources('AWS::S3::Bucket');
    const logBucket = Object.keys(buckets).find((id) => id.startsWith('AccessLogsBucket'));
    const dataBuckets = Object.entries(buckets).filter(([id]) => id !== logBucket);
    expect(dataBuckets.length).toBe(5);
    for (const [, bucket] of dataBuckets) {
      expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logBucket });
    }
  });

  it('retains every bucket when the stack is deleted', () => {
    for (const bucket of Object.values(app.stateful.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
  });

  it('deletes buckets and tables with the stack when retainData is false', () => {
    const disposable = synthesizeApp({ agentKpiPipeline: { retainData: false } });
    for (const bucket of Object.values(disposable.stateful.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Delete');
    }
    disposable.stateful.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });
});

describe('tables', () => {
  it('bills every table on demand, encrypts it and keeps point-in-time recovery on', () => {
    const tables = app.stateful.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(7);
    app.stateful.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('retains every table when the stack is deleted', () => {
    for (const table of Object.values(app.stateful.findResources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('functions', () => {
  it('runs every function on Node.js 24 on ARM64 with active tracing and JSON logs', () => {
    const functions = app.pipeline.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThan(0);
    app.pipeline.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.anyValue() } },
    });
  });

  it('gives every log group a retention period', () => {
    const groups = Object.values(app.pipeline.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('gives no function an AWS managed policy', () => {
    for (const role of Object.values(app.pipeline.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grants no function a wildcard action', () => {
    for (const policy of Object.values(rolePolicies(app.pipeline))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        for (const action of actions) expect(action === '*' || action.endsWith(':*')).toBe(false);
      }
    }
  });
});

describe('messaging', () => {
  it('encrypts every topic with the customer-managed key and refuses publishing without TLS', () => {
    app.pipeline.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    app.pipeline.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    app.pipeline.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('state machines', () => {
  it('traces every state machine and logs all events', () => {
    app.pipeline.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });
});

describe('self check', () => {
  it('lets the probe list buckets but read only keys under .self-check/', () => {
    const probePolicy = Object.values(rolePolicies(app.pipeline)).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('SelfCheckProbe'),
    );
    const statements = probePolicy?.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
    const readResources = statements.filter((s) => s.Action === 's3:GetObject').flatMap((s) => s.Resource as unknown[]);
    expect(readResources).toHaveLength(5);
    for (const resource of readResources) expect(JSON.stringify(resource)).toMatch(/\/\.self-check\/\*"\]\]\}$/);
    const lists = statements.filter((s) => s.Action === 's3:ListBucket');
    for (const list of lists) expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['.self-check/*'] } });
  });
});

describe('observability', () => {
  it('sends every alarm to the operations topic', () => {
    const alarms = Object.values(app.pipeline.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    const opsTopic = Object.keys(app.pipeline.findResources('AWS::SNS::Topic')).find((id) => id.startsWith('OpsTopic'));
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: opsTopic }]);
  });

  it('alarms on errors of every function and on failures of every state machine', () => {
    const alarms = Object.values(app.pipeline.findResources('AWS::CloudWatch::Alarm'));
    const watched = (namespace: string, metricName: string) =>
      alarms.filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metricName).length;
    expect(watched('AWS/Lambda', 'Errors')).toBe(
      Object.keys(app.pipeline.findResources('AWS::Lambda::Function')).length,
    );
    expect(watched('AWS/States', 'ExecutionsFailed')).toBe(
      Object.keys(app.pipeline.findResources('AWS::StepFunctions::StateMachine')).length,
    );
  });

  it('lets CloudWatch publish alarms to the encrypted topic', () => {
    app.pipeline.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('publishes one dashboard', () => {
    app.pipeline.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('graphs every KPI of the pack on the dashboard, with its thresholds as bands', () => {
    const [dashboard] = Object.values(app.pipeline.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const id of ['lead_handoff_cycle_time_p95', 'ctr_lift', 'schema_conformity', 'guardrail_violations']) {
      expect(body).toContain(`\\"kpi\\",\\"${id}\\"`);
    }
    // lead handoff p95: yellow above 300 s, red above 420 s.
    expect(body).toMatch(/\\"value\\":300,\\"label\\":\\"yellow above/);
  });

  it('graphs each forecast KPI with its forecast and its probability of red against the at-risk level', () => {
    const [dashboard] = Object.values(app.pipeline.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('\\"KpiForecast\\"');
    expect(body).toContain('\\"KpiRedProbability\\"');
    expect(body).toMatch(/\\"value\\":0.5,\\"label\\":\\"at risk above/);
  });
});

describe('self check permissions', () => {
  it('lets the self-check workflow use the key of the operations topic it publishes to', () => {
    const policy = Object.values(rolePolicies(app.pipeline)).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('SelfCheckStateMachineRole'),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as { Action: string | string[] }[];
    expect(
      statements.some((s) => JSON.stringify(s.Action) === JSON.stringify(['kms:Decrypt', 'kms:GenerateDataKey'])),
    ).toBe(true);
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp({
    agentKpiPipeline: {
      datasetOwnerEmails: ['RevOps@example.com', 'paid-media@example.com'],
      schedules: { freshnessCheck: 'rate(10 minutes)' },
    },
  });
});

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function checkFunction() {
  const functions = app.pipeline.findResources('AWS::Lambda::Function', {
    Metadata: { 'agentKpi:entry': 'check-freshness' },
  });
  const [logicalId, fn] = Object.entries(functions)[0] ?? [];
  if (!logicalId || !fn) throw new Error('no check-freshness function');
  return { logicalId, fn };
}

function statements(): Statement[] {
  const role = (checkFunction().fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(rolePolicies(app.pipeline))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);
const withAction = (prefix: string) => statements().filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));

describe('the freshness check', () => {
  it('runs on its own schedule with the scheduled time as input, retried, with a dead-letter queue', () => {
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [checkFunction().logicalId, 'Arn'] },
        Input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDeadLetters'), 'Arn'] } },
      }),
    });
  });

  it('carries the declarations and names the tables, the raw bucket and the dataset owners topic', () => {
    expect(checkFunction().fn.Properties.Environment.Variables).toMatchObject({
      DATASETS_DIR: 'kpis/datasets',
      RAW_BUCKET: expect.anything(),
      STATE_TABLE: expect.anything(),
      DEFINITIONS_TABLE: expect.anything(),
      DATASET_OWNERS_TOPIC_ARN: { Ref: expect.stringMatching(/^IngestionFreshnessDatasetOwnersTopic/) },
    });
  });

  it('puts pipeline_ingest objects and manifests only, and reads and deletes nothing in S3', () => {
    const s3 = withAction('s3:');
    const actions = new Set(s3.flatMap(actionsOf));
    expect([...actions].filter((a) => /Get|Delete|List/.test(a))).toEqual([]);
    const resources = s3.flatMap((s) => ([] as unknown[]).concat(s.Resource)).map((r) => JSON.stringify(r));
    expect(resources.sort()).toEqual([
      expect.stringContaining('/raw/_manifests/dataset=pipeline_ingest/*'),
      expect.stringContaining('/raw/dataset=pipeline_ingest/*'),
    ]);
  });

  it("queries any dataset's commit log, commits only pipeline_ingest's, and keeps its own state items", () => {
    const dynamo = withAction('dynamodb:');
    const keysOf = (action: string) =>
      dynamo
        .filter((s) => actionsOf(s).includes(action))
        .map((s) => JSON.stringify(s.Condition ?? null))
        .sort();
    expect(keysOf('dynamodb:PutItem')).toEqual([
      expect.stringContaining('"dynamodb:LeadingKeys":["COMMITS#pipeline_ingest"]'),
      expect.stringContaining('"dynamodb:LeadingKeys":["FRESHNESS#*"]'),
    ]);
    expect(keysOf('dynamodb:GetItem')).toEqual([expect.stringContaining('["FRESHNESS#*"]')]);
    expect(keysOf('dynamodb:Query')).toEqual([
      expect.stringContaining('["DATASET#active","DATASET#retired"]'),
      expect.stringContaining('["COMMITS#*"]'),
    ]);
    const all = new Set(dynamo.flatMap(actionsOf));
    for (const action of ['Scan', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
      expect(all.has(`dynamodb:${action}`)).toBe(false);
    }
  });

  it('publishes to the dataset owners topic only', () => {
    const publish = withAction('sns:');
    expect(publish.flatMap(actionsOf)).toEqual(['sns:Publish']);
    expect(publish.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringMatching(/"Ref":"IngestionFreshnessDatasetOwnersTopic/),
    ]);
  });

  it('subscribes each dataset owner by email, filtered on their own address', () => {
    for (const address of ['revops@example.com', 'paid-media@example.com']) {
      app.pipeline.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: address,
        TopicArn: { Ref: Match.stringLikeRegexp('^IngestionFreshnessDatasetOwnersTopic') },
        FilterPolicy: { owner: [address] },
        RedrivePolicy: Match.anyValue(),
      });
    }
    app.pipeline.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Agent KPI Pipeline dataset owner notices',
      KmsMasterKeyId: Match.anyValue(),
    });
  });
});

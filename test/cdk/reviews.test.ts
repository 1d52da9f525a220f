import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp({
    agentKpiPipeline: {
      reviews: {
        'weekly-operational': {
          audience: ['ops-lead@example.com', 'CMO@example.com'],
          day: 'MON',
          time: '08:30',
          timeZone: 'Europe/Paris',
        },
        'monthly-business': { audience: ['cmo@example.com'], day: 2, time: '09:00', timeZone: 'America/New_York' },
      },
    },
  });
});

const roleOf = (description: string) => {
  const roles = app.pipeline.findResources('AWS::IAM::Role', { Properties: { Description: description } });
  const [id] = Object.keys(roles);
  if (!id) throw new Error(`no role "${description}"`);
  return id;
};

const statementsOf = (roleId: string) =>
  Object.values(rolePolicies(app.pipeline))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);

const actionsOf = (roleId: string) => statementsOf(roleId).flatMap((s) => [s.Action].flat());

describe('reviews', () => {
  it('schedules each review kind at its day and time in its time zone, with retries and a dead-letter queue', () => {
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 8 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: Match.objectLike({
        Input: '{"kind":"weekly-operational","scheduledTime":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
      }),
    });
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 9 2 * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      Target: Match.objectLike({
        Input: '{"kind":"monthly-business","scheduledTime":"<aws.scheduler.scheduled-time>"}',
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
      }),
    });
  });

  it('has one review function per kind, invoked asynchronously with a dead-letter queue, and one review page', () => {
    const functions = Object.values(app.pipeline.findResources('AWS::Lambda::Function')).filter((f) =>
      String(f.Properties.Description).includes('review'),
    );
    const kinds = functions.map((f) => f.Properties.Environment?.Variables?.REVIEW_KIND).filter(Boolean);
    expect(kinds.sort()).toEqual(['monthly-business', 'weekly-operational']);
    for (const f of functions.filter((x) => x.Properties.Environment?.Variables?.REVIEW_KIND)) {
      expect(f.Properties.DeadLetterConfig?.TargetArn).toBeDefined();
    }
    expect(functions.filter((f) => String(f.Properties.Description).startsWith('The review page'))).toHaveLength(1);
  });

  it('gives each builder its audience, lower case, and the page URL links start with', () => {
    app.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REVIEW_KIND: 'weekly-operational',
          REVIEW_AUDIENCE: '["ops-lead@example.com","cmo@example.com"]',
          REVIEW_LINK_DAYS: '14',
          REVIEW_DATA_QUALITY: '{"freshnessMinutes":60,"spikeFactor":2,"spikeMinRows":20}',
          REVIEW_PAGE_URL: Match.anyValue(),
        }),
      },
    });
  });

  it('emails each reviewer once, filtered on their own address', () => {
    const subscriptions = Object.values(app.pipeline.findResources('AWS::SNS::Subscription')).filter(
      (s) => s.Properties.FilterPolicy?.reviewer,
    );
    expect(subscriptions.map((s) => s.Properties.Endpoint).sort()).toEqual(['cmo@example.com', 'ops-lead@example.com']);
    for (const s of subscriptions) expect(s.Properties.FilterPolicy.reviewer).toEqual([s.Properties.Endpoint]);
  });

  it('serves the review page on the approval page API, GET and POST', () => {
    for (const method of ['GET', 'POST']) {
      app.pipeline.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${method} /reviews/{kind}/{period}`,
      });
    }
  });

  it('lets a builder read the stores it reports on, and write only reviews, the audit trail and its packs', () => {
    const role = roleOf('Execution role of review-pack');
    const actions = actionsOf(role);
    expect(actions).toContain('sns:Publish');
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).not.toContain('dynamodb:DeleteTable');
    const writes = statementsOf(role).filter((s) => [s.Action].flat().includes('dynamodb:PutItem'));
    const written = JSON.stringify(writes.map((s) => s.Resource));
    expect(written).toContain('reviews');
    expect(written).toContain('audit');
    expect(written).not.toContain('definitions');
    expect(written).not.toContain('values');
    const objects = JSON.stringify(statementsOf(role).filter((s) => [s.Action].flat().includes('s3:PutObject')));
    expect(objects).toContain('/reviews/*');
    expect(objects).toContain('/raw/dataset=pipeline_governance/*');
    const reads = JSON.stringify(statementsOf(role).filter((s) => [s.Action].flat().includes('s3:GetObject')));
    expect(reads).toContain('/raw/dataset=pipeline_ingest/*');
  });

  it('builds no pack for a kind that is turned off', () => {
    const off = synthesizeApp({
      agentKpiPipeline: {
        reviews: {
          'monthly-business': { enabled: false, audience: ['cmo@example.com'], day: 1, time: '09:00', timeZone: 'UTC' },
        },
      },
    });
    const kinds = Object.values(off.pipeline.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.REVIEW_KIND)
      .filter(Boolean);
    expect(kinds).toEqual(['weekly-operational']);
  });
});

// CDK: the review stage. Per review kind, a function that builds the pack and an EventBridge
// Scheduler schedule that runs it at the audience's day and time (in their time zone), each with a
// dead-letter queue and retries like the other schedules; a topic that emails each reviewer their own
// link; and the review page (GET shows a pack, POST records sign-offs, notes, items and decisions)
// on the same HTTP API as the approval page. Business logic lives in src/usecases/reviews.
import { Duration, TimeZone } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { GOVERNANCE_DATASET_ID } from '../../src/contracts/dataset-ownership';
import {
  DATA_QUALITY_COMMITS_KEY,
  DATA_QUALITY_RECORDS_PREFIX,
  GOVERNANCE_RECORDS_PREFIX,
} from '../../src/contracts/pipeline-records';
import { commitLogPartition, GOVERNANCE_MANIFESTS_PREFIX } from '../../src/contracts/raw-layout';
import {
  REVIEW_KINDS,
  REVIEW_PAGE_ROUTE,
  REVIEWER_ATTRIBUTE,
  REVIEWS_PREFIX,
  type ReviewKindName,
} from '../../src/contracts/review-layout';
import { REVIEW_PAGE_BUNDLE } from '../../src/contracts/review-page-bundle';
import { type ReviewsConfig, reviewCron } from '../config';
import { acknowledge, acknowledgeWildcardAction, acknowledgeWildcardResource } from '../nag';
import type { PipelineBuckets, PipelineTables } from '../stacks/resources';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';
import { schedulerRole } from './service-role';

export interface ReviewsProps {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  /** Encrypts the reviews topic and the dead-letter queues. */
  readonly messagingKey: IKey;
  readonly config: ReviewsConfig;
  /** The key that signs approval links signs review links too (under their own payload tag). */
  readonly linkSigningKey: ISecret;
  /** The page API the approval page is on; the review page gets its own route there. */
  readonly pageApi: HttpApi;
  /** The base URL links start with (the API's endpoint, or a custom domain). */
  readonly pageUrl: string;
  readonly logRetention: RetentionDays;
}

const pascal = (kind: string) => kind.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

/**
 * The pack's page inlines the charting library (src/report/render-html.ts reads it at run time);
 * the bundle carries that one file at the path Node resolves it from.
 */
const CHART_LIBRARY = 'node_modules/echarts/dist/echarts.min.js';

export class Reviews extends Construct {
  readonly topic: Topic;
  readonly page: KpiFunction;
  /** The function that builds each enabled kind's pack. */
  readonly builders: Partial<Record<ReviewKindName, KpiFunction>> = {};
  readonly schedules: Partial<Record<ReviewKindName, Schedule>> = {};

  constructor(scope: Construct, id: string, props: ReviewsProps) {
    super(scope, id);
    const { tables, buckets, config } = props;

    // Messages SNS could not deliver to an email endpoint land here (and raise the DLQ alarm).
    const undelivered = new DeadLetterQueue(this, 'UndeliveredEmails', {
      encryptionKey: props.messagingKey,
      purpose: 'review links SNS could not deliver',
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Agent KPI Pipeline review packs',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    const kinds = REVIEW_KINDS.filter((kind) => config[kind].enabled);
    // Each link names its reviewer, so each reviewer receives their own messages only.
    for (const address of new Set(kinds.flatMap((kind) => config[kind].audience.map((e) => e.toLowerCase())))) {
      this.topic.addSubscription(
        new EmailSubscription(address, {
          filterPolicy: { [REVIEWER_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: [address] }) },
          deadLetterQueue: undelivered.queue,
        }),
      );
    }

    this.page = new KpiFunction(this, 'Page', {
      entry: 'review-page',
      description: 'The review page: GET shows a pack, POST records sign-offs, notes, action items and case decisions',
      serviceName: 'reviews',
      memorySize: 1024,
      timeout: Duration.seconds(20),
      logRetention: props.logRetention,
      invocation: { kind: 'synchronous', caller: 'the page HTTP API' },
      copiedFiles: [{ from: CHART_LIBRARY, to: CHART_LIBRARY }],
    });
    this.bindReviewState(this.page, props);
    this.page.bindBucket('SNAPSHOTS_BUCKET', buckets.snapshots, 'read', REVIEWS_PREFIX);
    this.pageRoute(props.pageApi);

    for (const kind of kinds) {
      const schedule = config[kind];
      const deadLetters = new DeadLetterQueue(this, `${pascal(kind)}DeadLetters`, {
        encryptionKey: props.messagingKey,
        purpose: `${kind} review packs that failed after their retries`,
      });
      const builder = new KpiFunction(this, pascal(kind), {
        entry: 'review-pack',
        description: `Builds the ${kind} review pack from the stores and sends the reviewers their links`,
        serviceName: 'reviews',
        memorySize: 1024,
        timeout: Duration.minutes(5),
        logRetention: props.logRetention,
        invocation: { kind: 'asynchronous', deadLetterQueue: deadLetters.queue },
        copiedFiles: [{ from: CHART_LIBRARY, to: CHART_LIBRARY }],
        // The page's renderer (~50 KB, no schema) is imported beside the bundle on the first pack built.
        lazyBundles: { [REVIEW_PAGE_BUNDLE.file]: REVIEW_PAGE_BUNDLE.entry },
        environment: {
          REVIEW_KIND: kind,
          REVIEW_AUDIENCE: JSON.stringify(schedule.audience.map((e) => e.toLowerCase())),
          REVIEW_PAGE_URL: props.pageUrl,
          REVIEW_LINK_DAYS: String(config.linkDays),
          REVIEW_DATA_QUALITY: JSON.stringify(config.dataQuality),
        },
      });
      this.bindReviewState(builder, props);
      builder.bindBucket('SNAPSHOTS_BUCKET', buckets.snapshots, 'readWrite', REVIEWS_PREFIX);
      builder.bindBucket('RAW_BUCKET', buckets.raw, 'read', DATA_QUALITY_RECORDS_PREFIX);
      // What is visible in the raw store is what the commit log names: this dataset's commits only.
      builder.bindTableItems('STATE_TABLE', tables.state, ['Query'], [DATA_QUALITY_COMMITS_KEY]);
      for (const [name, table] of [
        ['DEFINITIONS_TABLE', tables.definitions],
        ['VALUES_TABLE', tables.values],
        ['APPROVALS_TABLE', tables.approvals],
        ['CONTROLS_TABLE', tables.controls],
      ] as const) {
        builder.bindTable(name, table, 'read');
      }
      builder.bindTopic('REVIEWS_TOPIC_ARN', this.topic);
      acknowledgeWildcardAction(
        builder,
        'kms:GenerateDataKey*',
        'Publishing to a topic encrypted with the messaging key needs a data key; grantPublish scopes it to that one key.',
      );

      const scheduleRole = schedulerRole(this, `${pascal(kind)}ScheduleRole`, {
        description: `Lets EventBridge Scheduler invoke the ${kind} review function`,
        scheduleGroupName: 'default',
      });
      this.schedules[kind] = new Schedule(this, `${pascal(kind)}Schedule`, {
        description: `Builds the ${kind} review pack and sends it to its audience`,
        schedule: ScheduleExpression.expression(reviewCron(schedule), TimeZone.of(schedule.timeZone)),
        target: new LambdaInvoke(builder.fn, {
          role: scheduleRole,
          input: ScheduleTargetInput.fromObject({ kind, scheduledTime: ContextAttribute.scheduledTime }),
          deadLetterQueue: deadLetters.queue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(6),
        }),
      });
      acknowledgeWildcardResource(
        scheduleRole,
        `${builder.fn.functionArn}:*`,
        `The schedule target grants invoke on the ${kind} review function and its versions; the role invokes nothing else.`,
      );
      this.builders[kind] = builder;
    }
  }

  /** What both the builders and the page record: reviews, the audit trail and its governance records, the link key. */
  private bindReviewState(fn: KpiFunction, props: ReviewsProps): void {
    fn.bindTable('REVIEWS_TABLE', props.tables.reviews, 'readWrite');
    // The audit trail is append-only: events are read (the pack's what changed, a retried step's own
    // event) and put once, on the condition that they are not there yet; nothing updates or deletes them.
    fn.bindTable('AUDIT_TABLE', props.tables.audit, 'read');
    fn.bindTableItems('AUDIT_TABLE', props.tables.audit, ['PutItem'], ['EVENT#*', 'KPI#*']);
    // Audit events are committed to the governance dataset like any batch: its records and manifests,
    // and its commit log (read the day's entries, put the next one if absent).
    fn.bindBucket('GOVERNANCE_BUCKET', props.buckets.raw, 'put', GOVERNANCE_RECORDS_PREFIX);
    fn.bindBucket('GOVERNANCE_BUCKET', props.buckets.raw, 'put', GOVERNANCE_MANIFESTS_PREFIX);
    fn.bindTableItems(
      'STATE_TABLE',
      props.tables.state,
      ['PutItem', 'Query'],
      [commitLogPartition(GOVERNANCE_DATASET_ID)],
    );
    fn.bindSecret('LINK_KEY_SECRET_ARN', props.linkSigningKey);
  }

  private pageRoute(api: HttpApi): void {
    const routes = api.addRoutes({
      path: REVIEW_PAGE_ROUTE,
      methods: [HttpMethod.GET, HttpMethod.POST],
      integration: new HttpLambdaIntegration('ReviewPageIntegration', this.page.fn),
    });
    for (const route of routes) {
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'Reviewers follow an emailed link on any device and have no AWS identity; each request is authorized by the link itself (HMAC-signed kind, period, reviewer and expiry, checked against the pack audience before anything is read or written).',
      );
    }
  }
}

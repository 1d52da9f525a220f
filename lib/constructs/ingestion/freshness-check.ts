// CDK: the dataset freshness check. One function on its own schedule judges every dataset that
// declares `freshness` against its last committed arrival, writes the `freshness` records of
// pipeline_ingest, and tells the dataset's owner of each change of level on the dataset owners
// topic. It is scheduled apart from the connectors: a dataset that stopped arriving is found when
// nothing is ingested at all.
import { CfnOutput, Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PIPELINE_INGEST_DATASET } from '../../../src/contracts/dataset-ownership';
import { DATASET_STATUS_KEYS } from '../../../src/contracts/definitions-table';
import { FRESHNESS_STATE_KEYS } from '../../../src/contracts/freshness-check';
import { OWNER_ATTRIBUTE } from '../../../src/contracts/messages';
import { commitLogPartition, MANIFEST_PREFIX, RAW_PREFIX } from '../../../src/contracts/raw-layout';
import { acknowledgeWildcardAction } from '../../nag';
import { DeadLetterQueue } from '../dead-letter-queue';
import { KpiFunction } from '../kpi-function';
import { type IngestionBaseProps, scheduleIngestion } from './ingestion-function';

export interface FreshnessCheckProps extends IngestionBaseProps {
  /** Scheduler expression, e.g. `rate(15 minutes)`. */
  readonly schedule: string;
  /** Dataset owners subscribed by email, each receiving the notices of the datasets they own only. */
  readonly ownerEmails: readonly string[];
  /** Encrypts the dataset owners topic and its dead-letter queue. */
  readonly messagingKey: IKey;
  readonly deadLetterQueue: IQueue;
}

export class FreshnessCheck extends Construct {
  readonly function: KpiFunction;
  readonly schedule: Schedule;
  /** Notices to dataset owners: attributes `owner`, `dataset`, `freshnessStatus`, `freshnessTransition`. */
  readonly ownersTopic: Topic;

  constructor(scope: Construct, id: string, props: FreshnessCheckProps) {
    super(scope, id);
    this.ownersTopic = new Topic(this, 'DatasetOwnersTopic', {
      displayName: 'Agent KPI Pipeline dataset owner notices',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    const undelivered = new DeadLetterQueue(this, 'UndeliveredNotices', {
      encryptionKey: props.messagingKey,
      purpose: 'dataset owner notices SNS could not deliver',
    });
    for (const address of new Set(props.ownerEmails.map((e) => e.toLowerCase()))) {
      this.ownersTopic.addSubscription(
        new EmailSubscription(address, {
          filterPolicy: { [OWNER_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: [address] }) },
          deadLetterQueue: undelivered.queue,
        }),
      );
    }

    this.function = new KpiFunction(this, 'Function', {
      entry: 'check-freshness',
      description: 'Judges each dataset against its declared freshness and notifies its owner of a change',
      serviceName: 'check-freshness',
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      invocation: { kind: 'asynchronous', deadLetterQueue: props.deadLetterQueue },
      bundledFiles: props.declarationFiles,
      environment: { DATASETS_DIR: props.datasetsFolder, CODE_VERSION: props.codeVersion },
    });
    const fn = this.function;
    const { raw } = props.buckets;
    const { state, definitions } = props.tables;
    // Its records are pipeline_ingest records: the object and the manifest of its batch, put only.
    fn.bindBucket('RAW_BUCKET', raw, 'put', `${RAW_PREFIX}dataset=${PIPELINE_INGEST_DATASET}/`);
    fn.bindBucket('RAW_BUCKET', raw, 'put', `${MANIFEST_PREFIX}dataset=${PIPELINE_INGEST_DATASET}/`);
    // Reads the commit log of any dataset (one may be published after the deployment), writes none
    // but pipeline_ingest's (its own batch: read the day, put the next entry if absent).
    fn.bindTableItems('STATE_TABLE', state, ['Query'], ['COMMITS#*']);
    fn.bindTableItems('STATE_TABLE', state, ['PutItem'], [commitLogPartition(PIPELINE_INGEST_DATASET)]);
    // Its own state per dataset: the level last told, a notice being sent.
    fn.bindTableItems('STATE_TABLE', state, ['GetItem', 'PutItem'], FRESHNESS_STATE_KEYS);
    // The declarations in force: the dataset pointers of the definitions table's status index only.
    fn.addEnvironment('DEFINITIONS_TABLE', definitions.tableName);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${definitions.tableArn}/index/gsi1`],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...DATASET_STATUS_KEYS] } },
      }),
    );
    fn.bindTopic('DATASET_OWNERS_TOPIC_ARN', this.ownersTopic);
    acknowledgeWildcardAction(
      fn,
      'kms:GenerateDataKey*',
      'Publishing to a topic encrypted with the messaging key needs a data key; grantPublish scopes it to that one key.',
    );

    this.schedule = scheduleIngestion(this, 'Schedule', fn, {
      expression: props.schedule,
      description: 'Checks the freshness of every dataset that declares it',
      // The scheduled time: every retry of one run judges the same instant.
      input: { time: '<aws.scheduler.scheduled-time>' },
      deadLetterQueue: props.deadLetterQueue,
    });
    new CfnOutput(this, 'FunctionArn', {
      value: fn.fn.functionArn,
      description: '`kpi dataset freshness --aws` invokes it to check every dataset now',
    });
  }
}

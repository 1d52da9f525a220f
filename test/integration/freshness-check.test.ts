// The freshness check on the emulators: the production handler with the template's environment,
// the real commit log, state table, raw bucket and SNS topic (fauxqs delivers to SQS).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDatasetArrivals } from '../../src/adapters/aws/dynamodb-dataset-freshness';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { loadDatasetFile } from '../../src/adapters/local/dataset-files';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';
import type { FreshnessCheckReport } from '../../src/usecases/check-dataset-freshness';
import { ingestBatch } from '../../src/usecases/ingest-batch';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import { chunked, utf8 } from '../support/datasets';
import { bucketsOf, commitLogOf, handlerOf, putObject, visibleRecords } from '../support/ingestion';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const folder = path.resolve(import.meta.dirname, '..', 'artifacts', 'freshness-datasets');
const declaration = (id: string, owner: string) =>
  [
    `id: ${id}`,
    `description: ${id} (test fixture)`,
    `owner: ${owner}`,
    'freshness: { expectedEvery: 1h, warnAfter: 2h, failAfter: 6h }',
    'format: { type: csv }',
    'fields:',
    '  id: { type: string, required: true }',
    '  at: { type: timestamp, required: true }',
    'eventTime: at',
  ].join('\n');

let cloud: LocalCloud;
let drop: LambdaHandler<DropZoneReport>;
let check: LambdaHandler<FreshnessCheckReport>;
let topicArn: string;
let feedOwnerQueue: string;
const sqs = () => new SQSClient({ useQueueUrlAsEndpoint: false });
/** The first arrival, to the minute: every check time is counted from it. */
let start: number;
const at = (millis: number) => ({ time: new Date(start + millis).toISOString() });

/** A queue subscribed to the topic with a filter on one owner, as an owner's subscription is. */
async function subscribeOwner(owner: string): Promise<string> {
  const client = sqs();
  const sns = new SNSClient({});
  try {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'feed-owner-inbox' }));
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { FilterPolicy: JSON.stringify({ owner: [owner] }) },
      }),
    );
    return String(QueueUrl);
  } finally {
    client.destroy();
    sns.destroy();
  }
}

async function inbox(queueUrl: string): Promise<{ subject: string; transition: string }[]> {
  const client = sqs();
  const received: { subject: string; transition: string }[] = [];
  try {
    for (;;) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return received;
      for (const m of Messages) {
        const body = JSON.parse(m.Body ?? '{}') as {
          Subject: string;
          MessageAttributes: Record<string, { Value: string }>;
        };
        received.push({ subject: body.Subject, transition: body.MessageAttributes.freshnessTransition?.Value ?? '' });
        await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'stall_feed.yaml'), declaration('stall_feed', 'Feed-Owner@example.com'));
  writeFileSync(path.join(folder, 'quiet_feed.yaml'), declaration('quiet_feed', 'other-owner@example.com'));
  cloud = await LocalCloud.start();
  drop = await handlerOf<DropZoneReport>(cloud, 'ingest-drop-zone', { DATASETS_DIR: folder });
  check = await handlerOf<FreshnessCheckReport>(cloud, 'check-freshness', { DATASETS_DIR: folder });
  topicArn = String(cloud.functions.get('check-freshness').environment.DATASET_OWNERS_TOPIC_ARN);
  await cloud.watchTopic(topicArn);
  feedOwnerQueue = await subscribeOwner('feed-owner@example.com');
});

afterAll(async () => {
  await cloud?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe('the scheduled freshness check', () => {
  it('warns, then fails, then recovers a dataset that stops arriving, one notice per change', async () => {
    const { landing } = bucketsOf(cloud);
    await putObject(cloud, landing, 'landing/stall_feed/first.csv', `id,at\na,${new Date().toISOString()}\n`);
    await drop({});
    start = Math.ceil(Date.now() / MINUTE) * MINUTE;

    const fresh = await check(at(HOUR));
    expect(fresh.datasets.map((d) => [d.dataset, d.status])).toEqual([
      ['quiet_feed', 'never_arrived'],
      ['stall_feed', 'fresh'],
    ]);
    const warned = await check(at(3 * HOUR));
    expect(warned.datasets.find((d) => d.dataset === 'stall_feed')).toMatchObject({
      status: 'warn',
      transition: 'warned',
      noticesSent: ['stall_feed#1'],
    });
    // The same scheduled run delivered again (a retry): nothing is sent twice.
    const retried = await check(at(3 * HOUR));
    expect(retried.datasets.flatMap((d) => d.noticesSent)).toEqual([]);
    await check(at(7 * HOUR));
    await check(at(7 * HOUR + 15 * MINUTE));

    // The feed comes back: a batch committed by ingestion at start + 7h20.
    const stateTable = String(cloud.functions.get('check-freshness').environment.STATE_TABLE);
    const buckets = bucketsOf(cloud);
    const text = `id,at\nb,${new Date(start + 7 * HOUR).toISOString()}\n`;
    await ingestBatch(
      {
        dataset: (await loadDatasetFile(path.join(folder, 'stall_feed.yaml'))).dataset,
        connector: 'drop_zone',
        source: 's3://landing/stall_feed/second.csv',
        parts: [{ origin: { source: 'test', file: 'second.csv' }, bytes: chunked(utf8(text)), uri: 'test://second' }],
        mode: 'partial',
        lateAfterMinutes: 60,
      },
      {
        store: new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine }),
        ledger: new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable),
        log: commitLogOf(cloud),
        spill: new MemorySpillStore(),
        clock: { now: () => start + 7 * HOUR + 20 * MINUTE },
        codeVersion: 'test',
      },
    );
    const recovered = await check(at(7 * HOUR + 30 * MINUTE));
    expect(recovered.datasets.find((d) => d.dataset === 'stall_feed')).toMatchObject({
      status: 'fresh',
      transition: 'recovered',
      lastArrivalAt: start + 7 * HOUR + 20 * MINUTE,
    });
    await check(at(7 * HOUR + 45 * MINUTE));

    // The owner's subscription, filtered on their address, received their dataset's changes only.
    expect(await inbox(feedOwnerQueue)).toEqual([
      { subject: '[warn] stall_feed is late: no data for 3h', transition: 'warned' },
      { subject: expect.stringMatching(/^\[fail\] stall_feed stopped arriving: no data for 7h/), transition: 'failed' },
      { subject: '[recovered] stall_feed is arriving again', transition: 'recovered' },
    ]);
    const all = await cloud.takePublished(topicArn);
    // The dataset that never arrived warns and fails on its own, counted from when the check first saw it.
    expect(
      all.map((m) => [
        m.attributes.owner,
        m.attributes.dataset,
        m.attributes.freshnessTransition,
        m.attributes.freshnessStatus,
      ]),
    ).toEqual([
      ['feed-owner@example.com', 'stall_feed', 'warned', 'warn'],
      ['other-owner@example.com', 'quiet_feed', 'warned', 'never_arrived'],
      ['feed-owner@example.com', 'stall_feed', 'failed', 'fail'],
      ['other-owner@example.com', 'quiet_feed', 'failed', 'never_arrived'],
      ['feed-owner@example.com', 'stall_feed', 'recovered', 'fresh'],
    ]);
  });

  it('commits one freshness record per dataset and run of pipeline_ingest, a retried run adding none', async () => {
    const records = (await visibleRecords<Record<string, unknown>>(cloud, 'pipeline_ingest'))
      .filter((r) => r.record_type === 'freshness' && r.dataset === 'stall_feed')
      .sort((a, b) => Number(a.ingested_at) - Number(b.ingested_at));
    expect(records.map((r) => r.freshness_status)).toEqual(['fresh', 'warn', 'fail', 'fail', 'fresh', 'fresh']);
    expect(records[2]).toMatchObject({
      warn_after_seconds: 7200,
      fail_after_seconds: 21_600,
      silence_seconds: expect.any(Number),
    });
  });

  it('finds the last arrival in the recent days of the commit log, else the newest older one', async () => {
    const log = commitLogOf(cloud);
    const arrivals = new DynamoDbDatasetArrivals(cloud.clients.dynamodb, cloud.physicalName('StateTable'));
    const entry = (date: string, version: number, committedAt: number) => ({
      dataset: 'old_feed',
      date,
      version,
      batchId: `b-${date}-${version}`,
      source: `b-${date}-${version}`,
      supersedes: [],
      objects: [],
      keysKey: null,
      keys: 0,
      manifestKey: `m-${date}-${version}`,
      committedAt,
    });
    expect(await arrivals.lastArrival('old_feed', Date.parse('2026-03-01T00:00:00Z'))).toBeNull();
    // A late batch of an older day committed after the day's own batches counts: the newest commit, not the newest day.
    await log.append(entry('2026-01-10', 1, Date.parse('2026-01-10T06:00:00Z')));
    await log.append(entry('2026-01-09', 2, Date.parse('2026-01-10T08:00:00Z')));
    expect(await arrivals.lastArrival('old_feed', Date.parse('2026-01-09T12:00:00Z'))).toBe(
      Date.parse('2026-01-10T08:00:00Z'),
    );
    // Nothing in the recent days: the newest of the older entries, so the notice can say when.
    expect(await arrivals.lastArrival('old_feed', Date.parse('2026-03-01T00:00:00Z'))).toBe(
      Date.parse('2026-01-10T08:00:00Z'),
    );
    // A batch of only old events arriving later is not an arrival of recent data.
    await log.append(entry('2026-01-01', 1, Date.parse('2026-03-05T00:00:00Z')));
    expect(await arrivals.lastArrival('old_feed', Date.parse('2026-01-09T00:00:00Z'))).toBe(
      Date.parse('2026-01-10T08:00:00Z'),
    );
  });

  it('is run by the local scheduler on its schedule, over the datasets the deployment ships', async () => {
    const [schedule, ...others] = cloud.schedules.targeting('check-freshness');
    expect(others).toEqual([]);
    expect(schedule?.expression).toBe('rate(15 minutes)');
    const report = (await cloud.schedules.run(
      schedule as NonNullable<typeof schedule>,
      new Date(start + 8 * HOUR),
    )) as FreshnessCheckReport;
    expect(report.at).toBe(new Date(start + 8 * HOUR).toISOString());
    expect(report.datasets.map((d) => d.dataset)).toContain('crm_leads');
    expect(report.unchecked).toEqual(['pipeline_governance', 'pipeline_ingest']);
  });
});

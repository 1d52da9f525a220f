import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';
import { ingestBatch } from '../../src/usecases/ingest-batch';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import type { SweepReport } from '../../src/usecases/sweep-raw-store';
import { chunked, declare, utf8 } from '../support/datasets';
import {
  type Buckets,
  bucketsOf,
  commitLogOf,
  fixturesDatasets,
  handlerOf,
  listKeys,
  putObject,
  visibleRecords,
} from '../support/ingestion';

let cloud: LocalCloud;
let buckets: Buckets;
let drop: LambdaHandler<DropZoneReport>;
let sweep: LambdaHandler<SweepReport>;
const iso = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
  drop = await handlerOf<DropZoneReport>(cloud, 'ingest-drop-zone', { DATASETS_DIR: fixturesDatasets });
  // A grace of about a second, and superseded batches kept no time at all.
  sweep = await handlerOf<SweepReport>(cloud, 'sweep-raw-store', {
    SWEEP_GRACE_HOURS: String(1 / 3600),
    SUPERSEDED_RETENTION_DAYS: '0',
  });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('raw store sweeper', () => {
  it('deletes what a run that died before its commit left, and nothing any commit names', async () => {
    await putObject(
      cloud,
      buckets.landing,
      'landing/web_sessions/kept.csv',
      `Session ID,started_at,channel,pages,bounced,revenue\nk1,${iso(2)},email,1,false,3\n`,
    );
    await drop({});
    const events = declare({
      id: 'died_test',
      format: { type: 'ndjson' },
      fields: { id: { type: 'string' }, at: { type: 'timestamp' } },
    });
    const log = commitLogOf(cloud);
    const dead = Object.assign(Object.create(log) as typeof log, {
      append: async () => {
        throw new Error('Task timed out');
      },
    });
    const stateTable = String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
    const text = ['x', 'y'].map((id, i) => JSON.stringify({ id, at: iso(30 * i + 1) })).join('\n');
    await expect(
      ingestBatch(
        {
          dataset: events,
          connector: 'drop_zone',
          source: 'test',
          parts: [{ origin: { source: 'test', file: 'f' }, bytes: chunked(utf8(text)), uri: 'test://f' }],
          mode: 'partial',
          lateAfterMinutes: 60,
        },
        {
          store: new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine }),
          ledger: new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable),
          log: dead,
          spill: new MemorySpillStore(),
          clock: { now: () => Date.now() },
          codeVersion: 'test',
        },
      ),
    ).rejects.toThrow('Task timed out');
    const leftovers = await listKeys(cloud, buckets.raw, 'raw/dataset=died_test/');
    expect(leftovers).toHaveLength(2);
    const sessionsBefore = await visibleRecords(cloud, 'web_sessions');
    const rawBefore = await listKeys(cloud, buckets.raw, 'raw/dataset=web_sessions/');

    await sleep(1_500);
    const report = await sweep({});
    expect(report.datasets.died_test?.uncommitted.objects).toBe(2);
    expect(report.manifests.objects).toBeGreaterThanOrEqual(1);
    expect(await listKeys(cloud, buckets.raw, 'raw/dataset=died_test/')).toEqual([]);
    expect(await listKeys(cloud, buckets.raw, 'raw/dataset=web_sessions/')).toEqual(rawBefore);
    expect(await visibleRecords(cloud, 'web_sessions')).toEqual(sessionsBefore);
    expect(await listKeys(cloud, buckets.raw, report.reportKey)).toEqual([report.reportKey]);

    const again = await sweep({});
    expect(again.deleted).toBe(0);
  });

  it('deletes the objects of a batch a corrected export superseded once their retention is over', async () => {
    const header = 'lead_id,created_at,amount';
    await putObject(
      cloud,
      buckets.landing,
      'landing/crm_daily/leads-2024-06-01.csv',
      `${header}\nL1,${iso(5)},10\nL2,${iso(5)},20\n`,
    );
    await drop({});
    const first = await listKeys(cloud, buckets.raw, 'raw/dataset=crm_daily/');
    await putObject(
      cloud,
      buckets.landing,
      'landing/crm_daily/leads-2024-06-01 (corrected).csv',
      `${header}\nL1,${iso(5)},15\nL2,${iso(5)},20\n`,
    );
    await drop({});
    expect((await visibleRecords(cloud, 'crm_daily')).map((r) => r.amount).sort()).toEqual([15, 20]);
    await sleep(1_500);
    const report = await sweep({ dryRun: true });
    expect(report.datasets.crm_daily?.superseded.objects).toBeGreaterThan(0);
    expect(report.deleted).toBe(0);
    await sweep({});
    const after = await listKeys(cloud, buckets.raw, 'raw/dataset=crm_daily/');
    expect(after.filter((key) => first.includes(key))).toEqual([]);
    expect((await visibleRecords(cloud, 'crm_daily')).map((r) => r.amount).sort()).toEqual([15, 20]);
  });

  it('finishes the commit of a batch whose run died between two of its days and never came back', async () => {
    const events = declare({
      id: 'half_committed',
      format: { type: 'ndjson' },
      fields: { id: { type: 'string' }, at: { type: 'timestamp' } },
    });
    const log = commitLogOf(cloud);
    let appends = 0;
    const dying = Object.assign(Object.create(log) as typeof log, {
      append: async (entry: Parameters<typeof log.append>[0]) => {
        appends += 1;
        if (appends === 2) throw new Error('Task timed out');
        return log.append(entry);
      },
    });
    const stateTable = String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
    const text = ['p', 'q', 'r'].map((id, i) => JSON.stringify({ id, at: iso(24 * i + 1) })).join('\n');
    await expect(
      ingestBatch(
        {
          dataset: events,
          connector: 'push',
          source: 'push:agent-a',
          parts: [{ origin: { source: 'push:agent-a', file: 'b' }, bytes: chunked(utf8(text)), uri: 'push:agent-a/b' }],
          mode: 'all_or_nothing',
          lateAfterMinutes: 60,
        },
        {
          store: new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine }),
          ledger: Object.assign(new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable), {
            release: async () => {
              throw new Error('dead');
            },
          }),
          log: dying,
          spill: new MemorySpillStore(),
          clock: { now: () => Date.now() },
          codeVersion: 'test',
        },
      ),
    ).rejects.toThrow('Task timed out');
    // Days commit a few at once: the day whose commit died (q's) is missing, the other two are whole.
    expect((await visibleRecords(cloud, 'half_committed')).map((r) => r.id).sort()).toEqual(['p', 'r']);
    await sleep(1_500);
    const report = await sweep({});
    expect(report.rolledForward).toBe(1);
    expect((await visibleRecords(cloud, 'half_committed')).map((r) => r.id).sort()).toEqual(['p', 'q', 'r']);
    expect((await sweep({})).rolledForward).toBe(0);
  });

  it('adopts a batch written before the commit log existed, so an upgrade keeps its history', async () => {
    const key = 'raw/dataset=legacy/date=2024-01-02/hour=03/0123456789abcdef0123456789abcdef-0000.ndjson.gz';
    const body = gzipSync(`${JSON.stringify({ id: 'old', at: Date.parse('2024-01-02T03:04:05Z') })}\n`);
    await putObject(cloud, buckets.raw, key, body);
    const manifestKey = 'raw/_manifests/dataset=legacy/date=2024-01-02/0123456789abcdef0123456789abcdef.json';
    await putObject(
      cloud,
      buckets.raw,
      manifestKey,
      JSON.stringify({
        manifestVersion: 1,
        batchId: '0123456789abcdef0123456789abcdef',
        dataset: 'legacy',
        outcome: 'ingested',
        ingestedAt: Date.parse('2024-01-02T04:00:00Z'),
        objects: [
          {
            kind: 'raw',
            bucket: buckets.raw,
            key,
            dataset: 'legacy',
            records: 1,
            bytes: body.byteLength,
            sha256: createHash('sha256').update(body).digest('hex'),
            minEventTime: Date.parse('2024-01-02T03:04:05Z'),
            maxEventTime: Date.parse('2024-01-02T03:04:05Z'),
          },
        ],
      }),
    );
    expect(await visibleRecords(cloud, 'legacy')).toEqual([]);
    await sleep(1_500);
    const report = await sweep({});
    expect(report.adopted).toBe(1);
    expect(await visibleRecords(cloud, 'legacy')).toEqual([{ id: 'old', at: Date.parse('2024-01-02T03:04:05Z') }]);
    expect(await listKeys(cloud, buckets.raw, key)).toEqual([key]);
  });
});

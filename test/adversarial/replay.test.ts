// Quarantine replay against the real adapters on the emulators: the rows a fixed declaration accepts
// move from quarantine to raw exactly once, whatever call a run dies at; the others stay quarantined
// with their new reason; counts reconcile; a second replay adds nothing.
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import { LocalCloud } from '../../src/local/local-cloud';
import { type IngestDependencies, ingestBatch } from '../../src/usecases/ingest-batch';
import { replayQuarantine } from '../../src/usecases/replay-quarantine';
import { chunked, declare, utf8 } from '../support/datasets';
import { ManualClock } from '../support/ingest-fakes';
import { type Buckets, bucketsOf, commitLogOf, listKeys, readJsonLines, visibleRecords } from '../support/ingestion';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / DAY) * DAY + 12 * HOUR;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();
const HEADER = 'event_id,at,amount,kind';

let cloud: LocalCloud;
let buckets: Buckets;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
});

afterAll(async () => {
  await cloud?.stop();
});

const fields = (kinds: string[]) => ({
  event_id: { type: 'string' as const, required: true },
  at: { type: 'timestamp' as const, required: true },
  amount: { type: 'integer' as const, required: true },
  kind: { type: 'string' as const, required: true, enum: kinds },
});
const v1 = (id: string) => declare({ id, key: ['event_id'], fields: fields(['a', 'b']) });
const v2 = (id: string) => declare({ id, key: ['event_id'], fields: fields(['a', 'b', 'c']) });

/** Six good rows, three of a kind v1 refuses and v2 accepts, one that no declaration accepts. */
const text = [
  HEADER,
  ...Array.from({ length: 6 }, (_, i) => `g${i},${at(30 + i)},${i},a`),
  ...Array.from({ length: 3 }, (_, i) => `c${i},${at(50 + i)},${10 + i},c`),
  'bad,not-a-time,1,a',
].join('\n');

function adapters(clock: ManualClock, gate: () => void): IngestDependencies {
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          gate();
          const result = value.apply(object, args);
          return property === 'stage' || property === 'stageLines' || property === 'stageMembers'
            ? wrap(result as object)
            : result;
        };
      },
    });
  const stateTable = String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
  return {
    store: wrap(new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine })),
    ledger: wrap(new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable)),
    log: wrap(commitLogOf(cloud)),
    spill: new MemorySpillStore(),
    clock,
    codeVersion: 'test',
  };
}

async function ingestFlawed(dataset: string, clock: ManualClock) {
  const result = await ingestBatch(
    {
      dataset: v1(dataset),
      connector: 'drop_zone',
      source: 's3://test/export.csv',
      parts: [
        { origin: { source: 's3://test', file: 'export.csv' }, bytes: chunked(utf8(text), 64), uri: 'export.csv' },
      ],
      mode: 'partial',
      lateAfterMinutes: 60,
    },
    adapters(clock, () => undefined),
  );
  expect(result.status).toBe('ingested');
}

const replay = (dataset: string, deps: IngestDependencies) =>
  replayQuarantine({ dataset: v2(dataset), declarationVersion: 2, from: NOW - 12 * HOUR, to: NOW + 12 * HOUR }, deps);

async function ids(dataset: string): Promise<string[]> {
  return (await visibleRecords<{ event_id: string }>(cloud, dataset)).map((r) => r.event_id).sort();
}

const expected = [...Array.from({ length: 6 }, (_, i) => `g${i}`), 'c0', 'c1', 'c2'].sort();

describe('quarantine replay', () => {
  it('moves the rows a fixed declaration accepts to raw, keeps the others with their reason, and reconciles', async () => {
    const clock = new ManualClock(NOW);
    await ingestFlawed('replayed', clock);
    expect(await ids('replayed')).toHaveLength(6);
    clock.advance(HOUR);
    const report = await replay(
      'replayed',
      adapters(clock, () => undefined),
    );
    const [day] = report.days;
    expect(day).toMatchObject({
      status: 'replayed',
      before: 4,
      after: 1,
      moved: 3,
      duplicate: 0,
      movedByPreviousReason: { not_in_enum: 3 },
      stillQuarantinedByReason: { invalid_timestamp: 1 },
    });
    expect(day?.before).toBe((day?.after ?? 0) + (day?.moved ?? 0) + (day?.duplicate ?? 0));
    // The hours of the moved rows (two days back) are marked late: the next refresh restates them.
    expect(day?.lateHours).toHaveLength(3);
    expect(await ids('replayed')).toEqual(expected);

    // The row left in quarantine keeps its file and line, with the reason it fails for now.
    const entries = await commitLogOf(cloud).entries('quarantine:replayed', null, '9999-12-31');
    expect(entries).toHaveLength(1);
    const residual = entries[0]?.objects[0];
    const rows = await readJsonLines(cloud, buckets.quarantine, residual?.key ?? '');
    expect(rows).toMatchObject([
      { file: 'export.csv', line: 11, code: 'invalid_timestamp', raw: 'bad,not-a-time,1,a' },
    ]);
  });

  it('adds nothing when run a second time', async () => {
    const clock = new ManualClock(NOW + 2 * HOUR);
    const again = await replay(
      'replayed',
      adapters(clock, () => undefined),
    );
    expect(again.days[0]).toMatchObject({ status: 'up_to_date', before: 1, after: 1, moved: 0 });
    expect(await ids('replayed')).toEqual(expected);
  });

  it('leaves each row once in raw or in quarantine whatever call a run dies at, once it is run again', async () => {
    const counting = new ManualClock(NOW);
    await ingestFlawed('replay_probe', counting);
    let calls = 0;
    await replay(
      'replay_probe',
      adapters(counting, () => void calls++),
    );
    expect(calls).toBeGreaterThan(20);

    for (let crashAt = 1; crashAt <= calls; crashAt++) {
      const dataset = `replay_crash_${crashAt}`;
      const clock = new ManualClock(NOW);
      await ingestFlawed(dataset, clock);
      let seen = 0;
      const dying = adapters(clock, () => {
        seen += 1;
        if (seen >= crashAt) throw new Error(`killed at call ${crashAt}`);
      });
      await replay(dataset, dying).catch(() => undefined);
      // The killed run's claim expires (it could not release it).
      clock.advance(17 * 60_000);
      const rerun = await replay(
        dataset,
        adapters(clock, () => undefined),
      );
      expect(await ids(dataset), `crash at call ${crashAt}`).toEqual(expected);
      const [day] = rerun.days;
      if (day?.status === 'replayed') {
        expect(day, `crash at call ${crashAt}`).toMatchObject({ before: 4, after: 1, moved: 3 });
      } else {
        // The killed run had committed its quarantine log entry: the day is done.
        expect(day?.status, `crash at call ${crashAt}`).toBe('up_to_date');
      }
      const third = await replay(
        dataset,
        adapters(clock, () => undefined),
      );
      expect(third.days[0]?.status, `crash at call ${crashAt}`).toBe('up_to_date');
      expect(third.days[0]?.before, `crash at call ${crashAt}`).toBe(1);
      expect(await ids(dataset), `crash at call ${crashAt}`).toEqual(expected);
    }
  });

  it('replays nothing from a quarantine object overwritten after its commit, and all of it once it is put back', async () => {
    const clock = new ManualClock(NOW);
    await ingestFlawed('replay_tampered', clock);
    const [key] = await listKeys(cloud, buckets.quarantine, 'quarantine/dataset=replay_tampered/');
    expect(key).toBeDefined();
    const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: buckets.quarantine, Key: key }));
    const original = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    // Other valid gzip NDJSON: the same rows, the first one twice.
    const lines = gunzipSync(original).toString('utf8');
    const tampered = gzipSync(`${lines.split('\n')[0]}\n${lines}`);
    await cloud.clients.s3.send(new PutObjectCommand({ Bucket: buckets.quarantine, Key: key, Body: tampered }));
    clock.advance(HOUR);
    await expect(
      replay(
        'replay_tampered',
        adapters(clock, () => undefined),
      ),
    ).rejects.toThrow(`s3://${buckets.quarantine}/${key}: the bytes read have SHA-256`);
    expect(await ids('replay_tampered')).toHaveLength(6);
    expect(await commitLogOf(cloud).entries('quarantine:replay_tampered', null, '9999-12-31')).toEqual([]);

    await cloud.clients.s3.send(new PutObjectCommand({ Bucket: buckets.quarantine, Key: key, Body: original }));
    clock.advance(17 * 60_000);
    const report = await replay(
      'replay_tampered',
      adapters(clock, () => undefined),
    );
    expect(report.days[0]).toMatchObject({ status: 'replayed', before: 4, after: 1, moved: 3 });
    expect(await ids('replay_tampered')).toEqual(expected);
  });
});

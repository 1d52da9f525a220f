// Day objects on the local cloud, through the real ingestion and the real reader: the same input
// ingested as day objects of hour members and as one object per hour reads back hour by hour as the
// same records with the same quarantine shares; a day object is fetched once for all its hours (once
// across invocations that share a cache, once for hours read at the same time), a member alone by
// its byte range from a large object; a member whose bytes changed after its commit, or an object
// grown since, fails the read naming the object, the member and both digests, and nothing is kept.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { RawObjectCache, RawObjectDigestError, S3RawPartitions } from '../../src/adapters/aws/s3-raw-partitions';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import type { TypedRecord } from '../../src/domain/records';
import { LocalCloud } from '../../src/local/local-cloud';
import { RequestMeter, servicePortsOf } from '../../src/local/request-meter';
import type { RawPartition } from '../../src/ports/raw-partitions';
import { type IngestResult, ingestBatch } from '../../src/usecases/ingest-batch';
import { chunked, declare, utf8 } from '../support/datasets';
import { ManualClock } from '../support/ingest-fakes';
import { bucketsOf, commitLogOf, listKeys } from '../support/ingestion';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 8, 3, 12);
const FROM = Date.UTC(2026, 8, 1);
const TO = Date.UTC(2026, 8, 3);

let cloud: LocalCloud;

/** Two days, rows in 30 of their hours, out of time order, with a few rows quarantined. */
function input(): string {
  const rows = ['event_id,at,amount'];
  for (let i = 0; i < 300; i++) {
    const hour = (i * 7) % 48;
    if (hour % 8 === 5) continue;
    const at = new Date(FROM + hour * HOUR + ((i * 13) % 60) * 60_000).toISOString();
    rows.push(i % 41 === 0 ? `e${i},${at},not-a-number` : `e${i},${at},${i}`);
  }
  return `${rows.join('\n')}\n`;
}

async function ingest(dataset: string, dayObjectChars?: number): Promise<IngestResult> {
  const buckets = bucketsOf(cloud);
  return ingestBatch(
    {
      dataset: declare({
        id: dataset,
        format: { type: 'csv' },
        key: ['event_id'],
        fields: {
          event_id: { type: 'string', required: true },
          at: { type: 'timestamp', required: true },
          amount: { type: 'integer', required: true },
        },
      }),
      connector: 'drop_zone',
      source: 's3://test/file.csv',
      parts: [
        { origin: { source: 's3://test', file: 'file.csv' }, bytes: chunked(utf8(input()), 512), uri: 'file.csv' },
      ],
      mode: 'partial',
      lateAfterMinutes: 60,
    },
    {
      store: new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine }),
      ledger: new DynamoDbIngestLedger(cloud.clients.dynamodb, cloud.physicalName('StateTable')),
      log: commitLogOf(cloud),
      spill: new MemorySpillStore(),
      clock: new ManualClock(NOW),
      codeVersion: 'test',
      ...(dayObjectChars === undefined ? {} : { dayObjectChars }),
    },
  );
}

beforeAll(async () => {
  cloud = await LocalCloud.start({ emulatorThread: false });
  expect((await ingest('by_day')).status).toBe('ingested');
  expect((await ingest('by_hour', 0)).status).toBe('ingested');
});

afterAll(async () => {
  await cloud?.stop();
});

function reader(options: { cache?: RawObjectCache; wholeFetchBytes?: number } = {}): S3RawPartitions {
  return new S3RawPartitions(
    cloud.clients.s3,
    bucketsOf(cloud).raw,
    commitLogOf(cloud),
    options.cache,
    options.wholeFetchBytes === undefined ? {} : { wholeFetchBytes: options.wholeFetchBytes },
  );
}

async function records(raw: S3RawPartitions, partition: RawPartition): Promise<TypedRecord[]> {
  const all: TypedRecord[] = [];
  for await (const batch of raw.scan(partition)) all.push(...batch);
  return all;
}

/** Every hour's records, and the GetObject requests the read took. */
async function readHours(raw: S3RawPartitions, dataset: string) {
  const meter = RequestMeter.attach(servicePortsOf(cloud));
  try {
    const hours: [number, TypedRecord[]][] = [];
    for (const partition of await raw.list(dataset, FROM, TO))
      hours.push([partition.start, await records(raw, partition)]);
    return { hours, gets: meter.reading()['s3:GetObject']?.requests ?? 0 };
  } finally {
    meter.detach();
  }
}

async function dayKeys(): Promise<string[]> {
  return listKeys(cloud, bucketsOf(cloud).raw, 'raw/dataset=by_day/date=');
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucketsOf(cloud).raw, Key: key }));
  return (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

async function putBytes(key: string, body: Uint8Array): Promise<void> {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: bucketsOf(cloud).raw, Key: key, Body: body }));
}

describe('day objects of hour members', () => {
  it('are written one a day, and read back hour by hour as the same records as one object per hour', async () => {
    expect(await dayKeys()).toEqual([
      expect.stringMatching(/^raw\/dataset=by_day\/date=2026-09-01\/[0-9a-f]{32}-day\.ndjson\.gz$/),
      expect.stringMatching(/^raw\/dataset=by_day\/date=2026-09-02\/[0-9a-f]{32}-day\.ndjson\.gz$/),
    ]);
    expect(await listKeys(cloud, bucketsOf(cloud).raw, 'raw/dataset=by_hour/date=')).toHaveLength(42);
    const byDay = await readHours(reader(), 'by_day');
    const byHour = await readHours(reader(), 'by_hour');
    expect(byDay.hours).toHaveLength(42);
    expect(byDay.hours).toEqual(byHour.hours);
    expect(byDay.hours.flatMap(([, hour]) => hour)).toHaveLength(
      byHour.hours.reduce((n, [, hour]) => n + hour.length, 0),
    );
    // One request a day object, one an hour object.
    expect(byDay.gets).toBe(2);
    expect(byHour.gets).toBe(42);
  });

  it('give each hour its quarantine share and its own fingerprint, naming the member', async () => {
    const byDay = await reader().list('by_day', FROM, TO);
    const byHour = await reader().list('by_hour', FROM, TO);
    for (const [i, partition] of byDay.entries()) {
      expect(await reader().batches(partition)).toMatchObject({
        quarantined: (await reader().batches(byHour[i] as RawPartition)).quarantined,
      });
      expect(partition.objects).toHaveLength(1);
      expect(partition.objects[0]?.offset).toEqual(expect.any(Number));
    }
    expect(new Set(byDay.map((p) => p.fingerprint)).size).toBe(42);
    expect((await reader().list('by_day', FROM, TO)).map((p) => p.fingerprint)).toEqual(
      byDay.map((p) => p.fingerprint),
    );
  });

  it('are fetched once for hours read at the same time, and not again by invocations that share a cache', async () => {
    const cache = new RawObjectCache(64 * 1024 * 1024);
    const raw = reader({ cache });
    const meter = RequestMeter.attach(servicePortsOf(cloud));
    try {
      const partitions = await raw.list('by_day', FROM, TO);
      const at = await Promise.all(partitions.map((p) => records(raw, p)));
      expect(meter.reading()['s3:GetObject']?.requests).toBe(2);
      const again = await readHours(reader({ cache }), 'by_day');
      expect(again.gets).toBe(0);
      expect(again.hours.map(([, hour]) => hour)).toEqual(at);
    } finally {
      meter.detach();
    }
  });

  it('give a member alone by its byte range when the object is past the whole-fetch size', async () => {
    const ranged = await readHours(reader({ wholeFetchBytes: 0 }), 'by_day');
    expect(ranged.hours).toEqual((await readHours(reader(), 'by_hour')).hours);
    expect(ranged.gets).toBe(42);
  });

  it('fail the read when a member changed after its commit, naming it and both digests, and keep nothing', async () => {
    const key = (await dayKeys())[0] as string;
    const original = await objectBytes(key);
    const partitions = (await reader().list('by_day', FROM, TO)).filter((p) => p.objects[0]?.key === key);
    const third = partitions[2] as RawPartition;
    const member = third.objects[0] as { offset: number; bytes: number; etag: string };
    // One byte of the third hour's compressed member changed: the same length, other bytes.
    const tampered = Uint8Array.from(original);
    const at = member.offset + Math.floor(member.bytes / 2);
    tampered[at] = (tampered[at] as number) ^ 0xff;
    await putBytes(key, tampered);
    try {
      for (const options of [{}, { wholeFetchBytes: 0 }]) {
        const cache = new RawObjectCache(64 * 1024 * 1024);
        const error = await records(reader({ ...options, cache }), third).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RawObjectDigestError);
        expect((error as RawObjectDigestError).key).toBe(`${key}@${member.offset}`);
        expect((error as RawObjectDigestError).expected).toBe(member.etag);
        expect((error as Error).message).toContain(`@${member.offset}: the bytes read have SHA-256 `);
        expect(cache.size).toBe(0);
      }
      // Whole, the object is checked member by member: an untouched hour of it fails too.
      await expect(records(reader(), partitions[0] as RawPartition)).rejects.toThrow(RawObjectDigestError);
      // Grown by bytes after its last member: refused whole, as the commit does not name them.
      await putBytes(key, Buffer.concat([original, new Uint8Array(10)]));
      await expect(records(reader(), third)).rejects.toThrow(
        `has ${original.byteLength + 10} bytes, its commit names members over ${original.byteLength}`,
      );
    } finally {
      await putBytes(key, original);
    }
    expect(await records(reader(), third)).toEqual(
      (await readHours(reader(), 'by_hour')).hours.find(([start]) => start === third.start)?.[1],
    );
  });

  it('are what an import of records writes when asked, read back as the same hours as its hour objects', async () => {
    const records = Array.from({ length: 90 }, (_, i) => ({ ts: FROM + ((i * 7) % 40) * HOUR + i, n: i }));
    for (const [dataset, dayObjects] of [
      ['imported_days', true],
      ['imported_hours', false],
    ] as const) {
      await importRawBatch(rawStoreOf(cloud), {
        dataset,
        batchId: 'history',
        records,
        eventTimeField: 'ts',
        dayObjects,
      });
    }
    expect(await listKeys(cloud, bucketsOf(cloud).raw, 'raw/dataset=imported_days/')).toEqual([
      'raw/dataset=imported_days/date=2026-09-01/history-day.ndjson.gz',
      'raw/dataset=imported_days/date=2026-09-02/history-day.ndjson.gz',
    ]);
    const days = await readHours(reader(), 'imported_days');
    expect(days.gets).toBe(2);
    expect(days.hours).toHaveLength(40);
    expect(days.hours).toEqual((await readHours(reader(), 'imported_hours')).hours);
  });
});

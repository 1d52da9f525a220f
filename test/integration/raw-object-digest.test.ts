// The raw reader checks every committed raw object against the SHA-256 its commit names, on the
// local cloud: an object overwritten after its commit with other valid gzip NDJSON (of the same
// length and of another) fails the read, uncached, naming the object and both digests; a
// computation over its partition fails before it writes a value, a partial state or a lineage
// list; the object put back, the same computation succeeds.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { RawObjectCache, RawObjectDigestError, S3RawPartitions } from '../../src/adapters/aws/s3-raw-partitions';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import type { TypedRecord } from '../../src/domain/records';
import { LocalCloud } from '../../src/local/local-cloud';
import type { RawObject, RawPartition } from '../../src/ports/raw-partitions';
import { generateSampleData } from '../../src/sample/generate';
import { computeSnapshot } from '../support/compute-snapshot';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1);
const RANGE = { kpiId: 'ctr', from: new Date(START).toISOString(), to: new Date(START + DAY).toISOString() };
const asOf = new Date(START + 2 * DAY).toISOString();
/** Objects up to this size are inflated whole by the reader, larger ones streamed. */
const SMALL_OBJECT_BYTES = 16 * 1024;

let cloud: LocalCloud;

const rawBucket = () => cloud.physicalName('RawBucket', 'AWS::S3::Bucket');

beforeAll(async () => {
  cloud = await LocalCloud.start({ emulatorThread: false });
  const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
    now: () => START,
  });
  const definition = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
  await store.publish(definition, { author: 'paid-media@example.com', reason: 'first version' });
  await importRawBatch(rawStoreOf(cloud), {
    dataset: 'ad_performance',
    batchId: 'sample',
    records: generateSampleData({ start: '2026-06-01', days: 1 }).ad_performance,
    eventTimeField: 'ts',
  });
  // A second batch with one hour large enough to be streamed (records reach the caller before its end).
  await importRawBatch(rawStoreOf(cloud), {
    dataset: 'ad_performance',
    batchId: 'bulk',
    records: bulkHour(START + 12 * HOUR, 4000),
    eventTimeField: 'ts',
  });
});

afterAll(async () => {
  await cloud?.stop();
});

/** Records of one hour whose numbers vary enough that the hour's object compresses past 16 KiB. */
function bulkHour(start: number, count: number): TypedRecord[] {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const impressions = 100 + next(5000);
    return {
      ts: start + Math.floor((i * HOUR) / count),
      campaign_id: `cmp-bulk-${next(40)}`,
      channel: 'search',
      variant: 'control',
      impressions,
      clicks: next(impressions),
      spend: next(10_000) / 100,
      conversions: next(5),
      bid_latency_ms: next(3000) / 10,
    };
  });
}

function reader(cache?: RawObjectCache) {
  const target = rawStoreOf(cloud);
  return new S3RawPartitions(target.s3, target.bucket, target.log, cache);
}

async function partitions(): Promise<RawPartition[]> {
  return reader().list('ad_performance', START, START + DAY);
}

async function readAll(raw: S3RawPartitions, partition: RawPartition, objects?: readonly RawObject[]) {
  const records: TypedRecord[] = [];
  for await (const batch of raw.scan(partition, objects)) records.push(...batch);
  return records;
}

async function bytesOf(key: string): Promise<Uint8Array> {
  const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: rawBucket(), Key: key }));
  return (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

async function overwrite(key: string, body: Uint8Array): Promise<void> {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: rawBucket(), Key: key, Body: body }));
}

/**
 * Other valid gzip NDJSON of exactly the original's compressed length: one digit of one record
 * changed, compressed at the level that lands on the same length.
 */
function sameLengthVariant(original: Uint8Array): Uint8Array {
  const lines = gunzipSync(original).toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const at = line.search(/\d,"channel"|\d,"variant"|\d}$/);
    if (at < 0) continue;
    const digit = Number(line[at]);
    const changed = [...lines];
    changed[i] = `${line.slice(0, at)}${(digit + 1) % 10}${line.slice(at + 1)}`;
    for (let level = 1; level <= 9; level += 1) {
      const body = gzipSync(changed.join('\n'), { level });
      if (body.byteLength === original.byteLength) return body;
    }
  }
  throw new Error('no same-length variant found');
}

/** Other valid gzip NDJSON, one record longer. */
function longerVariant(original: Uint8Array): Uint8Array {
  const text = gunzipSync(original).toString('utf8');
  const last = text.trimEnd().split('\n').at(-1) as string;
  return gzipSync(`${text}${last}\n`);
}

/** The original followed by zero bytes, which gunzip skips: the records read are the same. */
function zeroPadded(original: Uint8Array): Uint8Array {
  return Buffer.concat([original, Buffer.alloc(64)]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the raw reader checks each object against its commit', () => {
  it('reads untouched objects, small and streamed, as they were written', async () => {
    const all = await partitions();
    const noon = all.find((p) => p.start === START + 12 * HOUR) as RawPartition;
    const bulk = noon.objects.find((o) => o.batchId === 'bulk') as RawObject;
    expect(bulk.bytes).toBeGreaterThan(SMALL_OBJECT_BYTES);
    expect(noon.objects.some((o) => o.bytes <= SMALL_OBJECT_BYTES)).toBe(true);
    const records = await readAll(reader(), noon);
    expect(records).toHaveLength(noon.objects.reduce((n, o) => n + o.records, 0));
    for (const partition of all) expect((await readAll(reader(), partition)).length).toBeGreaterThan(0);
  });

  for (const [kind, size, variant] of [
    ['streamed', 'the same length', sameLengthVariant],
    ['streamed', 'another length', longerVariant],
    ['small', 'the same length', sameLengthVariant],
    ['small', 'another length', longerVariant],
    ['streamed', 'another length (zero bytes after the gzip stream, the same records)', zeroPadded],
  ] as const) {
    it(`fails the read of a ${kind} object overwritten with other gzip NDJSON of ${size}, naming it and both digests, and caches nothing`, async () => {
      const noon = (await partitions()).find((p) => p.start === START + 12 * HOUR) as RawPartition;
      const object = noon.objects.find((o) =>
        kind === 'streamed' ? o.bytes > SMALL_OBJECT_BYTES : o.bytes <= SMALL_OBJECT_BYTES,
      ) as RawObject;
      const original = await bytesOf(object.key);
      expect(sha256(original)).toBe(object.etag);
      const tampered = variant(original);
      if (size === 'the same length') expect(tampered.byteLength).toBe(original.byteLength);
      else expect(tampered.byteLength).not.toBe(original.byteLength);
      await overwrite(object.key, tampered);
      try {
        const cache = new RawObjectCache(64 * 1024 * 1024);
        for (const raw of [reader(), reader(cache)]) {
          const read = readAll(raw, noon, [object]);
          await expect(read).rejects.toBeInstanceOf(RawObjectDigestError);
          await expect(read).rejects.toThrow(
            `s3://${rawBucket()}/${object.key}: the bytes read have SHA-256 ${sha256(tampered)}, its commit names ${object.etag}`,
          );
        }
        expect(cache.size).toBe(0);
        expect(cache.get(object.key, object.etag)).toBeUndefined();
      } finally {
        await overwrite(object.key, original);
      }
      // Put back, it reads again, and the cache keeps it once verified.
      const cache = new RawObjectCache(64 * 1024 * 1024);
      expect(await readAll(reader(cache), noon, [object])).toHaveLength(object.records);
      expect(cache.get(object.key, object.etag)).toBeDefined();
    });
  }

  it('serves an object verified at its fetch from the cache, without reading it again', async () => {
    const noon = (await partitions()).find((p) => p.start === START + 12 * HOUR) as RawPartition;
    const cache = new RawObjectCache(64 * 1024 * 1024);
    const first = await readAll(reader(cache), noon);
    const object = noon.objects[0] as RawObject;
    const original = await bytesOf(object.key);
    // Changed after the cache verified and kept it: the cache holds what the commit names.
    await overwrite(object.key, longerVariant(original));
    try {
      expect(await readAll(reader(cache), noon)).toEqual(first);
      await expect(readAll(reader(), noon)).rejects.toBeInstanceOf(RawObjectDigestError);
    } finally {
      await overwrite(object.key, original);
    }
  });
});

describe('a computation over a partition whose object changed after its commit', () => {
  for (const [size, variant] of [
    ['the same length', sameLengthVariant],
    ['another length', longerVariant],
  ] as const) {
    it(`fails before it writes anything (an object overwritten with gzip NDJSON of ${size}), and succeeds once it is put back`, async () => {
      const noon = (await partitions()).find((p) => p.start === START + 12 * HOUR) as RawPartition;
      const object = noon.objects.find((o) => o.bytes > SMALL_OBJECT_BYTES) as RawObject;
      const original = await bytesOf(object.key);
      const before = await computeSnapshot(cloud);
      expect(before.values).toEqual([]);
      await overwrite(object.key, variant(original));
      try {
        await expect(cloud.functions.invoke('compute', { ...RANGE, asOf })).rejects.toThrow(
          `s3://${rawBucket()}/${object.key}: the bytes read have SHA-256`,
        );
        expect(await computeSnapshot(cloud)).toEqual(before);
      } finally {
        await overwrite(object.key, original);
      }
    });
  }

  it('computes from the objects as committed', async () => {
    await cloud.functions.invoke('compute', { ...RANGE, asOf });
    const after = await computeSnapshot(cloud);
    expect(after.values.length).toBeGreaterThan(0);
    expect(Object.keys(after.work).length).toBeGreaterThan(0);
  });
});

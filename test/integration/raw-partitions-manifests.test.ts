import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawObjectCache, S3RawPartitions } from '../../src/adapters/aws/s3-raw-partitions';
import { LocalCloud } from '../../src/local/local-cloud';
import { RequestMeter, servicePortsOf } from '../../src/local/request-meter';
import { importRawBatch, rawStoreOf } from '../support/raw-store';

let cloud: LocalCloud;
const HOUR = 3_600_000;
const start = Date.UTC(2026, 2, 1);

beforeAll(async () => {
  cloud = await LocalCloud.start({ emulatorThread: false });
  for (const batchId of ['first', 'second']) {
    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId,
      eventTimeField: 'ts',
      records: Array.from({ length: 6 }, (_, n) => ({ ts: start + (n % 3) * HOUR, campaign: `c${n}`, batch: batchId })),
    });
  }
});

afterAll(async () => {
  await cloud?.stop();
});

/** The lineage of every partition of the window, and the GetObject requests it took. */
async function readLineage(cache?: RawObjectCache) {
  const target = rawStoreOf(cloud);
  const reader = new S3RawPartitions(target.s3, target.bucket, target.log, cache);
  const meter = RequestMeter.attach(servicePortsOf(cloud));
  try {
    const lineage = [];
    for (const partition of await reader.list('ad_performance', start, start + 3 * HOUR)) {
      lineage.push(await reader.batches(partition));
    }
    return { lineage, gets: meter.reading()['s3:GetObject']?.requests ?? 0 };
  } finally {
    meter.detach();
  }
}

describe('S3RawPartitions and the raw object cache', () => {
  it('reads each batch manifest once for the invocations that share a cache', async () => {
    const cache = new RawObjectCache(1024 * 1024);
    const first = await readLineage(cache);
    expect(first.gets).toBe(2);
    expect(first.lineage).toHaveLength(3);
    const again = await readLineage(cache);
    expect(again.gets).toBe(0);
    expect(again.lineage).toEqual(first.lineage);
  });

  it('reads the manifests again without a shared cache', async () => {
    expect((await readLineage()).gets).toBe(2);
  });

  it('fetches each raw object once for the invocations that share a cache, with the same records', async () => {
    const cache = new RawObjectCache(1024 * 1024);
    const first = await readRecords(cache);
    expect(first.gets).toBe(6);
    expect(first.records).toHaveLength(12);
    expect(cache.size).toBeGreaterThan(0);
    const again = await readRecords(cache);
    expect(again.gets).toBe(0);
    expect(again.records).toEqual(first.records);
  });

  it('fetches the raw objects again when they are larger than the cache keeps', async () => {
    const cache = new RawObjectCache(64);
    await readRecords(cache);
    expect(cache.size).toBe(0);
    expect((await readRecords(cache)).gets).toBe(6);
  });
});

/** Every record of the window, and the GetObject requests it took. */
async function readRecords(cache: RawObjectCache) {
  const target = rawStoreOf(cloud);
  const reader = new S3RawPartitions(target.s3, target.bucket, target.log, cache);
  const partitions = await reader.list('ad_performance', start, start + 3 * HOUR);
  const meter = RequestMeter.attach(servicePortsOf(cloud));
  try {
    const records = [];
    for (const partition of partitions) for await (const batch of reader.scan(partition)) records.push(...batch);
    return { records, gets: meter.reading()['s3:GetObject']?.requests ?? 0 };
  } finally {
    meter.detach();
  }
}

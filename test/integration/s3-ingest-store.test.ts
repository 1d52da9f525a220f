import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { type LoopbackFauxqs, startLoopbackFauxqs } from '../../src/local/fauxqs';
import { countingS3Client } from '../support/fauxqs-s3';

const MIB = 1024 * 1024;
let fauxqs: LoopbackFauxqs;
let s3: S3Client;
/** UploadPart requests the client sent. */
let partsSent = () => 0;

beforeAll(async () => {
  fauxqs = await startLoopbackFauxqs();
  const client = countingS3Client(fauxqs.url);
  s3 = client.s3;
  partsSent = () => client.sent('UploadPartCommand');
  for (const Bucket of ['raw-store-test', 'quarantine-store-test']) await s3.send(new CreateBucketCommand({ Bucket }));
});

afterAll(async () => {
  s3?.destroy();
  await fauxqs?.close();
});

function store(): S3IngestStore {
  return new S3IngestStore(
    s3,
    { raw: 'raw-store-test', quarantine: 'quarantine-store-test' },
    { partBytes: 5 * MIB, gzipLevel: 1 },
  );
}

/** `count` lines that gzip barely shrinks (about 180 bytes each), so that an object needs several parts. */
function noisyLines(count: number): string {
  const noise = randomBytes(count * 128).toString('base64');
  return Array.from({ length: count }, (_, i) => `{"i":${i},"noise":"${noise.slice(i * 170, i * 170 + 170)}"}\n`).join(
    '',
  );
}

describe('the S3 ingestion store, on NDJSON lines', () => {
  it('stores the lines gzip-compressed, in parts of its size, under the key only once committed', async () => {
    const lines = [noisyLines(20_000), noisyLines(20_000)];
    const before = partsSent();
    const staged = store().stageLines({ area: 'raw', key: 'lines/parts.ndjson.gz' });
    await staged.append(lines[0] as string, 20_000, 1_000, 2_000);
    await staged.append(lines[1] as string, 20_000, 500, 1_500);
    const stored = await staged.end();
    expect(await store().get({ area: 'raw', key: 'lines/parts.ndjson.gz' })).toBeNull();
    await staged.commit();

    const body = await store().get({ area: 'raw', key: 'lines/parts.ndjson.gz' });
    expect(body).not.toBeNull();
    const bytes = body as Uint8Array;
    expect(gunzipSync(bytes).toString('utf8')).toBe(lines.join(''));
    expect(stored).toEqual({
      bucket: 'raw-store-test',
      key: 'lines/parts.ndjson.gz',
      records: 40_000,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      minEventTime: 500,
      maxEventTime: 2_000,
    });
    expect(staged.uncompressedBytes).toBe(Buffer.byteLength(lines.join('')));
    expect(partsSent() - before).toBe(Math.ceil(bytes.byteLength / (5 * MIB)));
    expect(partsSent() - before).toBeGreaterThan(1);
  });

  it('writes a small object with one request on commit, and says it has no event-time range when none was given', async () => {
    const before = partsSent();
    const staged = store().stageLines({ area: 'quarantine', key: 'lines/small.ndjson.gz' });
    await staged.append('{"a":1}\n{"a":2}\n', 2);
    const stored = await staged.end();
    await staged.commit();
    const bytes = (await store().get({ area: 'quarantine', key: 'lines/small.ndjson.gz' })) as Uint8Array;
    expect(gunzipSync(bytes).toString('utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(stored).toMatchObject({
      bucket: 'quarantine-store-test',
      records: 2,
      minEventTime: null,
      maxEventTime: null,
    });
    expect(partsSent()).toBe(before);
  });

  it('leaves nothing under the key when the object is aborted, even after parts went out', async () => {
    const staged = store().stageLines({ area: 'raw', key: 'lines/aborted.ndjson.gz' });
    await staged.append(noisyLines(40_000), 40_000);
    await staged.end();
    await staged.abort();
    await staged.abort();
    expect(await store().get({ area: 'raw', key: 'lines/aborted.ndjson.gz' })).toBeNull();
  });
});

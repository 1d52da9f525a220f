import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3InputArchive } from '../../src/adapters/aws/s3-input-archive';
import type { InputPartition } from '../../src/domain/values/kpi-value';
import { canonicalJson } from '../../src/domain/versioning/canonical-json';
import { type LoopbackFauxqs, startLoopbackFauxqs } from '../../src/local/fauxqs';
import { countingS3Client } from '../support/fauxqs-s3';

const BUCKET = 'input-archive-test';
let fauxqs: LoopbackFauxqs;
let s3: S3Client;
/** PutObject requests the client sent. */
let puts = () => 0;

beforeAll(async () => {
  fauxqs = await startLoopbackFauxqs();
  const client = countingS3Client(fauxqs.url);
  s3 = client.s3;
  puts = () => client.sent('PutObjectCommand');
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await fauxqs?.close();
});

/** The input list of one day: 24 hour partitions of a dataset. */
function day(date: string, dataset = 'ad_performance'): InputPartition[] {
  return Array.from({ length: 24 }, (_, h) => ({
    dataset,
    partition: `date=${date}/hour=${String(23 - h).padStart(2, '0')}`,
    objects: 1,
    etag: createHash('sha256').update(`${dataset}${date}${h}`).digest('hex'),
    manifests: [`raw/_manifests/dataset=${dataset}/date=${date}/batch.json`],
    rows: 70 + h,
    quarantined: 0,
    newestEventAt: `${date}T${String(23 - h).padStart(2, '0')}:59:00.000Z`,
  }));
}

const sorted = (list: InputPartition[]) => [...list].sort((a, b) => (a.partition < b.partition ? -1 : 1));

async function keysUnder(prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Contents.map((o) => o.Key ?? '');
}

describe('S3InputArchive', () => {
  it('archives the lists of a run in one object and gives each list a reference of its own', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const lists = ['2026-06-01', '2026-06-02', '2026-06-03'].map((d) => day(d));
    const before = puts();
    const refs = await archive.putAll('ctr', lists);
    expect(puts() - before).toBe(1);
    expect(new Set(refs).size).toBe(3);
    for (const ref of refs)
      expect(ref).toMatch(/^s3:\/\/input-archive-test\/lineage\/kpi=ctr\/pack-[0-9a-f]{64}\.json\.gz#[0-9a-f]{64}$/);
    expect(new Set(refs.map((r) => r.split('#')[0])).size).toBe(1);
    for (const [i, ref] of refs.entries()) expect(await archive.get(ref)).toEqual(sorted(lists[i] ?? []));
    expect(await keysUnder('lineage/kpi=ctr/')).toHaveLength(1);
  });

  it('names each list by the SHA-256 of its sorted canonical JSON, so reruns give the same references', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const lists = [day('2026-07-01'), day('2026-07-02')];
    const first = await archive.putAll('rerun', lists);
    const again = await archive.putAll('rerun', [[...(lists[0] ?? [])].reverse(), lists[1] ?? []]);
    expect(again).toEqual(first);
    const sha = createHash('sha256')
      .update(canonicalJson(sorted(lists[0] ?? [])))
      .digest('hex');
    expect(first[0]?.endsWith(`#${sha}`)).toBe(true);
    expect(await keysUnder('lineage/kpi=rerun/')).toHaveLength(1);
  });

  it('keeps a single list in an object of its own, named after the list', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const list = day('2026-08-01');
    const [ref] = await archive.putAll('single', [list]);
    const sha = createHash('sha256')
      .update(canonicalJson(sorted(list)))
      .digest('hex');
    expect(ref).toBe(`s3://${BUCKET}/lineage/kpi=single/${sha}.json.gz`);
    expect(await archive.get(ref ?? '')).toEqual(sorted(list));
  });

  it('gives equal lists one reference and stores them once', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const list = day('2026-09-01');
    const refs = await archive.putAll('same', [list, day('2026-09-02'), [...list]]);
    expect(refs[2]).toBe(refs[0]);
    const key = (refs[0] ?? '').slice(`s3://${BUCKET}/`.length).split('#')[0] ?? '';
    expect(await keysUnder(key)).toEqual([key]);
  });

  it('spreads lists over several objects when one would exceed its size', async () => {
    const lists = Array.from({ length: 5 }, (_, i) => day(`2026-10-0${i + 1}`));
    const bytes = canonicalJson(sorted(lists[0] ?? [])).length;
    const archive = new S3InputArchive(s3, BUCKET, bytes * 2);
    const before = puts();
    const refs = await archive.putAll('split', lists);
    expect(puts() - before).toBe(3);
    expect(new Set(refs.map((r) => r.split('#')[0])).size).toBe(3);
    for (const [i, ref] of refs.entries()) expect(await archive.get(ref)).toEqual(sorted(lists[i] ?? []));
  });

  it('writes nothing for no lists', async () => {
    const before = puts();
    expect(await new S3InputArchive(s3, BUCKET).putAll('none', [])).toEqual([]);
    expect(puts()).toBe(before);
  });

  it('refuses a pack whose list does not have the SHA-256 the reference names', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const refs = await archive.putAll('tampered', [day('2026-11-01'), day('2026-11-02')]);
    const [key = '', sha = ''] = (refs[0] ?? '').slice(`s3://${BUCKET}/`.length).split('#');
    const altered = day('2026-11-01').map((p) => ({ ...p, rows: 1 }));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: gzipSync(canonicalJson({ lists: { [sha]: sorted(altered) } })),
      }),
    );
    await expect(archive.get(refs[0] ?? '')).rejects.toThrow(/has another SHA-256/);
  });

  it('returns null for a reference outside its bucket, a missing object or a list the pack does not hold', async () => {
    const archive = new S3InputArchive(s3, BUCKET);
    const [ref = ''] = await archive.putAll('unknown', [day('2026-12-01'), day('2026-12-02')]);
    expect(await archive.get('s3://another-bucket/lineage/kpi=x/a.json.gz')).toBeNull();
    expect(await archive.get(`s3://${BUCKET}/lineage/kpi=unknown/missing.json.gz`)).toBeNull();
    expect(await archive.get(`${ref.split('#')[0]}#${'0'.repeat(64)}`)).toBeNull();
  });
});

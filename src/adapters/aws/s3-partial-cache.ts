// AWS adapter: partial aggregates in the work bucket, one object per KPI signature and partition,
// plus an index per signature: `partials/kpi=<id>/sig=<signature>/...`. Derived data: losing it
// costs a recompute, never a wrong value (a partial belongs to exactly one partition fingerprint).
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KpiPartialState } from '../../domain/engine/state';
import type { PartialCache, PartialIndex } from '../../ports/partial-cache';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Key prefix of everything this cache writes in the work bucket. */
export const PARTIALS_PREFIX = 'partials/';

export class S3PartialCache implements PartialCache {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async readIndex(kpiId: string, signature: string): Promise<PartialIndex> {
    const body = await this.get(`${base(kpiId, signature)}index.json.gz`);
    return body ? (JSON.parse(body) as PartialIndex) : { partitions: {}, periods: {} };
  }

  async writeIndex(kpiId: string, signature: string, index: PartialIndex): Promise<void> {
    await this.put(`${base(kpiId, signature)}index.json.gz`, JSON.stringify(index));
  }

  async readPartial(kpiId: string, signature: string, partitionKey: string): Promise<KpiPartialState | null> {
    const body = await this.get(`${base(kpiId, signature)}${partitionKey}.json.gz`);
    return body ? (JSON.parse(body) as KpiPartialState) : null;
  }

  async writePartial(kpiId: string, signature: string, partitionKey: string, state: KpiPartialState): Promise<void> {
    await this.put(`${base(kpiId, signature)}${partitionKey}.json.gz`, JSON.stringify(state));
  }

  private async get(key: string): Promise<string | null> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return (await gunzipAsync(bytes)).toString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  private async put(key: string, body: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: await gzipAsync(body, { level: 1 }),
        ContentType: 'application/gzip',
      }),
    );
  }
}

function base(kpiId: string, signature: string): string {
  return `${PARTIALS_PREFIX}kpi=${kpiId}/sig=${signature}/`;
}

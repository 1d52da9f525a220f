// AWS adapter: archived lineage input lists in the work bucket, `lineage/kpi=<id>/<sha256>.json.gz`,
// one object per distinct list (values of one period share it; reruns rewrite the same bytes).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type InputPartition, inputPartitionSchema } from '../../domain/values/kpi-value';
import { canonicalJson } from '../../domain/versioning/canonical-json';
import type { InputArchive } from '../../ports/input-archive';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Key prefix of the archived input lists in the work bucket. */
export const LINEAGE_PREFIX = 'lineage/';

export class S3InputArchive implements InputArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(kpiId: string, partitions: readonly InputPartition[]): Promise<string> {
    const body = canonicalJson(
      [...partitions].sort((a, b) => (`${a.dataset}/${a.partition}` < `${b.dataset}/${b.partition}` ? -1 : 1)),
    );
    const key = `${LINEAGE_PREFIX}kpi=${kpiId}/${createHash('sha256').update(body).digest('hex')}.json.gz`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: await gzipAsync(body, { level: 6 }),
        ContentType: 'application/json',
        ContentEncoding: 'gzip',
      }),
    );
    return `s3://${this.bucket}/${key}`;
  }

  async get(ref: string): Promise<InputPartition[] | null> {
    const prefix = `s3://${this.bucket}/`;
    if (!ref.startsWith(prefix)) return null;
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: ref.slice(prefix.length) }));
      const bytes = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return inputPartitionSchema.array().parse(JSON.parse((await gunzipAsync(bytes)).toString('utf8')));
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }
}

// AWS adapter: archived lineage input lists in the work bucket, `lineage/kpi=<id>/<sha256>.json.gz`,
// one object per distinct list (values of one period share it; reruns rewrite the same bytes).
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { LINEAGE_PREFIX } from '../../contracts/work-layout';
import { type InputPartition, inputPartitionSchema } from '../../domain/values/kpi-value';
import { canonicalJson } from '../../domain/versioning/canonical-json';
import type { InputArchive } from '../../ports/input-archive';
import { getGzipText, putGzipText } from './s3-gzip-text';

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
    await putGzipText(this.s3, this.bucket, key, body);
    return `s3://${this.bucket}/${key}`;
  }

  async get(ref: string): Promise<InputPartition[] | null> {
    const prefix = `s3://${this.bucket}/`;
    if (!ref.startsWith(prefix)) return null;
    const text = await getGzipText(this.s3, this.bucket, ref.slice(prefix.length));
    return text === null ? null : inputPartitionSchema.array().parse(JSON.parse(text));
  }
}

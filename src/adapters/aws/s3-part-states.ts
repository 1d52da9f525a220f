// AWS adapters: the transient objects of a fanned-out computation in the work bucket, under
// `fanout/` (see src/contracts/work-layout.ts; a lifecycle rule expires them): each part's state of
// a raw partition, gzip JSON, keyed by the partition and a digest of its fingerprint; and the item
// list of the parts, plain JSON, which the Distributed Map's item reader reads.
import { HeadObjectCommand, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FANOUT_PREFIX } from '../../contracts/work-layout';
import { sha256Hex } from '../../domain/versioning/sha256';
import type { FanOutPlans, PartItem, PartitionPartial, PartStateStore } from '../../ports/part-states';
import { getGzipText, putGzipText } from './s3-gzip-text';

interface StoredPartial extends PartitionPartial {
  readonly key: string;
}

export class S3PartStates implements PartStateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(kpiId: string, signature: string, key: string, partial: PartitionPartial): Promise<void> {
    const stored: StoredPartial = { key, ...partial };
    const object = objectKey(kpiId, signature, key, partial.cached.fingerprint);
    await putGzipText(this.s3, this.bucket, object, JSON.stringify(stored), 1);
  }

  async has(kpiId: string, signature: string, key: string, fingerprint: string): Promise<boolean> {
    try {
      await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey(kpiId, signature, key, fingerprint) }),
      );
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
      throw error;
    }
  }

  async take(kpiId: string, signature: string, key: string, fingerprint: string): Promise<PartitionPartial | null> {
    const body = await getGzipText(this.s3, this.bucket, objectKey(kpiId, signature, key, fingerprint));
    if (body === null) return null;
    const stored = JSON.parse(body) as StoredPartial;
    // The key holds a digest of the fingerprint: the state is used only for exactly these objects.
    if (stored.key !== key || stored.cached.fingerprint !== fingerprint) return null;
    return { state: stored.state, cached: stored.cached };
  }
}

export class S3FanOutPlans implements FanOutPlans {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(kpiId: string, name: string, items: readonly PartItem[]): Promise<{ bucket: string; key: string }> {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) throw new Error(`not a fan-out plan name: ${name}`);
    const key = `${FANOUT_PREFIX}kpi=${kpiId}/plans/${name}.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(items),
        ContentType: 'application/json',
      }),
    );
    return { bucket: this.bucket, key };
  }
}

function objectKey(kpiId: string, signature: string, key: string, fingerprint: string): string {
  if (!/^[^/]+\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}$/.test(key)) throw new Error(`not a partition key: ${key}`);
  return `${FANOUT_PREFIX}kpi=${kpiId}/sig=${signature}/parts/${key}/${sha256Hex(fingerprint).slice(0, 32)}.json.gz`;
}

// AWS adapters: the drop zone on S3. Reads are pinned to the ETag seen in the listing, so a file
// replaced in the meantime is not read under the old file's batch id.
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LandingObject, LandingZone } from '../../ports/landing-zone';
import type { ObjectRef, StorageArea } from '../../ports/object-store';

export class S3LandingZone implements LandingZone {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly buckets: Readonly<Record<StorageArea, string>>,
  ) {}

  async *list(prefix: string): AsyncIterable<LandingObject> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        yield {
          key: object.Key,
          etag: object.ETag ?? '',
          size: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? 0,
        };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async *open(object: LandingObject): AsyncIterable<Uint8Array> {
    const { Body } = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: object.key, ...(object.etag ? { IfMatch: object.etag } : {}) }),
    );
    if (!Body) return;
    yield* Body as AsyncIterable<Uint8Array>;
  }

  async copyTo(object: LandingObject, target: ObjectRef): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.buckets[target.area],
        Key: target.key,
        CopySource: `${this.bucket}/${encodeURIComponent(object.key).replace(/%2F/g, '/')}`,
        ...(object.etag ? { CopySourceIfMatch: object.etag } : {}),
      }),
    );
  }
}

// AWS adapters: listing and deleting in the raw and quarantine buckets, for the sweeper.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StorageArea } from '../../ports/object-store';
import type { RawStoreMaintenance, StoredObject } from '../../ports/raw-store-maintenance';

export class S3RawMaintenance implements RawStoreMaintenance {
  constructor(
    private readonly s3: S3Client,
    private readonly buckets: Readonly<Record<StorageArea, string>>,
  ) {}

  async *list(area: StorageArea, prefix: string): AsyncIterable<StoredObject> {
    for await (const page of paginateListObjectsV2(
      { client: this.s3 },
      { Bucket: this.buckets[area], Prefix: prefix },
    )) {
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { key: object.Key, lastModified: object.LastModified?.getTime() ?? 0, size: object.Size ?? 0 };
      }
    }
  }

  async delete(area: StorageArea, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const { Errors } = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.buckets[area],
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (Errors && Errors.length > 0) {
        throw new Error(
          `S3 refused to delete ${Errors.length} object(s) of ${this.buckets[area]}: ${Errors.slice(0, 3)
            .map((e) => `${e.Key}: ${e.Code}`)
            .join('; ')}`,
        );
      }
    }
  }

  async readJson(area: StorageArea, key: string): Promise<unknown> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.buckets[area], Key: key }));
      return JSON.parse((await Body?.transformToString('utf8')) ?? 'null');
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }

  async writeJson(area: StorageArea, key: string, value: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.buckets[area],
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  }
}

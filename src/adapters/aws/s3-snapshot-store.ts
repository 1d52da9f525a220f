// AWS adapter: snapshots in the snapshots bucket, Hive-partitioned by date (see src/contracts/snapshot-layout.ts).
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { snapshotManifestKey, snapshotObjectKey } from '../../contracts/snapshot-layout';
import type { SnapshotManifest } from '../../domain/snapshots/snapshot';
import type { SnapshotStore } from '../../ports/snapshot-store';

export class S3SnapshotStore implements SnapshotStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async readManifest(date: string): Promise<SnapshotManifest | null> {
    try {
      const { Body } = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: snapshotManifestKey(date) }),
      );
      return JSON.parse((await Body?.transformToString('utf8')) ?? 'null') as SnapshotManifest | null;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async write(date: string, parquet: Uint8Array, manifest: SnapshotManifest): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: snapshotObjectKey(date),
        Body: parquet,
        ContentType: 'application/vnd.apache.parquet',
      }),
    );
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: snapshotManifestKey(date),
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  }
}

// AWS adapter: review packs in the snapshots bucket, `reviews/<kind>/<period>/pack.json` and
// `pack.html` (see src/contracts/review-layout.ts), beside the snapshots data teams read.
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { reviewPackKeys } from '../../contracts/review-layout';
import type { ReviewKind } from '../../domain/reviews/kinds';
import type { ReviewPackObjects } from '../../ports/review-store';

export class S3ReviewPacks implements ReviewPackObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async write(kind: ReviewKind, period: string, pack: { readonly html: string; readonly json: string }) {
    const keys = reviewPackKeys(kind, period);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: keys.json,
        Body: pack.json,
        ContentType: 'application/json; charset=utf-8',
      }),
    );
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: keys.html,
        Body: pack.html,
        ContentType: 'text/html; charset=utf-8',
      }),
    );
  }

  async readJson(kind: ReviewKind, period: string) {
    try {
      const { Body } = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: reviewPackKeys(kind, period).json }),
      );
      return (await Body?.transformToString('utf8')) ?? undefined;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  location(kind: ReviewKind, period: string) {
    const keys = reviewPackKeys(kind, period);
    return { html: `s3://${this.bucket}/${keys.html}`, json: `s3://${this.bucket}/${keys.json}` };
  }
}

// AWS adapters: a gzip-compressed text object in S3, written and read whole. Used for the derived
// state the compute stage keeps in the work bucket (partials, archived input lists).
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The object's text, or null when there is no object at `key`. */
export async function getGzipText(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    return (await gunzipAsync(bytes)).toString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
    throw error;
  }
}

/** Writes `text` gzip-compressed at `level` (1: fast, for state rewritten often; 6: smaller). */
export async function putGzipText(s3: S3Client, bucket: string, key: string, text: string, level = 6): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: await gzipAsync(text, { level }),
      ContentType: 'application/gzip',
    }),
  );
}

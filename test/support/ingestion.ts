// Test support for ingestion against the emulators: the production handlers built with the
// environment their template gives them (plus a test declarations folder), and S3 read-backs.
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { S3RawPartitions } from '../../src/adapters/aws/s3-raw-partitions';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import type { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';

export const fixturesDatasets = path.resolve(import.meta.dirname, '..', 'fixtures', 'datasets');

export interface Buckets {
  readonly landing: string;
  readonly raw: string;
  readonly quarantine: string;
}

/** Bucket names as the ingestion functions see them. */
export function bucketsOf(cloud: LocalCloud): Buckets {
  const env = cloud.functions.get('ingest-drop-zone').environment;
  return {
    landing: String(env.LANDING_BUCKET),
    raw: String(env.RAW_BUCKET),
    quarantine: String(env.QUARANTINE_BUCKET),
  };
}

/** A production handler, with the template's environment and `overrides` (e.g. DATASETS_DIR). */
export async function handlerOf<T = unknown>(
  cloud: LocalCloud,
  entry: string,
  overrides: Record<string, string> = {},
): Promise<LambdaHandler<T>> {
  const fn = cloud.functions.get(entry);
  const module = (await import(path.resolve(import.meta.dirname, '..', '..', 'functions', `${entry}.ts`))) as {
    create: (env: Record<string, string | undefined>) => LambdaHandler<T>;
  };
  return module.create({ ...process.env, ...cloud.environment, ...fn.environment, ...overrides });
}

export async function putObject(
  cloud: LocalCloud,
  bucket: string,
  key: string,
  body: string | Uint8Array,
): Promise<void> {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function listKeys(cloud: LocalCloud, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys.sort();
}

export async function getBytes(cloud: LocalCloud, bucket: string, key: string): Promise<Uint8Array> {
  const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToByteArray()) ?? new Uint8Array();
}

/** The JSON lines of a gzip NDJSON object. */
export async function readJsonLines<T = Record<string, unknown>>(
  cloud: LocalCloud,
  bucket: string,
  key: string,
): Promise<T[]> {
  const text = gunzipSync(await getBytes(cloud, bucket, key)).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

export async function readJson<T = Record<string, unknown>>(
  cloud: LocalCloud,
  bucket: string,
  key: string,
): Promise<T> {
  return JSON.parse(Buffer.from(await getBytes(cloud, bucket, key)).toString('utf8')) as T;
}

/** The commit log of a local cloud's raw store. */
export function commitLogOf(cloud: LocalCloud): DynamoDbRawCommitLog {
  return new DynamoDbRawCommitLog(cloud.clients.dynamodb, cloud.physicalName('StateTable'));
}

/** The records of a dataset a reader sees: those of the objects its commit log makes visible. */
export async function visibleRecords<T = Record<string, unknown>>(cloud: LocalCloud, dataset: string): Promise<T[]> {
  const raw = new S3RawPartitions(cloud.clients.s3, bucketsOf(cloud).raw, commitLogOf(cloud));
  const records: T[] = [];
  for (const partition of await raw.list(dataset, null, Date.parse('2100-01-01T00:00:00Z'))) {
    for await (const batch of raw.scan(partition)) records.push(...(batch as T[]));
  }
  return records;
}

/** Every batch manifest of a dataset that read `uri`, oldest first. */
export async function manifestsReading(cloud: LocalCloud, dataset: string, uri: string): Promise<BatchManifest[]> {
  const { raw } = bucketsOf(cloud);
  const manifests: BatchManifest[] = [];
  for (const key of await listKeys(cloud, raw, `raw/_manifests/dataset=${dataset}/`)) {
    const manifest = await readJson<BatchManifest>(cloud, raw, key);
    if (manifest.sources.some((s) => s.uri === uri)) manifests.push(manifest);
  }
  return manifests.sort((a, b) => a.completedAt - b.completedAt);
}

// Local runtime: the Parquet snapshots of a local run, also as plain files under the run's folder,
// in the bucket's own layout (`kpi_values/date=…/values.parquet`, `manifests/kpi_values/date=…/
// manifest.json`), so a data team opens them with DuckDB or pandas as they would read the bucket.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { SNAPSHOT_MANIFEST_PREFIX, SNAPSHOT_TABLE_PREFIX } from '../contracts/snapshot-layout';

export interface CopiedSnapshots {
  /** The folder the keys were copied under. */
  readonly dir: string;
  readonly parquetFiles: number;
  readonly manifests: number;
  readonly bytes: number;
}

/**
 * Replaces `dir` with the snapshot table and its manifests as `bucket` holds them now (a date that
 * is no longer in the bucket does not linger in the folder).
 */
export async function copySnapshotFiles(s3: S3Client, bucket: string, dir: string): Promise<CopiedSnapshots> {
  const root = path.resolve(dir);
  rmSync(root, { recursive: true, force: true });
  let parquetFiles = 0;
  let manifests = 0;
  let bytes = 0;
  for (const prefix of [SNAPSHOT_TABLE_PREFIX, SNAPSHOT_MANIFEST_PREFIX]) {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const file = path.resolve(root, key);
        // Keys come from the export function; still, nothing is written outside the folder.
        if (!file.startsWith(`${root}${path.sep}`)) throw new Error(`snapshot key ${key} leaves ${root}`);
        mkdirSync(path.dirname(file), { recursive: true });
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!(Body instanceof Readable)) throw new Error(`s3://${bucket}/${key} has no readable body`);
        await pipeline(Body, createWriteStream(file));
        bytes += object.Size ?? 0;
        if (key.endsWith('.parquet')) parquetFiles += 1;
        else manifests += 1;
      }
    }
  }
  return { dir: root, parquetFiles, manifests, bytes };
}

// Local runtime: feeding the ingestion stage as its sources would. Files are put in the landing
// bucket under landing/<dataset>/ and the drop-zone connector runs through its template schedule,
// with the input EventBridge Scheduler would deliver. `npm start` and the tests use it.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { landingPrefix } from '../domain/ingest/layout';
import type { DropZoneReport } from '../usecases/ingest-drop-zone';
import type { LocalCloud } from './local-cloud';

export interface LocalDrop {
  readonly dataset: string;
  /** A local file. */
  readonly file: string;
  /** Key under `landing/<dataset>/`. @default the file's name */
  readonly name?: string;
}

/** Uploads files into the drop zone; returns their keys. */
export async function dropFiles(cloud: LocalCloud, drops: readonly LocalDrop[]): Promise<string[]> {
  const bucket = cloud.functions.get('ingest-drop-zone').environment.LANDING_BUCKET;
  if (!bucket) throw new Error('the drop-zone function has no LANDING_BUCKET');
  const keys: string[] = [];
  for (const drop of drops) {
    const key = `${landingPrefix(drop.dataset)}${drop.name ?? path.basename(drop.file)}`;
    await new Upload({
      client: cloud.clients.s3,
      params: { Bucket: bucket, Key: key, Body: createReadStream(drop.file) },
    }).done();
    keys.push(key);
  }
  return keys;
}

/** Runs the drop-zone connector once, as its schedule would. */
export async function runDropZone(cloud: LocalCloud): Promise<DropZoneReport> {
  const [schedule] = cloud.schedules.targeting('ingest-drop-zone');
  if (!schedule) throw new Error('the app has no schedule for the drop-zone connector');
  return (await cloud.schedules.run(schedule)) as DropZoneReport;
}

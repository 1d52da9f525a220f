// Local runtime: feeding the ingestion stage as its sources would. Files are put in the landing
// bucket under landing/<dataset>/ and the drop-zone connector runs through its template schedule,
// with the input EventBridge Scheduler would deliver; agents push through the telemetry Function
// URL. `npm start` and the tests use it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Upload } from '@aws-sdk/lib-storage';
import { type PushEventsResult, pushEvents } from '../adapters/http/telemetry-client';
import { type LoadedDataset, loadDatasetCatalog, readDatasetFiles } from '../adapters/local/dataset-files';
import { landingPrefix } from '../contracts/raw-layout';
import { ingestionOf } from '../domain/dataset';
import { GOVERNANCE_DATASET_ID } from '../domain/guardrails/audit';
import type { TypedRecord } from '../domain/records';
import { datasetsDirectory } from '../runtime/ingestion';
import { writeSampleFiles } from '../sample/files';
import { generateSampleData } from '../sample/generate';
import type { DropZoneReport } from '../usecases/ingest-drop-zone';
import { startLocalFunctionUrls } from './function-urls';
import type { LocalCloud } from './local-cloud';
import { importRawBatch, rawStoreOf } from './raw-import';

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

export interface SampleIngestion {
  /** The drop-zone run over the sample files. */
  readonly dropZone: DropZoneReport;
  /** What the telemetry endpoint answered to the pushed agent events. */
  readonly push: PushEventsResult;
  /** The sample files written (kpi compute reads the same files through kpis/datasets). */
  readonly files: readonly { dataset: string; file: string; records: number }[];
}

/**
 * Feeds the sample data to the ingestion stage as the sources would: every sample file of a
 * dataset with a drop zone into the landing bucket, then the drop-zone schedule; then a batch of
 * agent events pushed to the telemetry Function URL (served on loopback), signed with the key the
 * AgentKeys secret was generated with.
 */
export async function ingestSample(
  cloud: LocalCloud,
  options: { dir: string; days?: number },
): Promise<SampleIngestion> {
  const files = await writeSampleFiles(options.dir, generateSampleData(options.days ? { days: options.days } : {}));
  const catalog = await loadDatasetCatalog(
    datasetsDirectory(cloud.functions.get('ingest-drop-zone').environment.DATASETS_DIR ?? ''),
  );
  const drops = files.filter((f) => {
    const loaded = catalog.get(f.dataset);
    return loaded !== undefined && ingestionOf(loaded.declaration).dropZone;
  });
  await dropFiles(
    cloud,
    drops.map((f) => ({ dataset: f.dataset, file: f.file })),
  );
  const dropZone = await runDropZone(cloud);
  const governance = catalog.get(GOVERNANCE_DATASET_ID);
  for (const f of files.filter((f) => f.dataset === GOVERNANCE_DATASET_ID)) {
    if (governance) await importGovernanceHistory(cloud, governance, f.file);
  }

  const push = await pushAgentEvents(cloud, Date.now());
  return { dropZone, push, files };
}

/**
 * An agent pushing a batch of 100 decision events (the last 100 minutes before `now`) to the
 * telemetry Function URL, served on loopback for the call, signed with the key the AgentKeys
 * secret was generated with.
 */
export async function pushAgentEvents(
  cloud: LocalCloud,
  now: number,
): Promise<PushEventsResult & { accepted: number }> {
  const urls = await startLocalFunctionUrls(cloud.resolver, cloud.functions);
  try {
    const secretId = cloud.functions.get('ingest-telemetry').environment.AGENT_KEYS_SECRET;
    const { SecretString } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    const key = (JSON.parse(SecretString ?? '{}') as Record<string, string>)['example-agent'] ?? '';
    const events = Array.from({ length: 100 }, (_, i) => ({
      event_id: `local-push-${now}-${i}`,
      ts: new Date(now - (i + 1) * 60_000).toISOString(),
      agent_id: 'example-agent',
      event_type: 'run',
      status: i % 25 === 0 ? 'error' : 'ok',
      attempt: 1,
      latency_ms: 200 + ((i * 37) % 400),
    }));
    const push = await pushEvents({
      endpoint: urls.urlOf('ingest-telemetry'),
      agentId: 'example-agent',
      key,
      dataset: 'agent_events',
      events,
    });
    const accepted = Number((push.body as { accepted?: number } | null)?.accepted ?? 0);
    return { ...push, accepted };
  } finally {
    await urls.stop();
  }
}

/**
 * Seeds the governance dataset with exported history (the sample's weeks of audit records), as an
 * operator migrating an audit trail would, with their own credentials: no connector may write this
 * dataset, which the guardrail stage owns. Every row is read through the dataset's declaration and
 * a row it refuses stops the import, naming the file, line, field and reason. The records land as
 * one batch laid out as ingestion lays out its batches (a day object of hour members, a manifest, a
 * commit per day), its id the SHA-256 of the file, so importing the same file twice writes the same keys.
 */
export async function importGovernanceHistory(
  cloud: LocalCloud,
  governance: LoadedDataset,
  file: string,
): Promise<{ records: number }> {
  const eventTime = governance.declaration.eventTime;
  const timeField = typeof eventTime === 'string' ? eventTime : eventTime.field;
  const records: TypedRecord[] = [];
  for await (const batch of readDatasetFiles(governance, [file])) {
    const [refused] = batch.quarantined;
    if (refused) {
      throw new Error(
        `${refused.file}:${refused.line}${refused.field ? ` (${refused.field})` : ''}: ${refused.reason}; the governance history was not imported`,
      );
    }
    records.push(...batch.records);
  }
  if (records.length === 0) return { records: 0 };
  const batchId = `history-${createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
    .slice(0, 32)}`;
  await importRawBatch(rawStoreOf(cloud), {
    dataset: GOVERNANCE_DATASET_ID,
    batchId,
    records,
    eventTimeField: timeField,
    codeVersion: 'governance history import',
    dayObjects: true,
  });
  return { records: records.length };
}

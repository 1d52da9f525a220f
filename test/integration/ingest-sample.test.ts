// The ingestion stage as deployed: the template's functions with the repository's dataset
// catalog (kpis/datasets), fed with the generated sample data through the drop zone and the
// telemetry endpoint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushEvents } from '../../src/adapters/http/telemetry-client';
import { loadDatasetCatalog } from '../../src/adapters/local/dataset-files';
import { ingestionOf } from '../../src/domain/dataset';
import { type LocalFunctionUrls, startLocalFunctionUrls } from '../../src/local/function-urls';
import { dropFiles, runDropZone } from '../../src/local/ingestion';
import { LocalCloud } from '../../src/local/local-cloud';
import { writeSampleFiles } from '../../src/sample/files';
import { generateSampleData } from '../../src/sample/generate';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';

let cloud: LocalCloud;
let urls: LocalFunctionUrls;
let dir: string;
let written: Awaited<ReturnType<typeof writeSampleFiles>>;
let report: DropZoneReport;
const catalogDir = path.resolve(import.meta.dirname, '../../kpis/datasets');

beforeAll(async () => {
  cloud = await LocalCloud.start();
  urls = await startLocalFunctionUrls(cloud.resolver, cloud.functions);
  dir = mkdtempSync(path.join(tmpdir(), 'sample-'));
  written = await writeSampleFiles(dir, generateSampleData({ days: 3 }));
  const catalog = await loadDatasetCatalog(catalogDir);
  const dropped = written.filter((w) => {
    const loaded = catalog.get(w.dataset);
    return loaded !== undefined && ingestionOf(loaded.declaration).dropZone;
  });
  await dropFiles(
    cloud,
    dropped.map((w) => ({ dataset: w.dataset, file: w.file })),
  );
  report = await runDropZone(cloud);
});

afterAll(async () => {
  await urls?.stop();
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ingestion of the sample data', () => {
  it('ingests every sample file dropped for a dataset with a drop zone, each row valid or quarantined', () => {
    const ingested = report.datasets.filter((d) => d.files > 0);
    expect(ingested.map((d) => d.dataset).sort()).toEqual(
      [
        'ad_performance',
        'agent_events',
        'content_events',
        'crm_leads',
        'crm_opportunities',
        'pipeline_governance',
        'pipeline_ingest',
        'web_sessions',
      ].sort(),
    );
    for (const dataset of ingested) {
      const records = written.find((w) => w.dataset === dataset.dataset)?.records;
      expect(dataset, dataset.dataset).toMatchObject({ ingested: 1, unreadable: 0, failed: 0, rowsRead: records });
      expect(dataset.rowsValid + dataset.rowsQuarantined, dataset.dataset).toBe(records);
    }
  });

  it('does nothing on the next scheduled run', async () => {
    const again = await runDropZone(cloud);
    expect(again.datasets.reduce((n, d) => n + d.ingested + d.unreadable, 0)).toBe(0);
  });

  it("takes agent events pushed with the example agent key of the generated secret, as that agent's own", async () => {
    const secretId = String(cloud.functions.get('ingest-telemetry').environment.AGENT_KEYS_SECRET);
    const { SecretString } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    const key = (JSON.parse(SecretString ?? '{}') as Record<string, string>)['example-agent'] ?? '';
    const events = generateSampleData({ days: 1 })
      .agent_events.slice(0, 50)
      .map((event) => ({
        ...event,
        // New events of the agent's own: the endpoint refuses events naming another agent, and
        // agent_events is keyed by event_id, so the sample's events dropped above would be duplicates.
        event_id: `pushed-${event.event_id}`,
        agent_id: 'example-agent',
        ts: new Date(Number(event.ts)).toISOString(),
      }));
    const result = await pushEvents({
      endpoint: urls.urlOf('ingest-telemetry'),
      agentId: 'example-agent',
      key,
      dataset: 'agent_events',
      events,
    });
    expect(result).toMatchObject({ status: 200, body: { status: 'ingested', accepted: 50 } });
  });
});

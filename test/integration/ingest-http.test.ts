import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { JsonApiClient } from '../../src/adapters/http/json-api-client';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import type { DatasetDeclarationInput } from '../../src/domain/dataset';
import { LocalCloud } from '../../src/local/local-cloud';
import { type PullReport, pullHttpSource } from '../../src/usecases/pull-http-source';
import { declare } from '../support/datasets';
import { type FakeApi, itemsFrom, startFakeApi } from '../support/fake-api';
import {
  type Buckets,
  bucketsOf,
  commitLogOf,
  handlerOf,
  listKeys,
  readJsonLines,
  visibleRecords,
} from '../support/ingestion';

let cloud: LocalCloud;
let buckets: Buckets;
let ledger: DynamoDbIngestLedger;
let store: S3IngestStore;
const apis: FakeApi[] = [];
const TOKEN = 'secret-token-1';
const start = Date.parse('2024-05-01T08:00:00Z');
let datasetCounter = 0;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
  ledger = new DynamoDbIngestLedger(
    cloud.clients.dynamodb,
    String(cloud.functions.get('ingest-http').environment.STATE_TABLE),
  );
  store = new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine });
});

afterEach(async () => {
  while (apis.length > 0) await apis.pop()?.stop();
});

afterAll(async () => {
  await cloud?.stop();
});

async function api(pagination: 'cursor' | 'page' | 'link', items = itemsFrom(start, 12)) {
  const started = await startFakeApi({ token: TOKEN, pagination, pageSize: 5, items });
  apis.push(started);
  return started;
}

function httpDeclaration(
  server: FakeApi,
  pagination: 'cursor' | 'page' | 'link',
  extra: object = {},
): DatasetDeclarationInput {
  datasetCounter += 1;
  return {
    id: `crm_leads_${datasetCounter}`,
    description: 'Leads from the CRM API',
    owner: 'crm@example.com',
    format: { type: 'json' },
    fields: { id: { type: 'string', required: true }, updated_at: { type: 'timestamp' }, amount: { type: 'number' } },
    eventTime: { field: 'updated_at', notBefore: '2020-01-01' },
    ingestion: {
      dropZone: false,
      http: {
        url: server.url,
        itemsPath: pagination === 'cursor' ? 'data' : pagination === 'page' ? 'data' : '',
        pagination:
          pagination === 'cursor'
            ? { kind: 'cursor', param: 'cursor', nextPath: 'meta.next_cursor' }
            : pagination === 'page'
              ? { kind: 'page', param: 'page', size: 5, sizeParam: 'per_page' }
              : { kind: 'next_link' },
        watermark: { param: 'updated_after', field: 'updated_at' },
        auth: { secretName: 'crm-api-token' },
        ...extra,
      },
    },
  } as DatasetDeclarationInput;
}

function pullDeps(waits: number[] = []) {
  return {
    store,
    ledger,
    log: commitLogOf(cloud),
    spill: new MemorySpillStore(),
    clock: { now: () => Date.now() },
    codeVersion: 'test',
    api: new JsonApiClient({ baseDelayMillis: 100, sleep: async (ms) => void waits.push(ms) }),
    authHeaders: async () => ({ Authorization: `Bearer ${TOKEN}` }),
  };
}

async function ingestedIds(dataset: string): Promise<string[]> {
  return (await visibleRecords(cloud, dataset)).map((r) => String(r.id)).sort();
}

const inAnHour = () => Date.now() + 3_600_000;

describe('HTTP pull connector', () => {
  it('walks cursor pages through throttling and server errors, ingesting every item once', async () => {
    const server = await api('cursor');
    server.failures.set(2, { status: 429, retryAfter: '2' });
    server.failures.set(4, { status: 503 });
    server.failures.set(5, { status: 500 });
    const dataset = declare(httpDeclaration(server, 'cursor'));
    const waits: number[] = [];
    const report = await pullHttpSource(dataset, inAnHour(), pullDeps(waits));
    expect(report).toMatchObject({ status: 'ingested', pages: 3, rowsValid: 12, complete: true });
    expect(await ingestedIds(dataset.id)).toEqual(
      itemsFrom(start, 12)
        .map((i) => i.id)
        .sort(),
    );
    expect(waits[0]).toBe(2000);
    expect(waits).toHaveLength(3);
  });

  it('sends the newest watermark seen, so the next run fetches only what is new', async () => {
    const server = await api('cursor');
    const dataset = declare(httpDeclaration(server, 'cursor'));
    await pullHttpSource(dataset, inAnHour(), pullDeps());
    server.items.push(...itemsFrom(start + 3_600_000, 3, 'N'));
    server.requests.length = 0;
    const report = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(report.rowsValid).toBe(3);
    expect(server.requests[0]?.path).toBe(
      `/v1/leads?updated_after=${encodeURIComponent(itemsFrom(start, 12)[11]?.updated_at ?? '')}`,
    );
    expect((await ingestedIds(dataset.id)).filter((id) => id.startsWith('N'))).toEqual(['N1', 'N2', 'N3']);
  });

  it('writes nothing new when the API returns the same pages again', async () => {
    const server = await api('page');
    const dataset = declare(httpDeclaration(server, 'page'));
    await pullHttpSource(dataset, inAnHour(), pullDeps());
    await pullHttpSource(dataset, inAnHour(), pullDeps());
    const before = await listKeys(cloud, buckets.raw, '');
    const again = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(again.status).toBe('duplicate');
    expect(await listKeys(cloud, buckets.raw, '')).toEqual(before);
  });

  it('follows page numbers and Link headers', async () => {
    for (const kind of ['page', 'link'] as const) {
      const server = await api(kind);
      const dataset = declare(httpDeclaration(server, kind));
      const report = await pullHttpSource(dataset, inAnHour(), pullDeps());
      expect(report, kind).toMatchObject({ rowsValid: 12, complete: true });
      expect(await ingestedIds(dataset.id)).toHaveLength(12);
    }
  });

  it('stops at maxPages and resumes where it stopped on the next run', async () => {
    const server = await api('cursor');
    const dataset = declare(httpDeclaration(server, 'cursor', { maxPages: 2 }));
    const first = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(first).toMatchObject({ pages: 2, rowsValid: 10, complete: false, stoppedBecause: 'reached maxPages (2)' });
    const second = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(second).toMatchObject({ pages: 1, rowsValid: 2, complete: true });
    expect(await ingestedIds(dataset.id)).toEqual(
      itemsFrom(start, 12)
        .map((i) => i.id)
        .sort(),
    );
  });

  it('commits the pages fetched before a page that keeps failing, then resumes at that page', async () => {
    const server = await api('cursor');
    server.brokenOffset = 10;
    const dataset = declare(httpDeclaration(server, 'cursor'));
    await expect(pullHttpSource(dataset, inAnHour(), pullDeps())).rejects.toMatchObject({
      name: 'TransientError',
      message: expect.stringMatching(/stopped after 2 page\(s\): .*503/),
    });
    expect(await ingestedIds(dataset.id)).toHaveLength(10);
    server.brokenOffset = undefined;
    server.requests.length = 0;
    const resumed = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(server.requests[0]?.path).toMatch(/cursor=10/);
    expect(resumed).toMatchObject({ rowsValid: 2, complete: true });
    expect(await ingestedIds(dataset.id)).toEqual(
      itemsFrom(start, 12)
        .map((i) => i.id)
        .sort(),
    );
  });

  it('quarantines items that do not fit the declaration, with the page they came from', async () => {
    const items = [...itemsFrom(start, 3), { id: 'bad', updated_at: 'not a date', amount: 'lots' }];
    const server = await api('cursor', items);
    const dataset = declare(httpDeclaration(server, 'cursor'));
    const report = await pullHttpSource(dataset, inAnHour(), pullDeps());
    expect(report).toMatchObject({ rowsValid: 3, rowsQuarantined: 1 });
    const [key] = await listKeys(cloud, buckets.quarantine, `quarantine/dataset=${dataset.id}/`);
    const [row] = await readJsonLines(cloud, buckets.quarantine, key ?? '');
    expect(row).toMatchObject({ source: server.url, file: `${server.url}`, line: 4, code: 'invalid_timestamp' });
  });

  it('fails at once on a refused token, claiming nothing', async () => {
    const server = await api('cursor');
    const dataset = declare(httpDeclaration(server, 'cursor'));
    const deps = { ...pullDeps(), authHeaders: async () => ({ Authorization: 'Bearer wrong' }) };
    await expect(pullHttpSource(dataset, inAnHour(), deps)).rejects.toMatchObject({
      name: 'HttpSourceError',
      message: expect.stringContaining('answered 401'),
    });
    expect(server.requests).toHaveLength(1);
    expect(await listKeys(cloud, buckets.raw, `raw/_manifests/dataset=${dataset.id}/`)).toEqual([]);
  });

  it('runs through the deployed handler with the token from Secrets Manager', async () => {
    const server = await api('cursor');
    const declaration = httpDeclaration(server, 'cursor');
    await cloud.clients.secrets.send(
      new CreateSecretCommand({ Name: 'crm-api-token', SecretString: JSON.stringify({ token: TOKEN }) }),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'http-datasets-'));
    try {
      writeFileSync(path.join(dir, `${declaration.id}.json`), JSON.stringify(declaration));
      const run = await handlerOf<PullReport>(cloud, 'ingest-http', { DATASETS_DIR: dir });
      const report = await run({ dataset: declaration.id });
      expect(report).toMatchObject({ status: 'ingested', rowsValid: 12, complete: true });
      expect(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { gzipSync } from 'node:zlib';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedPushHeaders } from '../../src/contracts/push-signature';
import { type LocalFunctionUrls, startLocalFunctionUrls } from '../../src/local/function-urls';
import { LocalCloud } from '../../src/local/local-cloud';
import { type Buckets, bucketsOf, fixturesDatasets, handlerOf, listKeys, readJsonLines } from '../support/ingestion';

let cloud: LocalCloud;
let urls: LocalFunctionUrls;
let buckets: Buckets;
let endpoint: string;
const KEYS = {
  'agent-a': 'agent-a-key-0123456789abcdef',
  'agent-b': ['old-key-of-agent-b-0123', 'new-key-of-agent-b-4567'],
  intruder: 'intruder-key-0123456789',
};
const PATH = '/v1/datasets/agent_events/events';
let counter = 0;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
  const handler = await handlerOf(cloud, 'ingest-telemetry', { DATASETS_DIR: fixturesDatasets });
  urls = await startLocalFunctionUrls(cloud.resolver, cloud.functions, { invoke: (_fn, event) => handler(event) });
  endpoint = urls.urlOf('ingest-telemetry').replace(/\/$/, '');
  const secret = String(cloud.functions.get('ingest-telemetry').environment.AGENT_KEYS_SECRET);
  await cloud.clients.secrets.send(new PutSecretValueCommand({ SecretId: secret, SecretString: JSON.stringify(KEYS) }));
});

afterAll(async () => {
  await urls?.stop();
  await cloud?.stop();
});

function events(n: number, overrides: Record<string, unknown> = {}) {
  counter += 1;
  return Array.from({ length: n }, (_, i) => ({
    event_id: `e${counter}-${i}`,
    agent_id: 'agent-a',
    occurred_at: new Date(Date.now() - 60_000 * i).toISOString(),
    action: 'send_email',
    latency_ms: 100 + i,
    ...overrides,
  }));
}

const ndjson = (rows: object[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));

async function push(
  body: Buffer,
  options: {
    agent?: string;
    key?: string;
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    timestamp?: number;
  } = {},
) {
  const agentId = options.agent ?? 'agent-a';
  const path = options.path ?? PATH;
  const method = options.method ?? 'POST';
  const key = options.key ?? (KEYS as Record<string, string | string[]>)[agentId]?.toString().split(',')[0] ?? 'x';
  const signed = signedPushHeaders(
    { agentId, timestamp: options.timestamp ?? Math.floor(Date.now() / 1000), method, path, body },
    key,
  );
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/x-ndjson', ...signed, ...options.headers },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function rawRecords(dataset = 'agent_events'): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for (const key of await listKeys(cloud, buckets.raw, `raw/dataset=${dataset}/`)) {
    records.push(...(await readJsonLines(cloud, buckets.raw, key)));
  }
  return records;
}

async function rawEventIds(): Promise<string[]> {
  return (await rawRecords()).map((r) => String(r.event_id));
}

/** The agent of each stored event, by event id. */
async function agentsOf(ids: readonly string[], dataset = 'agent_events'): Promise<Record<string, unknown>> {
  const stored = new Map((await rawRecords(dataset)).map((r) => [String(r.event_id), r.agent_id]));
  return Object.fromEntries(ids.map((id) => [id, stored.get(id)]));
}

describe('agent telemetry endpoint', () => {
  it('ingests a signed batch of events', async () => {
    const batch = events(3);
    const response = await push(ndjson(batch));
    expect(response).toMatchObject({ status: 200, body: { status: 'ingested', accepted: 3 } });
    expect(await rawEventIds()).toEqual(expect.arrayContaining(batch.map((e) => e.event_id)));
  });

  it('acknowledges a batch sent twice without storing it twice', async () => {
    const body = ndjson(events(2));
    await push(body);
    const before = await rawEventIds();
    expect(await push(body)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await rawEventIds()).toEqual(before);
  });

  it('accepts a gzip-compressed JSON array and a rotated key', async () => {
    const body = gzipSync(JSON.stringify(events(2, { agent_id: 'agent-b' })));
    const response = await push(body, {
      agent: 'agent-b',
      key: 'new-key-of-agent-b-4567',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(response).toMatchObject({ status: 200, body: { accepted: 2 } });
  });

  it('refuses an unsigned request with 401, saying which headers to send', async () => {
    const response = await fetch(`${endpoint}${PATH}`, {
      method: 'POST',
      body: ndjson(events(1)),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: 'unauthenticated',
      message: expect.stringContaining('x-kpi-signature'),
    });
  });

  it('refuses a body changed after signing with 401', async () => {
    const body = ndjson(events(1));
    const signed = signedPushHeaders(
      { agentId: 'agent-a', timestamp: Math.floor(Date.now() / 1000), method: 'POST', path: PATH, body },
      KEYS['agent-a'],
    );
    const response = await fetch(`${endpoint}${PATH}`, {
      method: 'POST',
      body: ndjson(events(2)),
      headers: { 'content-type': 'application/x-ndjson', ...signed },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'bad_signature' });
  });

  it('refuses a request signed too long ago with 401', async () => {
    const response = await push(ndjson(events(1)), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(response).toMatchObject({ status: 401, body: { error: 'stale_request' } });
  });

  it('refuses an agent the dataset does not list with 403', async () => {
    expect(await push(ndjson(events(1)), { agent: 'intruder' })).toMatchObject({
      status: 403,
      body: { error: 'forbidden' },
    });
  });

  it('answers 404 for a dataset that takes no pushes and 405 for a GET', async () => {
    expect((await push(ndjson(events(1)), { path: '/v1/datasets/web_sessions/events' })).status).toBe(404);
    expect((await push(Buffer.alloc(0), { method: 'GET' })).status).toBe(405);
  });

  it('refuses a body over the size limit, and a gzip that expands past it, with 413', async () => {
    expect((await push(Buffer.alloc(1024 * 1024 + 1, 'x'))).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(11 * 1024 * 1024, ' '));
    const response = await push(bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(response).toMatchObject({ status: 413, body: { message: expect.stringContaining('once decompressed') } });
  });

  it('refuses a content type it cannot read with 415', async () => {
    expect((await push(ndjson(events(1)), { headers: { 'content-type': 'text/csv' } })).status).toBe(415);
  });

  it('rejects a batch with invalid events with 422, listing them, and stores none of it in raw', async () => {
    const batch = [
      ...events(2),
      { event_id: 'x1', agent_id: 'agent-a', occurred_at: 'yesterday', action: 'bid' },
      { agent_id: 'agent-a' },
    ];
    const before = await rawEventIds();
    const response = await push(ndjson(batch));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      error: 'invalid_events',
      counts: { read: 4, valid: 2, quarantined: 2 },
      problems: [
        expect.stringMatching(/^line 3 \(occurred_at\): /),
        'line 4 (event_id): required field "event_id" has no value',
      ],
    });
    expect(await rawEventIds()).toEqual(before);
    const rejected = await listKeys(cloud, buckets.quarantine, 'quarantine/dataset=agent_events/');
    expect(rejected.length).toBeGreaterThan(0);
  });

  it('answers 400 for a JSON body that is not an array of events', async () => {
    const response = await push(Buffer.from('{"events":[]}'), { headers: { 'content-type': 'application/json' } });
    expect(response).toMatchObject({
      status: 400,
      body: { error: 'unreadable_body', message: expect.stringContaining('array') },
    });
  });

  it('refuses with 403 a batch holding events that name another agent than the signer, listing them, storing nothing', async () => {
    const batch = [...events(2), ...events(1, { agent_id: 'agent-b' }), ...events(1, { agent_id: 'agent-c' })];
    const before = await rawEventIds();
    const response = await push(ndjson(batch));
    expect(response).toMatchObject({
      status: 403,
      body: {
        error: 'agent_mismatch',
        message:
          '2 events name another agent than "agent-a", whose key signed the request, in field agent_id: lines 3 ("agent-b"), 4 ("agent-c"). An agent pushes only its own events; nothing was stored',
        mismatched: 2,
        events: [
          { line: 3, agent: 'agent-b' },
          { line: 4, agent: 'agent-c' },
        ],
      },
    });
    expect(await rawEventIds()).toEqual(before);
  });

  it('refuses an element of a JSON array naming another agent, by its element number', async () => {
    const batch = [...events(1), ...events(1, { agent_id: 'agent-b' })];
    const response = await push(Buffer.from(JSON.stringify(batch)), {
      headers: { 'content-type': 'application/json' },
    });
    expect(response).toMatchObject({
      status: 403,
      body: { error: 'agent_mismatch', events: [{ line: 2, agent: 'agent-b' }] },
    });
  });

  it('gives events that name no agent the agent whose key signed them', async () => {
    const batch = events(3).map(({ agent_id: _agent, ...event }, i) => (i === 1 ? { ...event, agent_id: '' } : event));
    const response = await push(ndjson(batch), { agent: 'agent-b', key: 'old-key-of-agent-b-0123' });
    expect(response).toMatchObject({ status: 200, body: { status: 'ingested', accepted: 3 } });
    const ids = batch.map((e) => e.event_id);
    expect(await agentsOf(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 'agent-b'])));
  });

  it('overwrites the agent of events naming another agent where the dataset says so, and says how many', async () => {
    const batch = [
      {
        event_id: `act-${Date.now()}-1`,
        agent: { id: 'agent-a' },
        occurred_at: new Date().toISOString(),
        action: 'bid',
      },
      {
        event_id: `act-${Date.now()}-2`,
        agent: { id: 'agent-b' },
        occurred_at: new Date().toISOString(),
        action: 'bid',
      },
      { event_id: `act-${Date.now()}-3`, occurred_at: new Date().toISOString(), action: 'bid' },
    ];
    const response = await push(ndjson(batch), { path: '/v1/datasets/agent_actions/events' });
    expect(response).toMatchObject({ status: 200, body: { status: 'ingested', accepted: 3, agentOverwritten: 1 } });
    const ids = batch.map((e) => e.event_id);
    expect(await agentsOf(ids, 'agent_actions')).toEqual(Object.fromEntries(ids.map((id) => [id, 'agent-a'])));
  });
});

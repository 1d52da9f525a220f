import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import { parseDatasetDeclarationText } from '../../src/contracts/dataset-declaration-files';
import { compileDataset, readDataset } from '../../src/domain/dataset';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import type { QuarantinedRow, TypedRecord } from '../../src/domain/records';
import { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';
import { ingestBatch } from '../../src/usecases/ingest-batch';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import { chunked, declare, utf8 } from '../support/datasets';
import { ManualClock } from '../support/ingest-fakes';
import {
  type Buckets,
  bucketsOf,
  commitLogOf,
  fixturesDatasets,
  getBytes,
  handlerOf,
  listKeys,
  manifestsReading,
  putObject,
  readJson,
  readJsonLines,
  visibleRecords,
} from '../support/ingestion';

let cloud: LocalCloud;
let buckets: Buckets;
let run: LambdaHandler<DropZoneReport>;
const now = Date.now();
const iso = (offsetMinutes: number) => new Date(now + offsetMinutes * 60_000).toISOString();

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
  run = await handlerOf<DropZoneReport>(cloud, 'ingest-drop-zone', { DATASETS_DIR: fixturesDatasets });
});

afterAll(async () => {
  await cloud?.stop();
});

/** Drops a file, runs the connector, and returns the manifest of the batch that read it last. */
async function dropAndIngest(key: string, body: string | Uint8Array) {
  await putObject(cloud, buckets.landing, key, body);
  const report = await run({});
  const dataset = key.split('/')[1] as string;
  const manifest = (await manifestsReading(cloud, dataset, `s3://${buckets.landing}/${key}`)).at(-1);
  return { report, manifest, batchId: manifest?.batchId ?? '' };
}

async function recordsOf(manifest: BatchManifest, kind: 'raw' | 'data_quality') {
  const records: TypedRecord[] = [];
  // The members of a day object share its key: the object read whole holds them all.
  const objects = new Map(manifest.objects.filter((o) => o.kind === kind).map((o) => [o.key, o]));
  for (const object of objects.values()) {
    records.push(...(await readJsonLines<TypedRecord>(cloud, object.bucket, object.key)));
  }
  return records;
}

const header = 'Session ID,started_at,channel,pages,bounced,revenue';

describe('S3 drop zone connector', () => {
  it('ingests a CSV into hour partitions and its bad rows into quarantine, and the counts reconcile', async () => {
    const rows = [
      `\uFEFF${header}`,
      `s1,${iso(-30)},email,3,false,10.5`,
      `s2,${iso(-3 * 24 * 60)},search,1,true,0`,
      `s3,${iso(-20)},fax,1,true,0`,
      `s4,${iso(-20)},email,x,true,0`,
      `s5,${iso(3 * 24 * 60)},email,1,true,0`,
      `"s6","${iso(-10)}",social,"2",no,"1.5"`,
      `"s7,${iso(-10)},email,1,true,0`,
      `s8,${iso(-10)},email,1`,
      `s9,1970-01-01T00:00:00Z,email,1,true,0`,
      `s10,${iso(-5)},direct,,,`,
    ];
    const { manifest, report } = await dropAndIngest('landing/web_sessions/2024/sessions-1.csv', rows.join('\r\n'));
    expect(report.datasets.find((d) => d.dataset === 'web_sessions')).toMatchObject({ ingested: 1, failed: 0 });
    expect(manifest?.counts).toEqual({
      read: 10,
      valid: 4,
      quarantined: 6,
      duplicate: 0,
      quarantinedByReason: {
        not_in_enum: 1,
        invalid_integer: 1,
        event_time_out_of_range: 2,
        unbalanced_quote: 1,
        ragged_row: 1,
      },
    });
    const raw = manifest?.objects.filter((o) => o.kind === 'raw') ?? [];
    // Small days: one object a day, whose gzip members are its hours, each listed with its offset.
    expect(raw.length).toBeGreaterThan(0);
    expect(
      raw.every(
        (o) =>
          /^raw\/dataset=web_sessions\/date=\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}-day\.ndjson\.gz$/.test(o.key) &&
          o.offset !== undefined &&
          o.key.includes(`date=${new Date(o.hour ?? 0).toISOString().slice(0, 10)}/`),
      ),
    ).toBe(true);
    const records = await recordsOf(manifest as BatchManifest, 'raw');
    expect(records.map((r) => r.session_id).sort()).toEqual(['s1', 's10', 's2', 's6']);
    const quarantine = manifest?.objects.find((o) => o.kind === 'quarantine');
    const rejected = await readJsonLines<QuarantinedRow>(cloud, buckets.quarantine, quarantine?.key ?? '');
    expect(rejected).toHaveLength(6);
    expect(rejected.find((row) => row.raw.startsWith('s3,'))).toMatchObject({
      dataset: 'web_sessions',
      source: `s3://${buckets.landing}`,
      file: 'landing/web_sessions/2024/sessions-1.csv',
      line: 4,
      field: 'channel',
      code: 'not_in_enum',
    });
  });

  it('records checksums of what it read and of every object it wrote', async () => {
    const body = `${header}\ns1,${iso(-30)},email,3,false,10.5\n`;
    const { manifest } = await dropAndIngest('landing/web_sessions/checksums.csv', body);
    expect(manifest?.sources[0]).toMatchObject({
      uri: `s3://${buckets.landing}/landing/web_sessions/checksums.csv`,
      bytes: body.length,
    });
    for (const object of manifest?.objects ?? []) {
      const bytes = await getBytes(cloud, object.bucket, object.key);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(bytes).digest('hex'), object.key).toBe(object.sha256);
    }
    expect(manifest?.codeVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('writes nothing new when the same file is dropped again', async () => {
    const key = 'landing/web_sessions/again.csv';
    const body = `${header}\nr1,${iso(-30)},email,1,false,1\n`;
    await dropAndIngest(key, body);
    const before = [...(await listKeys(cloud, buckets.raw, '')), ...(await listKeys(cloud, buckets.quarantine, ''))];
    const { report } = await dropAndIngest(key, body);
    const after = [...(await listKeys(cloud, buckets.raw, '')), ...(await listKeys(cloud, buckets.quarantine, ''))];
    expect(after).toEqual(before);
    expect(report.datasets.find((d) => d.dataset === 'web_sessions')?.ingested).toBe(0);
  });

  it('ingests a changed file under the same key as a new batch', async () => {
    const key = 'landing/web_sessions/changed.csv';
    const first = await dropAndIngest(key, `${header}\nc1,${iso(-30)},email,1,false,1\n`);
    const second = await dropAndIngest(
      key,
      `${header}\nc1,${iso(-30)},email,1,false,1\nc2,${iso(-30)},email,1,false,1\n`,
    );
    expect(second.batchId).not.toBe(first.batchId);
    expect(second.manifest?.counts.valid).toBe(2);
  });

  it('reads gzip NDJSON and marks the hours of late records for recomputation', async () => {
    // Two late events a minute apart in the middle of one hour two days back, whatever the clock says.
    const late = Math.floor((now - 2 * 86_400_000) / 3_600_000) * 3_600_000 + 30 * 60_000;
    const lateAt = (minutes: number) => new Date(late + minutes * 60_000).toISOString();
    const lines = [
      { event_id: 'e1', agent_id: 'agent-a', occurred_at: lateAt(0), action: 'send_email', latency_ms: 120 },
      { event_id: 'e2', agent_id: 'agent-a', occurred_at: lateAt(1), action: 'send_email', latency_ms: 80 },
      { event_id: 'e3', agent_id: 'agent-b', occurred_at: iso(-1), action: 'bid', latency_ms: 30 },
    ];
    const body = gzipSync(lines.map((l) => JSON.stringify(l)).join('\n'));
    const { manifest, batchId } = await dropAndIngest('landing/agent_events/late.ndjson.gz', body);
    expect(manifest?.counts.valid).toBe(3);
    expect(manifest?.latePartitions).toEqual([
      { date: lateAt(0).slice(0, 10), hour: lateAt(0).slice(11, 13), records: 2 },
    ]);
    const ledger = new DynamoDbIngestLedger(
      cloud.clients.dynamodb,
      String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE),
    );
    const marks = await ledger.recomputeMarks('agent_events');
    expect(marks.filter((m) => m.batchId === batchId)).toEqual([
      {
        dataset: 'agent_events',
        periodStart: late - 30 * 60_000,
        batchId,
        records: 2,
        markedAt: manifest?.ingestedAt,
      },
    ]);
  });

  it('sets aside invalid JSON lines, a huge line, bytes that are not UTF-8 and wrong types, and ingests the rest', async () => {
    const good = (id: string) =>
      JSON.stringify({ event_id: id, agent_id: 'agent-a', occurred_at: iso(-5), action: 'bid' });
    const parts = [
      Buffer.from(`${good('g1')}\n{"event_id":"broken",\n\n`),
      Buffer.from(
        `${JSON.stringify({ event_id: 'huge', agent_id: 'a', occurred_at: iso(-5), action: 'bid', payload: 'x'.repeat(1_200_000) })}\n`,
      ),
      Buffer.from('{"event_id":"latin1","agent_id":"caf'),
      Buffer.from([0xe9]),
      Buffer.from(`","occurred_at":"${iso(-5)}","action":"bid"}\n`),
      Buffer.from(
        `${JSON.stringify({ event_id: 'typed', agent_id: 'a', occurred_at: iso(-5), action: 'bid', latency_ms: 'fast' })}\n`,
      ),
      Buffer.from(`${good('g2')}\n`),
    ];
    const { manifest } = await dropAndIngest('landing/agent_events/bad-lines.ndjson', Buffer.concat(parts));
    expect(manifest?.counts).toEqual({
      read: 6,
      valid: 2,
      quarantined: 4,
      duplicate: 0,
      quarantinedByReason: { invalid_json: 1, row_too_large: 1, invalid_encoding: 1, invalid_number: 1 },
    });
  });

  it('keeps a file that cannot be read whole in quarantine, with why', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from(`${header}\n`, 'utf16le')]);
    const { manifest, report, batchId } = await dropAndIngest('landing/web_sessions/export-utf16.csv', utf16);
    expect(report.datasets.find((d) => d.dataset === 'web_sessions')?.unreadable).toBe(1);
    expect(manifest).toMatchObject({ outcome: 'unreadable', problem: { code: 'unsupported_encoding' } });
    const kept = manifest?.objects.find((o) => o.kind === 'quarantined_file');
    expect(kept?.key).toMatch(
      new RegExp(`^quarantine/_files/dataset=web_sessions/date=[\\d-]+/${batchId}/export-utf16\\.csv$`),
    );
    expect(await getBytes(cloud, buckets.quarantine, kept?.key ?? '')).toEqual(utf16);
    const reason = await readJson(cloud, buckets.quarantine, (kept?.key ?? '').replace(/[^/]+$/, 'reason.json'));
    expect(reason).toMatchObject({
      code: 'unsupported_encoding',
      reason: expect.stringContaining('export it as UTF-8'),
    });
  });

  it('keeps an empty file in quarantine as unreadable rather than retrying it', async () => {
    const { manifest } = await dropAndIngest('landing/web_sessions/empty.csv', '');
    expect(manifest?.problem?.code).toBe('empty_file');
    const { report } = await dropAndIngest('landing/web_sessions/empty.csv', '');
    expect(report.datasets.find((d) => d.dataset === 'web_sessions')?.unreadable).toBe(0);
  });

  it('writes data-quality records that the shipped pipeline_ingest declaration reads without a problem', async () => {
    const { manifest } = await dropAndIngest(
      'landing/web_sessions/quality.csv',
      `${header}\nq1,${iso(-30)},email,1,false,1\nq2,bad,email,1,false,1\n`,
    );
    const dqObject = manifest?.objects.find((o) => o.kind === 'data_quality');
    expect(dqObject?.key).toMatch(/^raw\/dataset=pipeline_ingest\/date=/);
    const declaration = parseDatasetDeclarationText(
      readFileSync(path.resolve(import.meta.dirname, '../../kpis/datasets/pipeline_ingest.yaml'), 'utf8'),
      'pipeline_ingest.yaml',
    );
    const bytes = await getBytes(cloud, buckets.raw, dqObject?.key ?? '');
    const read = readDataset(compileDataset(declaration), chunked(bytes), { source: 'test', file: 'dq' });
    const records: TypedRecord[] = [];
    for await (const batch of read) records.push(...batch.records);
    expect(read.summary().counts.quarantined).toBe(0);
    expect(records).toEqual([
      expect.objectContaining({
        record_type: 'batch',
        dataset: 'web_sessions',
        connector: 'drop_zone',
        outcome: 'ingested',
        rows_received: 2,
        rows_valid: 1,
        rows_quarantined: 1,
        schema_conformity: 0.5,
      }),
      expect.objectContaining({ record_type: 'quarantine_reason', reason: 'invalid_timestamp', rows_quarantined: 1 }),
    ]);
  });

  it('leaves exactly one copy visible when a run dies in the middle of its commit and a later run redoes it', async () => {
    const stateTable = String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
    const ledger = new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable);
    const store = new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine });
    const log = commitLogOf(cloud);
    const clock = new ManualClock(now);
    let appends = 0;
    // The second day's commit dies (days commit a few at once: the other three go through), and so
    // does the run: no release, as when Lambda times out.
    const dyingLog = Object.assign(Object.create(log) as typeof log, {
      append: async (entry: Parameters<typeof log.append>[0]) => {
        appends += 1;
        if (appends === 2) throw new Error('Task timed out');
        return log.append(entry);
      },
    });
    const crashLedger = Object.assign(Object.create(ledger) as DynamoDbIngestLedger, {
      release: async () => {
        throw new Error('dead');
      },
    });
    const events = declare({
      id: 'crash_test',
      format: { type: 'ndjson' },
      fields: { id: { type: 'string' }, at: { type: 'timestamp' } },
    });
    const text = ['a', 'b', 'c', 'd'].map((id, i) => JSON.stringify({ id, at: iso(-60 * 24 * i - 5) })).join('\n');
    const batch = () => ({
      dataset: events,
      connector: 'drop_zone' as const,
      source: 'test',
      parts: [{ origin: { source: 'test', file: 'f' }, bytes: chunked(utf8(text)), uri: 'test://f' }],
      mode: 'partial' as const,
      lateAfterMinutes: 60,
    });
    const deps = { store, ledger, log, spill: new MemorySpillStore(), clock, codeVersion: 'test' };
    await expect(ingestBatch(batch(), { ...deps, log: dyingLog, ledger: crashLedger })).rejects.toThrow(
      'Task timed out',
    );
    // Whole days only: the day whose commit died (c's) is not visible, each other day once.
    const partial = (await visibleRecords(cloud, 'crash_test')).map((r) => r.id);
    expect(partial.sort()).toEqual(['a', 'b', 'd']);
    const keys = await listKeys(cloud, buckets.raw, 'raw/dataset=crash_test/');

    clock.advance(17 * 60_000);
    expect((await ingestBatch(batch(), deps)).status).toBe('ingested');
    expect(await listKeys(cloud, buckets.raw, 'raw/dataset=crash_test/')).toEqual(keys);
    const ids = (await visibleRecords(cloud, 'crash_test')).map((r) => r.id);
    expect(ids.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await listKeys(cloud, buckets.raw, 'raw/_manifests/dataset=crash_test/')).toHaveLength(1);
  });

  it('gives each record the values its key captures, and reads the same bytes under two captures as two batches', async () => {
    const body = `item_id,shown_at,click\ni1,${iso(-30)},1\ni2,${iso(-29)},0\n`;
    const bts = await dropAndIngest('landing/ad_clicks/policy=bts/men/day-1.csv', body);
    const random = await dropAndIngest('landing/ad_clicks/policy=random/women/day-1.csv', body);
    expect(random.batchId).not.toBe(bts.batchId);
    expect(
      (await recordsOf(bts.manifest as BatchManifest, 'raw')).map((r) => [r.item_id, r.policy, r.campaign]),
    ).toEqual([
      ['i1', 'bts', 'men'],
      ['i2', 'bts', 'men'],
    ]);
    expect((await recordsOf(random.manifest as BatchManifest, 'raw')).map((r) => [r.policy, r.campaign])).toEqual([
      ['random', 'women'],
      ['random', 'women'],
    ]);
    // The same bytes under the same captures, in another file name: one batch, as for any dataset.
    const again = await dropAndIngest('landing/ad_clicks/policy=bts/men/day-1 (copy).csv', body);
    expect(again.report.datasets.find((d) => d.dataset === 'ad_clicks')).toMatchObject({ ingested: 0 });
    expect(await visibleRecords(cloud, 'ad_clicks')).toHaveLength(4);
  });

  it('quarantines the rows of a file whose key does not give a required captured field, saying so', async () => {
    const { manifest } = await dropAndIngest(
      'landing/ad_clicks/policy=bts/stray.csv',
      `item_id,shown_at,click\ni9,${iso(-30)},1\n`,
    );
    expect(manifest?.counts).toMatchObject({ read: 1, valid: 0, quarantined: 1 });
    const quarantine = manifest?.objects.find((o) => o.kind === 'quarantine');
    const [row] = await readJsonLines<QuarantinedRow>(cloud, buckets.quarantine, quarantine?.key ?? '');
    expect(row).toMatchObject({ field: 'policy', code: 'missing_required' });
    expect(row?.reason).toContain(
      '"policy" comes from the file\'s path: the path policy=bts/stray.csv matches no pattern of "files" that captures it',
    );
  });

  it('quarantines the rows of a file whose key captures a value outside the enum', async () => {
    const { manifest } = await dropAndIngest(
      'landing/ad_clicks/policy=greedy/men/day-1.csv',
      `item_id,shown_at,click\ni8,${iso(-30)},1\n`,
    );
    expect(manifest?.counts.quarantinedByReason).toEqual({ not_in_enum: 1 });
  });

  it('ingests the same bytes dropped under another name once: the batch is its content', async () => {
    const body = `${header}\nsame1,${iso(-30)},email,1,false,7\nsame2,${iso(-31)},email,1,false,5\n`;
    await dropAndIngest('landing/web_sessions/export-a.csv', body);
    const before = await visibleRecords(cloud, 'web_sessions');
    const { report } = await dropAndIngest('landing/web_sessions/renamed/export-a copy.csv', body);
    expect(report.datasets.find((d) => d.dataset === 'web_sessions')).toMatchObject({ ingested: 0 });
    expect(await visibleRecords(cloud, 'web_sessions')).toHaveLength(before.length);
    // Handled files are remembered: the next run reads neither of them again.
    const next = await run({});
    expect(next.datasets.find((d) => d.dataset === 'web_sessions')).toMatchObject({ ingested: 0, rowsRead: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import type { BatchManifest } from '../../../src/domain/ingest/manifest';
import type { TypedRecord } from '../../../src/domain/records';
import { type IngestBatchRequest, ingestBatch } from '../../../src/usecases/ingest-batch';
import { chunked, declare, utf8 } from '../../support/datasets';
import { InMemoryIngestLedger, InMemoryIngestStore, ManualClock } from '../../support/ingest-fakes';

const NOW = Date.parse('2024-06-10T12:30:00Z');
const HOUR = 3_600_000;

const dataset = declare({
  format: { type: 'ndjson' },
  fields: { id: { type: 'string', required: true }, at: { type: 'timestamp' }, n: { type: 'integer' } },
});

function lines(rows: Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

function setup() {
  const store = new InMemoryIngestStore();
  const ledger = new InMemoryIngestLedger();
  const clock = new ManualClock(NOW);
  return { store, ledger, clock, deps: { store, ledger, clock, codeVersion: 'test' } };
}

function request(text: string, overrides: Partial<IngestBatchRequest> = {}): IngestBatchRequest {
  return {
    dataset,
    connector: 'drop_zone',
    batchId: 'b1',
    source: 's3://landing/events.ndjson',
    parts: [
      {
        origin: { source: 's3://landing', file: 'events.ndjson' },
        bytes: chunked(utf8(text), 17),
        uri: 's3://landing/events.ndjson',
      },
    ],
    mode: 'partial',
    lateAfterMinutes: 60,
    ...overrides,
  };
}

function rawRecords(store: InMemoryIngestStore, prefix = 'raw/dataset=events/'): TypedRecord[] {
  return store.keys('raw', prefix).flatMap((key) => store.lines<TypedRecord>('raw', key));
}

const rows = [
  { id: 'a', at: '2024-06-10T12:05:00Z', n: 1 },
  { id: 'b', at: '2024-06-10T11:59:00Z', n: 2 },
  { id: 'c', at: '2024-06-08T03:00:00Z', n: 3 },
  { id: 'd', at: 'yesterday', n: 4 },
];

describe('ingest a batch', () => {
  it('writes each valid record once, in the hour of its event time, and each bad row to quarantine', async () => {
    const { store, deps } = setup();
    const result = await ingestBatch(request(lines(rows)), deps);
    expect(result.status).toBe('ingested');
    expect(store.keys('raw', 'raw/dataset=events/')).toEqual([
      'raw/dataset=events/date=2024-06-08/hour=03/b1-0000.ndjson.gz',
      'raw/dataset=events/date=2024-06-10/hour=11/b1-0000.ndjson.gz',
      'raw/dataset=events/date=2024-06-10/hour=12/b1-0000.ndjson.gz',
    ]);
    expect(
      rawRecords(store)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(store.lines('quarantine', 'quarantine/dataset=events/date=2024-06-10/hour=12/b1.ndjson.gz')).toEqual([
      expect.objectContaining({ line: 4, field: 'at', code: 'invalid_timestamp' }),
    ]);
  });

  it('reconciles the manifest: read = valid + quarantined, and objects hold exactly those rows', async () => {
    const { store, deps } = setup();
    const result = await ingestBatch(request(lines(rows)), deps);
    const manifest = store.json<BatchManifest>('raw', result.status === 'ingested' ? result.manifestKey : '');
    expect(manifest.counts).toEqual({
      read: 4,
      valid: 3,
      quarantined: 1,
      quarantinedByReason: { invalid_timestamp: 1 },
    });
    const written = (kind: string) =>
      manifest.objects.filter((o) => o.kind === kind).reduce((n, o) => n + o.records, 0);
    expect(written('raw')).toBe(manifest.counts.valid);
    expect(written('quarantine')).toBe(manifest.counts.quarantined);
  });

  it('writes nothing when the same batch comes again', async () => {
    const { store, deps } = setup();
    await ingestBatch(request(lines(rows)), deps);
    const before = new Map(store.objects);
    const again = await ingestBatch(request(lines(rows)), deps);
    expect(again.status).toBe('duplicate');
    expect(store.objects).toEqual(before);
  });

  it('leaves a batch alone while another run holds its claim', async () => {
    const { ledger, deps } = setup();
    await ledger.claim({ dataset: 'events', batchId: 'b1', owner: 'other', now: NOW, leaseMillis: 60_000 });
    expect((await ingestBatch(request(lines(rows)), deps)).status).toBe('busy');
  });

  it('leaves exactly one copy when a run dies while committing and a later run redoes the batch', async () => {
    const { store, ledger, clock, deps } = setup();
    store.failOnCommit = 2;
    // A dying run cannot clean up: make its abort and release fail too.
    const dying = {
      ...deps,
      store: Object.assign(Object.create(store), {
        stage: (...args: Parameters<typeof store.stage>) => ({
          ...store.stage(...args),
          abort: async () => {
            throw new Error('dead');
          },
        }),
      }),
      ledger: Object.assign(Object.create(ledger), {
        release: async () => {
          throw new Error('dead');
        },
      }),
    };
    await expect(ingestBatch(request(lines(rows)), dying)).rejects.toThrow('storage failed on commit 2');
    expect(store.keys('raw', 'raw/dataset=events/')).toHaveLength(1);
    expect((await ingestBatch(request(lines(rows)), deps)).status).toBe('busy');

    store.failOnCommit = undefined;
    clock.advance(17 * 60_000);
    const rerun = await ingestBatch(request(lines(rows)), deps);
    expect(rerun.status).toBe('ingested');
    expect(
      rawRecords(store)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(store.keys('raw', 'raw/_manifests/')).toHaveLength(1);
    expect(rerun.status === 'ingested' && rerun.manifest).toMatchObject({ attempt: 2, ingestedAt: NOW });
  });

  it('discards what it staged and frees the batch when it fails, so a retry can start at once', async () => {
    const { store, deps } = setup();
    async function* failing() {
      yield utf8(`${lines(rows.slice(0, 2))}\n`);
      throw new Error('connection reset');
    }
    const broken = request('', {
      parts: [{ origin: { source: 's', file: 'f' }, bytes: failing(), uri: 's3://landing/events.ndjson' }],
    });
    await expect(ingestBatch(broken, deps)).rejects.toThrow('connection reset');
    expect(store.pending.size).toBe(0);
    expect(store.objects.size).toBe(0);
    expect((await ingestBatch(request(lines(rows)), deps)).status).toBe('ingested');
  });

  it('rejects a whole all-or-nothing batch with one invalid row, keeping the bad rows and the reasons', async () => {
    const { store, deps } = setup();
    const result = await ingestBatch(request(lines(rows), { mode: 'all_or_nothing', connector: 'push' }), deps);
    expect(result.status).toBe('rejected');
    expect(result.status === 'rejected' && result.problems).toEqual([
      'line 4 (at): "at": "yesterday" is not an ISO-8601 date or time (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:MM]) (format iso8601)',
    ]);
    expect(store.keys('raw', 'raw/dataset=events/')).toEqual([]);
    expect(store.keys('quarantine')).toHaveLength(1);
    const dq = store.lines('raw', store.keys('raw', 'raw/dataset=pipeline_ingest/')[0] as string);
    expect(dq[0]).toMatchObject({ outcome: 'rejected', rows_received: 4, rows_quarantined: 1 });
  });

  it('marks for recomputation only the hours that ended before the lateness allowance', async () => {
    const { ledger, deps } = setup();
    await ingestBatch(request(lines(rows), { lateAfterMinutes: 30 }), deps);
    expect(await ledger.recomputeMarks('events')).toEqual([
      { dataset: 'events', periodStart: Date.parse('2024-06-08T03:00:00Z'), batchId: 'b1', records: 1, markedAt: NOW },
    ]);
  });

  it('starts a new segment of an hour it had to close to keep few objects open', async () => {
    const { store, deps } = setup();
    const spread = Array.from({ length: 6 }, (_, i) => ({
      id: `r${i}`,
      at: new Date(NOW - (i % 3) * HOUR).toISOString(),
    }));
    const part = (text: string, file: string) => ({
      origin: { source: 's', file },
      bytes: chunked(utf8(text)),
      uri: file,
    });
    // Two parts: the second comes back to the hour the first had to close.
    await ingestBatch(
      request('', { parts: [part(lines(spread.slice(0, 3)), 'p1'), part(lines(spread.slice(3)), 'p2')] }),
      {
        ...deps,
        maxOpenPartitions: 2,
      },
    );
    const keys = store.keys('raw', 'raw/dataset=events/');
    expect(keys.some((k) => k.endsWith('-0001.ndjson.gz'))).toBe(true);
    expect(
      rawRecords(store)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  });
});

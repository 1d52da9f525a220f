import { beforeEach, describe, expect, it } from 'vitest';
import { MemorySpillStore } from '../../../src/adapters/memory/memory-spill-store';
import { visibleHours } from '../../../src/domain/ingest/commit-log';
import type { BatchManifest } from '../../../src/domain/ingest/manifest';
import type { TypedRecord } from '../../../src/domain/records';
import { type IngestBatchRequest, type IngestDependencies, ingestBatch } from '../../../src/usecases/ingest-batch';
import { chunked, declare, gzip, utf8 } from '../../support/datasets';
import {
  InMemoryIngestLedger,
  InMemoryIngestStore,
  InMemoryRawCommitLog,
  ManualClock,
} from '../../support/ingest-fakes';

const NOW = Date.parse('2024-06-10T12:30:00Z');
const HOUR = 3_600_000;

const fields = { id: { type: 'string', required: true }, at: { type: 'timestamp' }, n: { type: 'integer' } } as const;
const dataset = declare({ format: { type: 'ndjson' }, fields });
const keyed = declare({ format: { type: 'ndjson' }, fields, key: ['id'] });

function lines(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

/**
 * The raw layouts every test runs under: a small day as one object of hour members (the default),
 * and one object per hour (what a day past the size limit gets: a limit of 0 puts every day past it).
 */
const LAYOUTS = [
  ['day objects of hour members', undefined],
  ['one object per hour', 0],
] as const;
let dayObjectChars: number | undefined;
const perHour = () => dayObjectChars === 0;

function setup(overrides: Partial<IngestDependencies> = {}) {
  const store = new InMemoryIngestStore();
  const ledger = new InMemoryIngestLedger();
  const log = new InMemoryRawCommitLog();
  const clock = new ManualClock(NOW);
  const deps: IngestDependencies = {
    store,
    ledger,
    log,
    spill: new MemorySpillStore(),
    clock,
    codeVersion: 'test',
    ...(dayObjectChars === undefined ? {} : { dayObjectChars }),
    ...overrides,
  };
  return { store, ledger, log, clock, deps };
}

function request(text: string, overrides: Partial<IngestBatchRequest> = {}): IngestBatchRequest {
  return {
    dataset,
    connector: 'drop_zone',
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

/** The records a reader sees: those of the objects the commit log makes visible. */
async function visible(
  { store, log }: { store: InMemoryIngestStore; log: InMemoryRawCommitLog },
  id = 'events',
): Promise<TypedRecord[]> {
  const hours = visibleHours(await log.entries(id, null, '9999-12-31'), null, Number.MAX_SAFE_INTEGER);
  return hours.flatMap((hour) => hour.objects.flatMap((o) => store.lines<TypedRecord>('raw', o.key, o)));
}

const ids = (records: readonly TypedRecord[]) => records.map((r) => r.id).sort();

const rows = [
  { id: 'a', at: '2024-06-10T12:05:00Z', n: 1 },
  { id: 'b', at: '2024-06-10T11:59:00Z', n: 2 },
  { id: 'c', at: '2024-06-08T03:00:00Z', n: 3 },
  { id: 'd', at: 'yesterday', n: 4 },
];

describe.each(LAYOUTS)('raw layout: %s', (_layout, chars) => {
  beforeEach(() => {
    dayObjectChars = chars;
  });

  describe('ingest a batch', () => {
    it('writes each valid record once, in the hour of its event time, and each bad row to quarantine', async () => {
      const { store, log, deps } = setup();
      const result = await ingestBatch(request(lines(rows)), deps);
      expect(result.status).toBe('ingested');
      const batchId = result.status === 'ingested' ? result.batchId : '';
      expect(store.keys('raw', 'raw/dataset=events/')).toEqual(
        perHour()
          ? [
              `raw/dataset=events/date=2024-06-08/hour=03/${batchId}-0000.ndjson.gz`,
              `raw/dataset=events/date=2024-06-10/hour=11/${batchId}-0000.ndjson.gz`,
              `raw/dataset=events/date=2024-06-10/hour=12/${batchId}-0000.ndjson.gz`,
            ]
          : [
              `raw/dataset=events/date=2024-06-08/${batchId}-day.ndjson.gz`,
              `raw/dataset=events/date=2024-06-10/${batchId}-day.ndjson.gz`,
            ],
      );
      // Each hour is its own object, or its own member of its day's object: one per hour either way.
      const hours = visibleHours(await log.entries('events', null, '9999-12-31'), null, Number.MAX_SAFE_INTEGER);
      expect(hours.map((hour) => [new Date(hour.start).toISOString(), hour.objects.length])).toEqual([
        ['2024-06-08T03:00:00.000Z', 1],
        ['2024-06-10T11:00:00.000Z', 1],
        ['2024-06-10T12:00:00.000Z', 1],
      ]);
      expect(
        hours.map((hour) =>
          store.lines<TypedRecord>('raw', hour.objects[0]?.key ?? '', hour.objects[0]).map((r) => r.id),
        ),
      ).toEqual([['c'], ['b'], ['a']]);
      // A day object read whole, as gunzip, DuckDB or Athena read it, is the day's records in hour order.
      if (!perHour()) {
        const day = `raw/dataset=events/date=2024-06-10/${batchId}-day.ndjson.gz`;
        expect(store.lines<TypedRecord>('raw', day).map((r) => r.id)).toEqual(['b', 'a']);
      }
      expect(ids(await visible({ store, log }))).toEqual(['a', 'b', 'c']);
      expect(
        store.lines('quarantine', `quarantine/dataset=events/date=2024-06-10/hour=12/${batchId}.ndjson.gz`),
      ).toEqual([expect.objectContaining({ line: 4, field: 'at', code: 'invalid_timestamp' })]);
    });

    it('reconciles the manifest: read = valid + quarantined + duplicate, and objects hold exactly those rows', async () => {
      const { store, deps } = setup();
      const result = await ingestBatch(request(lines(rows)), deps);
      const manifest = store.json<BatchManifest>('raw', result.status === 'ingested' ? result.manifestKey : '');
      expect(manifest.counts).toEqual({
        read: 4,
        valid: 3,
        quarantined: 1,
        duplicate: 0,
        quarantinedByReason: { invalid_timestamp: 1 },
      });
      const written = (kind: string) =>
        manifest.objects.filter((o) => o.kind === kind).reduce((n, o) => n + o.records, 0);
      expect(written('raw')).toBe(manifest.counts.valid);
      expect(written('quarantine')).toBe(manifest.counts.quarantined);
    });

    it('commits one entry per day of event time, and the data-quality records on the day of ingestion', async () => {
      const { log, deps } = setup();
      const result = await ingestBatch(request(lines(rows)), deps);
      const batchId = result.status === 'ingested' ? result.batchId : '';
      expect((await log.entries('events', null, '9999')).map((e) => [e.date, e.version, e.batchId])).toEqual([
        ['2024-06-08', 1, batchId],
        ['2024-06-10', 1, batchId],
      ]);
      const dq = await log.entries('pipeline_ingest', null, '9999');
      expect(dq.map((e) => [e.date, e.batchId])).toEqual([['2024-06-10', `dq-${batchId}`]]);
    });

    it('reads the logs of the days it writes once, together: each commit takes the next version against that read', async () => {
      const { log, deps } = setup();
      const reads: string[] = [];
      const entries = log.entries.bind(log);
      log.entries = async (dataset, fromDate, toDate) => {
        if (dataset === 'events') reads.push(`${fromDate}..${toDate}`);
        return entries(dataset, fromDate, toDate);
      };
      await ingestBatch(request(lines([{ id: 'z', at: '2024-06-09T01:00:00Z', n: 0 }])), deps);
      reads.length = 0;
      const result = await ingestBatch(request(lines(rows)), deps);
      expect(result.status).toBe('ingested');
      // One range read for its two days (2024-06-09, between them, has another batch's entry).
      expect(reads).toEqual(['2024-06-08..2024-06-10']);
      expect((await log.entries('events', '2024-06-08', '2024-06-10')).map((e) => [e.date, e.version])).toEqual([
        ['2024-06-08', 1],
        ['2024-06-09', 1],
        ['2024-06-10', 1],
      ]);
    });

    it('is identified by its content: the same bytes from another file, chunked otherwise, write nothing', async () => {
      const { store, deps } = setup();
      const first = await ingestBatch(request(lines(rows)), deps);
      const before = new Map(store.objects);
      const again = await ingestBatch(
        request(lines(rows), {
          source: 's3://landing/copy-of-events.ndjson',
          parts: [
            {
              origin: { source: 's3://landing', file: 'copy.ndjson' },
              bytes: chunked(utf8(lines(rows)), [1, 1000, 3]),
              uri: 's3://landing/copy.ndjson',
            },
          ],
        }),
        deps,
      );
      expect(again).toMatchObject({ status: 'duplicate', batchId: first.status === 'ingested' ? first.batchId : '' });
      expect(store.objects).toEqual(before);
    });

    it('is the same batch plain or gzipped: the content is what is read, not the bytes sent', async () => {
      const { deps } = setup();
      const first = await ingestBatch(request(lines(rows)), deps);
      const gzipped = await ingestBatch(
        request('', {
          parts: [
            { origin: { source: 's', file: 'e.ndjson.gz' }, bytes: chunked(gzip(lines(rows)), 7), uri: 'e.ndjson.gz' },
          ],
        }),
        deps,
      );
      expect(gzipped).toMatchObject({ status: 'duplicate', batchId: first.status === 'ingested' ? first.batchId : '' });
    });

    it('leaves a batch alone while another run holds its claim', async () => {
      const probe = await ingestBatch(request(lines(rows)), setup().deps);
      const { ledger, deps } = setup();
      const batchId = probe.status === 'ingested' ? probe.batchId : '';
      await ledger.claim({ dataset: 'events', batchId, owner: 'other', now: NOW, leaseMillis: 60_000 });
      expect((await ingestBatch(request(lines(rows)), deps)).status).toBe('busy');
    });

    it('leaves exactly one copy when a run dies between two days of its commit and a later run redoes it', async () => {
      const { store, log, clock, deps } = setup();
      let appends = 0;
      log.beforeAppend = async () => {
        appends += 1;
        if (appends === 2) throw new Error('the run died');
      };
      const dying = { ...deps, ledger: Object.assign(Object.create(deps.ledger), { release: async () => undefined }) };
      await expect(ingestBatch(request(lines(rows)), dying)).rejects.toThrow('the run died');
      // The first day is committed, the second is not: readers see whole days only.
      expect(ids(await visible({ store, log }))).toEqual(['c']);
      const keys = store.keys('raw', 'raw/dataset=events/');

      log.beforeAppend = undefined;
      clock.advance(17 * 60_000);
      const rerun = await ingestBatch(request(lines(rows)), deps);
      expect(rerun.status).toBe('ingested');
      expect(ids(await visible({ store, log }))).toEqual(['a', 'b', 'c']);
      expect(store.keys('raw', 'raw/dataset=events/')).toEqual(keys);
      expect(rerun.status === 'ingested' && rerun.manifest).toMatchObject({ attempt: 2, ingestedAt: NOW });
    });

    it('writes nothing and takes no claim when the input fails while it is read', async () => {
      const { store, ledger, deps } = setup();
      async function* failing() {
        yield utf8(`${lines(rows.slice(0, 2))}\n`);
        throw new Error('connection reset');
      }
      const broken = request('', {
        parts: [{ origin: { source: 's', file: 'f' }, bytes: failing(), uri: 's3://landing/events.ndjson' }],
      });
      await expect(ingestBatch(broken, deps)).rejects.toThrow('connection reset');
      expect(store.objects.size).toBe(0);
      expect(ledger.batches.size).toBe(0);
      expect((await ingestBatch(request(lines(rows)), deps)).status).toBe('ingested');
    });

    it('rejects a whole all-or-nothing batch with one invalid row, keeping the bad rows and the reasons', async () => {
      const { store, log, deps } = setup();
      const result = await ingestBatch(request(lines(rows), { mode: 'all_or_nothing', connector: 'push' }), deps);
      expect(result.status).toBe('rejected');
      expect(result.status === 'rejected' && result.problems).toEqual([
        'line 4 (at): "at": "yesterday" is not an ISO-8601 date or time (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:MM]) (format iso8601)',
      ]);
      expect(await visible({ store, log })).toEqual([]);
      expect(store.keys('quarantine')).toHaveLength(1);
      const dq = await visible({ store, log }, 'pipeline_ingest');
      expect(dq[0]).toMatchObject({ outcome: 'rejected', rows_received: 4, rows_quarantined: 1 });
    });

    it('marks for recomputation only the hours that ended before the lateness allowance', async () => {
      const { ledger, deps } = setup();
      const result = await ingestBatch(request(lines(rows), { lateAfterMinutes: 30 }), deps);
      expect(await ledger.recomputeMarks('events')).toEqual([
        {
          dataset: 'events',
          periodStart: Date.parse('2024-06-08T03:00:00Z'),
          batchId: result.status === 'ingested' ? result.batchId : '',
          records: 1,
          markedAt: NOW,
        },
      ]);
    });

    it('writes one object or member per hour whatever the row order, within a memory budget far below the batch', async () => {
      const many = Array.from({ length: 3000 }, (_, i) => ({
        id: `r${i}`,
        at: new Date(NOW - ((i * 7919) % 240) * HOUR).toISOString(),
        n: i,
      }));
      const shuffled = [...many].sort((a, b) => ((a.n * 104729) % 3001) - ((b.n * 104729) % 3001));
      const spill = new MemorySpillStore();
      const { store, log, deps } = setup({ memoryBudgetBytes: 16 * 1024, spill });
      const result = await ingestBatch(request(lines(shuffled)), deps);
      expect(result.status).toBe('ingested');
      expect(spill.files.length).toBeGreaterThan(0);
      // 240 hours over 11 days: an object each, or a member each of 11 day objects.
      expect(store.keys('raw', 'raw/dataset=events/')).toHaveLength(perHour() ? 240 : 11);
      const hours = visibleHours(await log.entries('events', null, '9999-12-31'), null, Number.MAX_SAFE_INTEGER);
      expect(hours.map((hour) => hour.objects.length)).toEqual(Array.from({ length: 240 }, () => 1));
      expect(ids(await visible({ store, log }))).toEqual(ids(many as unknown as TypedRecord[]));
      // Rows keep their input order within an hour.
      for (const hour of [hours[0], hours[117], hours[239]]) {
        const object = hour?.objects[0];
        const inHour = store.lines<{ id: string }>('raw', object?.key ?? '', object).map((r) => r.id);
        expect(inHour).toEqual(shuffled.map((r) => r.id).filter((id) => inHour.includes(id)));
      }
    });
  });

  describe('a keyed dataset', () => {
    const keyedRequest = (rowsOf: readonly Record<string, unknown>[], file = 'e.ndjson') =>
      request(lines(rowsOf), {
        dataset: keyed,
        parts: [{ origin: { source: 's', file }, bytes: chunked(utf8(lines(rowsOf))), uri: file }],
      });

    it('drops rows whose key was ingested before on the same day, in this batch or an earlier one, and counts them', async () => {
      const { store, log, deps } = setup();
      const first = [rows[0], rows[1], { ...rows[0], n: 9 }] as Record<string, unknown>[];
      const a = await ingestBatch(keyedRequest(first), deps);
      expect(a.status === 'ingested' && a.manifest.counts).toMatchObject({ read: 3, valid: 2, duplicate: 1 });
      const overlapping = [rows[1], rows[2], { id: 'e', at: '2024-06-10T10:00:00Z', n: 5 }] as Record<
        string,
        unknown
      >[];
      const b = await ingestBatch(keyedRequest(overlapping, 'f.ndjson'), deps);
      expect(b.status === 'ingested' && b.manifest.counts).toMatchObject({ read: 3, valid: 2, duplicate: 1 });
      expect(ids(await visible({ store, log }))).toEqual(['a', 'b', 'c', 'e']);
      const dq = (await visible({ store, log }, 'pipeline_ingest')).filter((r) => r.record_type === 'batch');
      expect(dq.map((r) => r.rows_duplicate).sort()).toEqual([1, 1]);
    });

    it('keeps one copy when two batches with the same key commit at the same time', async () => {
      const { store, log, deps } = setup();
      let raced = false;
      log.beforeAppend = async (entry) => {
        if (raced || entry.dataset !== 'events') return;
        raced = true;
        // Another batch adds key "b" on the same day after this one decided its duplicates.
        log.beforeAppend = undefined;
        await ingestBatch(keyedRequest([rows[1] as Record<string, unknown>], 'other.ndjson'), deps);
      };
      const result = await ingestBatch(keyedRequest([rows[0], rows[1]] as Record<string, unknown>[]), deps);
      expect(result.status === 'ingested' && result.manifest.counts).toMatchObject({ read: 2, valid: 1, duplicate: 1 });
      expect(ids(await visible({ store, log }))).toEqual(['a', 'b']);
    });
  });

  describe('a replace dataset', () => {
    const replacing = declare({ format: { type: 'ndjson' }, fields, ingestion: { files: 'replace' } });
    const version = (rowsOf: readonly Record<string, unknown>[]) =>
      request(lines(rowsOf), {
        dataset: replacing,
        replaces: 'landing/events/daily.ndjson',
        parts: [{ origin: { source: 's', file: 'daily.ndjson' }, bytes: chunked(utf8(lines(rowsOf))), uri: 'daily' }],
      });

    it('makes a corrected export replace the one before it: readers never see both', async () => {
      const { store, log, ledger, deps } = setup();
      await ingestBatch(version([rows[0], rows[2]] as Record<string, unknown>[]), deps);
      const corrected = [{ ...rows[0], n: 10 }, rows[1]] as Record<string, unknown>[];
      const result = await ingestBatch(version(corrected), deps);
      expect(result.status).toBe('ingested');
      const seen = await visible({ store, log });
      expect(seen.map((r) => [r.id, r.n]).sort()).toEqual([
        ['a', 10],
        ['b', 2],
      ]);
      expect(result.status === 'ingested' && result.manifest.replaces).toMatchObject({ revision: 2 });
      // The day only the first version had is restated too.
      expect((await ledger.recomputeMarks('events')).map((m) => new Date(m.periodStart).toISOString())).toContain(
        '2024-06-08T03:00:00.000Z',
      );
    });

    it('changes nothing when the version in force is dropped again, and brings back an earlier one as new', async () => {
      const { store, log, deps } = setup();
      const v1 = [rows[0]] as Record<string, unknown>[];
      const v2 = [{ ...rows[0], n: 20 }] as Record<string, unknown>[];
      await ingestBatch(version(v1), deps);
      await ingestBatch(version(v2), deps);
      expect((await ingestBatch(version(v2), deps)).status).toBe('duplicate');
      const back = await ingestBatch(version(v1), deps);
      expect(back.status === 'ingested' && back.manifest.replaces?.revision).toBe(3);
      expect((await visible({ store, log })).map((r) => r.n)).toEqual([1]);
    });
  });

  describe('limits', () => {
    it('refuses an input with more rows than the declared limit, once, and reads it again once the limit changes', async () => {
      const small = declare({ format: { type: 'ndjson' }, fields, ingestion: { limits: { maxRows: 2 } } });
      const { store, log, deps } = setup();
      const refused = await ingestBatch(request(lines(rows), { dataset: small }), deps);
      expect(refused).toMatchObject({ status: 'too_large' });
      expect(refused.status === 'too_large' && refused.problems[0]).toContain('more than 2 rows');
      expect(refused.status === 'too_large' && refused.problems[0]).toContain('ingestion.limits of events');
      expect(await visible({ store, log })).toEqual([]);
      expect((await ingestBatch(request(lines(rows), { dataset: small }), deps)).status).toBe('duplicate');
      const raised = declare({ format: { type: 'ndjson' }, fields, ingestion: { limits: { maxRows: 10 } } });
      expect((await ingestBatch(request(lines(rows), { dataset: raised }), deps)).status).toBe('ingested');
    });

    it('refuses an input too slow to read by the deadline when it had a whole run, and defers it otherwise', async () => {
      const { clock, deps } = setup();
      const slow = (wholeRun: boolean) =>
        request('', {
          deadline: NOW + 10_000,
          wholeRun,
          parts: [
            {
              origin: { source: 's', file: 'slow' },
              bytes: (async function* () {
                for (const row of rows.slice(0, 3)) {
                  clock.advance(4_000);
                  yield utf8(`${JSON.stringify(row)}\n`);
                }
              })(),
              uri: 'slow',
            },
          ],
        });
      expect((await ingestBatch(slow(false), deps)).status).toBe('deferred');
      clock.time = NOW;
      const refused = await ingestBatch(slow(true), deps);
      expect(refused.status).toBe('too_large');
    });
  });
});

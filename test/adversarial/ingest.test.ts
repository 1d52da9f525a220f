// Adversarial ingestion: hostile but fair inputs and faults against the production handler and the
// real adapters on the emulators. Whatever the key, the upload method, the row order, a crash at any
// call or a retry, every row is counted once or quarantined with its reason, and raw holds exactly
// the committed rows.
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';
import { type IngestDependencies, type IngestResult, ingestBatch } from '../../src/usecases/ingest-batch';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import { chunked, declare, utf8 } from '../support/datasets';
import { ManualClock } from '../support/ingest-fakes';
import {
  type Buckets,
  bucketsOf,
  commitLogOf,
  handlerOf,
  listKeys,
  manifestsReading,
  putObject,
  visibleRecords,
} from '../support/ingestion';

const DATASETS = path.resolve(import.meta.dirname, 'datasets');
const HEADER = 'event_id,at,amount';
const HOUR = 3_600_000;
const NOW = Date.now();
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();

let cloud: LocalCloud;
let buckets: Buckets;
let drop: LambdaHandler<DropZoneReport>;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  buckets = bucketsOf(cloud);
  drop = await handlerOf<DropZoneReport>(cloud, 'ingest-drop-zone', { DATASETS_DIR: DATASETS });
});

afterAll(async () => {
  await cloud?.stop();
});

function csv(rows: readonly (readonly [string, string, number])[]): string {
  return `${HEADER}\n${rows.map((row) => row.join(',')).join('\n')}\n`;
}

function reportOf(report: DropZoneReport, dataset: string) {
  const found = report.datasets.find((d) => d.dataset === dataset);
  if (!found) throw new Error(`no report for ${dataset}`);
  return found;
}

async function visible(dataset: string) {
  return visibleRecords<{ event_id: string; amount: number }>(cloud, dataset);
}

const sum = (records: readonly { amount: number }[]) => records.reduce((n, r) => n + r.amount, 0);

/** Uploads `body` as a multipart upload of 5 MiB parts, as `aws s3 cp` does above 8 MB. */
async function putMultipart(key: string, body: Uint8Array): Promise<void> {
  const { UploadId } = await cloud.clients.s3.send(
    new CreateMultipartUploadCommand({ Bucket: buckets.landing, Key: key }),
  );
  const parts: { ETag: string; PartNumber: number }[] = [];
  const size = 5 * 1024 * 1024;
  for (let offset = 0, n = 1; offset < body.byteLength; offset += size, n++) {
    const { ETag } = await cloud.clients.s3.send(
      new UploadPartCommand({
        Bucket: buckets.landing,
        Key: key,
        UploadId,
        PartNumber: n,
        Body: body.subarray(offset, offset + size),
      }),
    );
    parts.push({ ETag: ETag ?? '', PartNumber: n });
  }
  await cloud.clients.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: buckets.landing,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

describe('the same content, however it arrives', () => {
  it('is ingested once under three keys and two upload methods', async () => {
    const rows = Array.from({ length: 160_000 }, (_, i) => [`p${i}`, at((i % 240) / 10 + 1), (i % 7) + 1] as const);
    const body = utf8(csv(rows));
    expect(body.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    await putObject(cloud, buckets.landing, 'landing/plain/export.csv', body);
    await putObject(cloud, buckets.landing, 'landing/plain/copy/export (1).csv', body);
    await putMultipart('landing/plain/multipart/export.csv', body);
    const etags = new Set<string>();
    for (const key of ['landing/plain/export.csv', 'landing/plain/multipart/export.csv']) {
      const head = await cloud.clients.s3.send(new HeadObjectCommand({ Bucket: buckets.landing, Key: key }));
      etags.add(head.ETag ?? '');
    }
    expect(etags.size).toBe(2);
    const report = reportOf(await drop({ datasets: ['plain'] }), 'plain');
    expect(report).toMatchObject({ files: 3, ingested: 1, duplicates: 2, failed: 0 });
    const seen = await visible('plain');
    expect(seen).toHaveLength(rows.length);
    expect(sum(seen)).toBe(rows.reduce((n, r) => n + r[2], 0));
    // The next run reads none of them again.
    expect(reportOf(await drop({ datasets: ['plain'] }), 'plain')).toMatchObject({ ingested: 0, rowsRead: 0 });
  });

  it('counts a key once across overlapping exports and within one', async () => {
    const first = csv([
      ['k1', at(30), 1],
      ['k2', at(30), 2],
      ['k2', at(30), 20],
    ]);
    const second = csv([
      ['k2', at(30), 200],
      ['k3', at(29), 3],
    ]);
    await putObject(cloud, buckets.landing, 'landing/events/week-1.csv', first);
    await putObject(cloud, buckets.landing, 'landing/events/week-1-and-2.csv', second);
    const report = reportOf(await drop({ datasets: ['events'] }), 'events');
    expect(report).toMatchObject({ ingested: 2, rowsRead: 5, rowsValid: 3, rowsDuplicate: 2, rowsQuarantined: 0 });
    expect((await visible('events')).map((r) => r.event_id).sort()).toEqual(['k1', 'k2', 'k3']);
  });

  it('keeps one copy when two runs ingest overlapping files at the same time', async () => {
    const rows = (from: number) =>
      Array.from({ length: 2_000 }, (_, i) => [`c${from + i}`, at(((from + i) % 96) + 1), 1] as const);
    await putObject(cloud, buckets.landing, 'landing/events/race-a.csv', csv(rows(0)));
    await putObject(cloud, buckets.landing, 'landing/events/race-b.csv', csv(rows(1_000)));
    const [a, b] = await Promise.all([drop({ datasets: ['events'] }), drop({ datasets: ['events'] })]);
    const both = [reportOf(a, 'events'), reportOf(b, 'events')];
    const read = both.reduce((n, r) => n + r.rowsRead, 0);
    const valid = both.reduce((n, r) => n + r.rowsValid, 0);
    const duplicate = both.reduce((n, r) => n + r.rowsDuplicate, 0);
    expect(valid + duplicate).toBe(read);
    const ids = (await visible('events')).map((r) => r.event_id).filter((id) => id.startsWith('c'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(3_000);
  });
});

describe('corrected exports', () => {
  it('replace the export they correct, on every day either touches, and a re-drop changes nothing', async () => {
    await putObject(
      cloud,
      buckets.landing,
      'landing/corrections/export-2024-06-01.csv',
      csv([
        ['x1', at(50), 10],
        ['x2', at(26), 20],
      ]),
    );
    await drop({ datasets: ['corrections'] });
    expect(sum(await visible('corrections'))).toBe(30);
    const corrected = csv([
      ['x1', at(50), 11],
      ['x3', at(2), 30],
    ]);
    await putObject(cloud, buckets.landing, 'landing/corrections/export-2024-06-01 (corrected).csv', corrected);
    await drop({ datasets: ['corrections'] });
    expect((await visible('corrections')).map((r) => [r.event_id, r.amount]).sort()).toEqual([
      ['x1', 11],
      ['x3', 30],
    ]);
    await putObject(cloud, buckets.landing, 'landing/corrections/export-2024-06-01 (again).csv', corrected);
    expect(reportOf(await drop({ datasets: ['corrections'] }), 'corrections')).toMatchObject({ ingested: 0 });
    expect(sum(await visible('corrections'))).toBe(41);
  });
});

describe('rows in any order', () => {
  it('make one object per hour, and every row once', async () => {
    const hours = 24 * 14;
    const rows = Array.from({ length: 50_000 }, (_, i) => [`s${i}`, at(((i * 7919) % hours) + 0.5), 1] as const);
    const shuffled = [...rows].sort(
      (a, b) => ((Number(a[0].slice(1)) * 104_729) % 50_021) - ((Number(b[0].slice(1)) * 104_729) % 50_021),
    );
    await putObject(cloud, buckets.landing, 'landing/plain/shuffled.csv', csv(shuffled));
    const before = (await visible('plain')).length;
    const report = reportOf(await drop({ datasets: ['plain'] }), 'plain');
    expect(report).toMatchObject({ ingested: 1, rowsValid: rows.length });
    const [manifest] = await manifestsReading(cloud, 'plain', `s3://${buckets.landing}/landing/plain/shuffled.csv`);
    const raw = (manifest as BatchManifest).objects.filter((o) => o.kind === 'raw');
    expect(raw).toHaveLength(new Set(rows.map((r) => r[1].slice(0, 13))).size);
    expect((await visible('plain')).length - before).toBe(rows.length);
  });
});

describe('decompression bombs', () => {
  it('are refused once as too large, kept in quarantine, and never retried', async () => {
    const row = `b1,${at(3)},1\n`;
    const bomb = gzipSync(Buffer.from(`${HEADER}\n${row.repeat(Math.ceil(200_000_000 / row.length))}`), { level: 9 });
    expect(bomb.byteLength).toBeLessThan(2_000_000);
    await putObject(cloud, buckets.landing, 'landing/bombs/innocent.csv.gz', bomb);
    const first = reportOf(await drop({ datasets: ['bombs'] }), 'bombs');
    expect(first).toMatchObject({ tooLarge: 1, ingested: 0, failed: 0 });
    const [manifest] = await manifestsReading(cloud, 'bombs', `s3://${buckets.landing}/landing/bombs/innocent.csv.gz`);
    expect(manifest).toMatchObject({ outcome: 'too_large', problem: { code: 'too_large' } });
    expect(manifest?.problem?.reason).toContain('more than 20000000 bytes once decompressed');
    expect(manifest?.objects.some((o) => o.kind === 'quarantined_file')).toBe(true);
    expect(await visible('bombs')).toEqual([]);
    expect(reportOf(await drop({ datasets: ['bombs'] }), 'bombs')).toMatchObject({ tooLarge: 0, duplicates: 1 });
  });
});

describe('a crash at any call', () => {
  const stateTable = () => String(cloud.functions.get('ingest-drop-zone').environment.STATE_TABLE);
  const input = (hoursAgo: (i: number) => number) =>
    [
      HEADER,
      ...Array.from({ length: 12 }, (_, i) => `r${i},${at(hoursAgo(i))},${i}`),
      `r3,${at(hoursAgo(3))},999`,
      'bad,not-a-time,1',
      `r12,${at(1)},not-a-number`,
    ].join('\n');

  /** What watches the adapters' calls: each call's number (from 1) before it is made, and once it is answered. */
  interface Probe {
    before?(call: number): void;
    after?(call: number): void;
  }

  /** The real adapters, every call of which `probe` sees. */
  function adapters(clock: ManualClock, probe: Probe = {}, dayObjectChars?: number): IngestDependencies {
    let calls = 0;
    const wrap = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const call = ++calls;
            probe.before?.(call);
            const result = value.apply(object, args);
            // A staged object's own calls are watched too.
            if (property === 'stage' || property === 'stageLines' || property === 'stageMembers')
              return wrap(result as object);
            if (probe.after && result instanceof Promise) {
              return result.then((answer) => {
                probe.after?.(call);
                return answer;
              });
            }
            return result;
          };
        },
      });
    return {
      store: wrap(new S3IngestStore(cloud.clients.s3, { raw: buckets.raw, quarantine: buckets.quarantine })),
      ledger: wrap(new DynamoDbIngestLedger(cloud.clients.dynamodb, stateTable())),
      log: wrap(commitLogOf(cloud)),
      spill: new MemorySpillStore(),
      clock,
      codeVersion: 'test',
      ...(dayObjectChars === undefined ? {} : { dayObjectChars }),
    };
  }

  async function ingest(dataset: string, deps: IngestDependencies, text: string): Promise<IngestResult> {
    return ingestBatch(
      {
        dataset: declare({
          id: dataset,
          format: { type: 'csv' },
          key: ['event_id'],
          fields: {
            event_id: { type: 'string', required: true },
            at: { type: 'timestamp', required: true },
            amount: { type: 'integer', required: true },
          },
        }),
        connector: 'drop_zone',
        source: 's3://test/file.csv',
        parts: [{ origin: { source: 's3://test', file: 'file.csv' }, bytes: chunked(utf8(text), 64), uri: 'file.csv' }],
        mode: 'partial',
        lateAfterMinutes: 60,
      },
      deps,
    );
  }

  /**
   * Kills the run at call `crashAt`: before it is made, or once the service has applied it and
   * before its answer is read (a timeout after a write). That call and every later one fail.
   */
  function killedAt(crashAt: number, when: 'before' | 'after'): Probe {
    let dead = false;
    const killed = () => new Error(`killed ${when} call ${crashAt}`);
    return {
      before: (call) => {
        if (dead || (when === 'before' && call >= crashAt)) {
          dead = true;
          throw killed();
        }
      },
      after: (call) => {
        if (when === 'after' && call >= crashAt) {
          dead = true;
          throw killed();
        }
      },
    };
  }

  // Under both raw layouts: small days as objects of hour members, and (a size limit of 0) one object per hour.
  it.each([
    ['before', 'day objects', undefined],
    ['after', 'day objects', undefined],
    ['before', 'hour objects', 0],
    ['after', 'hour objects', 0],
  ] as const)(
    'leaves every row counted once or quarantined once the batch is run again (killed %s a call, %s)',
    async (when, layout, dayObjectChars) => {
      // Three days, two hours on each (r5 on the hour of the earlier batch's r5).
      const text = input((i) => (i % 3) * 24 + 2 + Math.floor(i / 6));
      // An earlier batch already holds r5 on its day.
      const earlier = `${HEADER}\nr5,${at(2 * 24 + 2)},5\n`;
      const counting = new ManualClock(NOW);
      const tag = `${when}_${dayObjectChars === undefined ? 'days' : 'hours'}`;
      let calls = 0;
      await ingest(`crash_probe_${tag}`, adapters(counting, { before: () => void calls++ }, dayObjectChars), earlier);
      calls = 0;
      await ingest(`crash_probe_${tag}`, adapters(counting, { before: () => void calls++ }, dayObjectChars), text);
      expect(calls).toBeGreaterThan(20);
      console.info(`ingest batch (${layout}): killed ${when} each of its ${calls} calls, then run again`);

      for (let crashAt = 1; crashAt <= calls; crashAt++) {
        const dataset = `crash_${tag}_${crashAt}`;
        const clock = new ManualClock(NOW);
        await ingest(dataset, adapters(clock, {}, dayObjectChars), earlier);
        // Killed: this call and every one after it fail, the clean-up included.
        const dying = adapters(clock, killedAt(crashAt, when), dayObjectChars);
        await ingest(dataset, dying, text).catch(() => undefined);
        clock.advance(17 * 60_000);
        const rerun = await ingest(dataset, adapters(clock, {}, dayObjectChars), text);
        const ids = (await visible(dataset)).map((r) => r.event_id).sort();
        expect(ids, `crash ${when} call ${crashAt}`).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`).sort());
        if (rerun.status === 'ingested') {
          const { counts } = rerun.manifest;
          expect(counts.read, `crash ${when} call ${crashAt}`).toBe(
            counts.valid + counts.quarantined + counts.duplicate,
          );
          expect(counts, `crash ${when} call ${crashAt}`).toMatchObject({
            read: 15,
            valid: 11,
            quarantined: 2,
            duplicate: 2,
          });
        } else {
          // The killed run had finished all but its last steps; the batch is done.
          expect(rerun.status, `crash ${when} call ${crashAt}`).toBe('duplicate');
        }
        expect((await ingest(dataset, adapters(clock, {}, dayObjectChars), text)).status).toBe('duplicate');
      }
      const keys = await listKeys(cloud, buckets.raw, `raw/dataset=crash_${tag}_1/`);
      expect(keys).not.toEqual([]);
      // The layout asked for is the one written.
      expect(
        keys.every((key) => (dayObjectChars === undefined ? key.endsWith('-day.ndjson.gz') : key.includes('/hour='))),
      ).toBe(true);
    },
  );
});

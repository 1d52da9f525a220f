// Real data through the dataset reader and the ingestion stage: two UCI exports whose quirks a
// source mapping has to absorb. Bank Marketing (bank-additional.csv): semicolons, every text
// quoted, CRLF, dotted column names, no dates at all. Online Shoppers: TRUE/FALSE booleans and
// month names where June alone is spelled out, -1 for a duration not measured. Each figure is checked against a count made from
// the raw text with a plain split (these files have no quoted delimiters).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type LoadedDataset, loadDatasetFile, readDatasetFiles } from '../../src/adapters/local/dataset-files';
import { compileDataset, validateDatasetDeclaration } from '../../src/domain/dataset';
import type { BatchManifest } from '../../src/domain/ingest/manifest';
import type { TypedRecord } from '../../src/domain/records';
import { LocalCloud } from '../../src/local/local-cloud';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import { bucketsOf, handlerOf, listKeys, putObject, readJson, readJsonLines } from '../support/ingestion';
import { datasetsDir } from './datasets-dir';

const fixtures = path.resolve(import.meta.dirname, 'fixtures', 'uci');
const bankFile = path.join(datasetsDir(), 'uci-bank-marketing', 'bank-additional.csv');
const shoppersFile = path.join(datasetsDir(), 'uci-online-shoppers-intention', 'online_shoppers_intention.csv');

/** Data lines of a file (header dropped), split on `delimiter`, quotes stripped. */
function plainRows(file: string, delimiter: string): string[][] {
  const [, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => line.split(delimiter).map((cell) => cell.replace(/^"|"$/g, '')));
}

async function readAll(loaded: LoadedDataset, file: string) {
  const read = readDatasetFiles(loaded, [file]);
  const records: TypedRecord[] = [];
  for await (const batch of read) records.push(...batch.records);
  return { records, summary: read.summaries()[0] };
}

describe('UCI Bank Marketing through the reader', () => {
  it('reads every call of bank-additional.csv, and finds the subscriptions a plain split finds', async () => {
    const reference = plainRows(bankFile, ';');
    const { records, summary } = await readAll(await loadDatasetFile(path.join(fixtures, 'bank_calls.yaml')), bankFile);
    expect(summary?.counts).toEqual({ read: 4119, valid: 4119, quarantined: 0, quarantinedByReason: {} });
    expect(records.filter((r) => r.subscribed).length).toBe(reference.filter((row) => row.at(-1) === 'yes').length);
    expect(records.filter((r) => r.subscribed).length).toBe(451);
  });

  it('reads the dotted columns and negative decimals the file has', async () => {
    const reference = plainRows(bankFile, ';');
    const { records } = await readAll(await loadDatasetFile(path.join(fixtures, 'bank_calls.yaml')), bankFile);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(records.map((r) => r.emp_var_rate as number))).toBeCloseTo(
      sum(reference.map((row) => Number(row[15]))),
      6,
    );
    expect(records.every((r) => r.observed_at === Date.parse('2010-11-30'))).toBe(true);
  });
});

describe('UCI Online Shoppers through the reader', () => {
  it('reads 12,330 sessions, of which as many bought as a plain split counts', async () => {
    const reference = plainRows(shoppersFile, ',');
    const { records, summary } = await readAll(
      await loadDatasetFile(path.join(fixtures, 'shopper_sessions.yaml')),
      shoppersFile,
    );
    expect(summary?.counts.valid).toBe(12_330);
    expect(records.filter((r) => r.revenue).length).toBe(reference.filter((row) => row.at(-1) === 'TRUE').length);
    expect(records.filter((r) => r.revenue).length).toBe(1908);
  });

  /** The fixture declaration with one field changed. */
  async function variant(field: string, change: Record<string, unknown>): Promise<LoadedDataset> {
    const yaml = parseYaml(readFileSync(path.join(fixtures, 'shopper_sessions.yaml'), 'utf8'));
    yaml.fields[field] = { ...yaml.fields[field], ...change };
    const declaration = validateDatasetDeclaration(yaml, 'variant.yaml');
    return { declaration, dataset: compileDataset(declaration), path: path.join(fixtures, 'variant.yaml') };
  }

  it('reads a duration of -1, and an empty one, as not measured rather than as a time', async () => {
    const { records } = await readAll(
      await loadDatasetFile(path.join(fixtures, 'shopper_sessions.yaml')),
      shoppersFile,
    );
    const durations = plainRows(shoppersFile, ',').map((row) => row[5]);
    expect(durations.filter((d) => d === '-1').length).toBe(33);
    expect(durations.filter((d) => d === '').length).toBe(14);
    expect(records.filter((r) => r.product_related_duration === null).length).toBe(33 + 14);
  });

  it('quarantines exactly those 33 sessions when -1 is not declared as no value', async () => {
    const { summary } = await readAll(await variant('product_related_duration', { nullValues: [''] }), shoppersFile);
    expect(summary?.counts).toMatchObject({ quarantined: 33, quarantinedByReason: { out_of_range: 33 } });
  });

  it('quarantines exactly the June sessions when the enum spells every month in three letters', async () => {
    const loaded = await variant('month', {
      enum: ['Feb', 'Mar', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
    });
    const { summary } = await readAll(loaded, shoppersFile);
    const june = plainRows(shoppersFile, ',').filter((row) => row[10] === 'June').length;
    expect(june).toBe(288);
    expect(summary?.counts).toEqual({
      read: 12_330,
      valid: 12_330 - june,
      quarantined: june,
      quarantinedByReason: { not_in_enum: june },
    });
  });
});

describe('UCI Online Shoppers through the S3 drop zone', () => {
  let cloud: LocalCloud;
  let manifest: BatchManifest;
  let report: DropZoneReport;

  beforeAll(async () => {
    cloud = await LocalCloud.start();
    const buckets = bucketsOf(cloud);
    await putObject(
      cloud,
      buckets.landing,
      'landing/shopper_sessions/export.csv.gz',
      gzipSync(readFileSync(shoppersFile)),
    );
    const run = await handlerOf<DropZoneReport>(cloud, 'ingest-drop-zone', { DATASETS_DIR: fixtures });
    report = await run({ datasets: ['shopper_sessions'] });
    const [key] = await listKeys(cloud, buckets.raw, 'raw/_manifests/dataset=shopper_sessions/');
    manifest = await readJson<BatchManifest>(cloud, buckets.raw, key ?? '');
  }, 180_000);

  afterAll(async () => {
    await cloud?.stop();
  });

  it('ingests the gzip file whole: every session in raw, in the hour of its date', async () => {
    expect(report.datasets[0]).toMatchObject({ ingested: 1, rowsRead: 12_330, rowsValid: 12_330 });
    const raw = manifest.objects.filter((o) => o.kind === 'raw');
    // A small day: one object for the day, whose one gzip member is the hour 00.
    expect(raw.map((o) => [o.key, o.offset, o.hour])).toEqual([
      [
        expect.stringMatching(/^raw\/dataset=shopper_sessions\/date=2019-01-01\/[0-9a-f]{32}-day\.ndjson\.gz$/),
        0,
        Date.UTC(2019, 0, 1),
      ],
    ]);
    const records = await readJsonLines<TypedRecord>(cloud, raw[0]?.bucket ?? '', raw[0]?.key ?? '');
    expect(records).toHaveLength(12_330);
    expect(records.filter((r) => r.revenue).length).toBe(1908);
  });

  it('marks the old partition for recomputation, as data arriving years late', () => {
    expect(manifest.latePartitions).toEqual([{ date: '2019-01-01', hour: '00', records: 12_330 }]);
  });
});

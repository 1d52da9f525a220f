import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { snapshotManifestKey, snapshotObjectKey } from '../../src/contracts/snapshot-layout';
import { sha256Hex } from '../../src/domain/versioning/sha256';
import { LocalCloud } from '../../src/local/local-cloud';
import { computedAt, sampleValue, withLateBatch } from '../support/kpi-values';
import { queryParquetWithDuckDb } from '../support/parquet';

let cloud: LocalCloud;
let values: DynamoDbKpiValueStore;
let bucket: string;
const DATE = '2024-03-04';

beforeAll(async () => {
  cloud = await LocalCloud.start();
  values = new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') });
  bucket = cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket');
  const hour = (h: number) => `${DATE}T${String(h).padStart(2, '0')}:00:00.000Z`;
  await values.write([
    sampleValue(),
    sampleValue({ dimensions: {}, value: 0.029, sampleSize: 40_000 }),
    sampleValue({ dimensions: { campaign: null }, value: null, status: 'not_computable', reason: 'no impressions' }),
    sampleValue({ kpiId: 'retry_rate', grain: 'hour', periodStart: hour(5), periodEnd: hour(6), provisional: true }),
    sampleValue({ kpiId: 'retry_rate', grain: 'hour', periodStart: hour(6), periodEnd: hour(7), confidence: null }),
    sampleValue({ kpiId: 'other_day', periodStart: '2024-03-05T00:00:00.000Z' }),
  ]);
});

afterAll(async () => {
  await cloud?.stop();
});

const exportDates = (dates: string[]) =>
  cloud.functions.invoke('export-snapshots', { dates }) as Promise<{
    exports: { date: string; outcome: string; rows: number }[];
  }>;

async function object(key: string): Promise<Uint8Array> {
  const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToByteArray()) as Uint8Array;
}

describe('Parquet snapshots', () => {
  it('exports a date through the export function and reports a date without values as empty', async () => {
    const { exports } = await exportDates([DATE, '2024-03-10']);
    expect(exports).toEqual([
      { date: DATE, outcome: 'written', rows: 5, key: snapshotObjectKey(DATE) },
      { date: '2024-03-10', outcome: 'empty', rows: 0, key: null },
    ]);
  });

  it('holds, as DuckDB reads it, exactly the values DynamoDB holds for that date', async () => {
    const rows = await queryParquetWithDuckDb(
      await object(snapshotObjectKey(DATE)),
      `SELECT kpi_id, grain, strftime(period_start, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS period_start,
              strftime(period_end, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS period_end, dimensions, value, status, reason,
              CAST(sample_size AS DOUBLE) AS sample_size, provisional, confidence, definition_version, definition_hash,
              code_version, strftime(computed_at, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS computed_at, lineage, revision
       FROM snapshot ORDER BY kpi_id, period_start, dimension_key`,
    );
    const stored = (await values.forDate(DATE)).map((v) => ({
      kpi_id: v.kpiId,
      grain: v.grain,
      period_start: v.periodStart,
      period_end: v.periodEnd,
      dimensions: v.dimensions,
      value: v.value,
      status: v.status,
      reason: v.reason,
      sample_size: v.sampleSize,
      provisional: v.provisional,
      confidence: v.confidence,
      definition_version: v.lineage.definition.version,
      definition_hash: v.lineage.definition.hash,
      code_version: v.lineage.codeVersion,
      computed_at: v.lineage.computedAt,
      lineage: v.lineage,
      revision: v.revision,
    }));
    const read = rows.map((r) => ({
      ...r,
      dimensions: JSON.parse(String(r.dimensions)),
      lineage: JSON.parse(String(r.lineage)),
    }));
    const order = (r: { kpi_id: string; period_start: string; dimensions: unknown }) =>
      `${r.kpi_id}|${r.period_start}|${JSON.stringify(r.dimensions)}`;
    expect(read.sort((a, b) => order(a as never).localeCompare(order(b as never)))).toEqual(
      stored.sort((a, b) => order(a).localeCompare(order(b))),
    );
  });

  it('writes a manifest that describes the object, its rows and the definition versions behind them', async () => {
    const parquet = await object(snapshotObjectKey(DATE));
    const manifest = JSON.parse(Buffer.from(await object(snapshotManifestKey(DATE))).toString('utf8'));
    expect(manifest).toMatchObject({
      date: DATE,
      rowCount: 5,
      object: { key: snapshotObjectKey(DATE), bytes: parquet.byteLength, sha256: sha256Hex(parquet) },
      kpis: {
        ctr: { rows: 3, definitions: [{ version: 3, hash: 'sha256:abc' }] },
        retry_rate: { rows: 2, provisionalRows: 1 },
      },
      codeVersions: ['0.1.0+abc1234'],
    });
  });

  it('rewrites nothing when the values of a date did not change', async () => {
    const head = () => cloud.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: snapshotManifestKey(DATE) }));
    const before = await head();
    const { exports } = await exportDates([DATE]);
    expect(exports[0]?.outcome).toBe('unchanged');
    expect((await head()).ETag).toBe(before.ETag);
  });

  it('writes the date again, with the restatement in its manifest, when a final value changes', async () => {
    const late = { ...computedAt(withLateBatch(sampleValue()), '2024-03-06T02:00:00.000Z'), value: 0.025 };
    await values.write([late]);
    const { exports } = await exportDates([DATE]);
    expect(exports[0]?.outcome).toBe('written');
    const manifest = JSON.parse(Buffer.from(await object(snapshotManifestKey(DATE))).toString('utf8'));
    expect(manifest.restatements).toEqual([
      expect.objectContaining({ kpiId: 'ctr', previousValue: 0.031, value: 0.025, cause: 'input_change' }),
    ]);
    const [row] = await queryParquetWithDuckDb(
      await object(snapshotObjectKey(DATE)),
      `SELECT value, revision, restatements FROM snapshot WHERE kpi_id = 'ctr' AND dimension_key = 'campaign=spring'`,
    );
    expect(row).toEqual({ value: 0.025, revision: 2, restatements: 1 });
  });

  it('exports the scheduled day, the days before it and the dates of the open longer periods when its schedule fires', async () => {
    const [schedule] = cloud.schedules.targeting('export-snapshots');
    expect(schedule?.expression).toBe('cron(30 1 * * ? *)');
    const result = (await cloud.schedules.run(
      schedule as NonNullable<typeof schedule>,
      new Date('2024-03-06T01:30:00Z'),
    )) as { exports: { date: string; outcome: string }[] };
    expect(result.exports.map((e) => [e.date, e.outcome])).toEqual([
      ['2024-03-03', 'empty'],
      ['2024-03-04', 'unchanged'],
      ['2024-03-05', 'written'],
      ['2024-03-06', 'empty'],
      // The dates values of the open year (and quarter), month and all_time are filed under.
      ['1970-01-01', 'empty'],
      ['2024-01-01', 'empty'],
      ['2024-03-01', 'empty'],
    ]);
  });
});

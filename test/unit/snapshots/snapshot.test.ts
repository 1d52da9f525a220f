import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../src/adapters/parquet/kpi-values-parquet';
import { snapshotManifest, snapshotRows } from '../../../src/domain/snapshots/snapshot';
import type { StoredKpiValue } from '../../../src/domain/values/restatement';
import { exportDates } from '../../../src/usecases/export-snapshot';
import { sampleValue } from '../../support/kpi-values';
import { readParquet } from '../../support/parquet';

const stored = (overrides: Partial<StoredKpiValue> = {}): StoredKpiValue => ({
  ...sampleValue(overrides),
  revision: 1,
  fingerprint: 'f',
  restatements: [],
  ...overrides,
});

describe('snapshotRows', () => {
  it('orders rows by KPI, grain, period and dimensions whatever order the values came in', () => {
    const values = [
      stored({ kpiId: 'b' }),
      stored({ kpiId: 'a', dimensions: { campaign: 'z' } }),
      stored({ kpiId: 'a', dimensions: {} }),
    ];
    expect(snapshotRows(values).map((r) => [r.kpi_id, r.dimension_key])).toEqual([
      ['a', '*'],
      ['a', 'campaign=z'],
      ['b', 'campaign=spring'],
    ]);
  });

  it('flattens lineage into columns Athena can filter on, and keeps the whole of it as JSON', () => {
    const [row] = snapshotRows([stored()]);
    expect(row).toMatchObject({ definition_version: 3, definition_hash: 'sha256:abc', input_partitions: 2 });
    expect(JSON.parse(row?.lineage as string).inputs).toHaveLength(1);
  });
});

describe('encodeSnapshot', () => {
  it('gives the same bytes for the same rows', () => {
    const rows = snapshotRows([stored(), stored({ kpiId: 'x', value: null, status: 'not_computable' })]);
    expect(
      Buffer.from(encodeSnapshot(rows, '2024-03-04')).equals(Buffer.from(encodeSnapshot(rows, '2024-03-04'))),
    ).toBe(true);
  });

  it('writes nulls, timestamps and 64-bit sample sizes that a Parquet reader reads back', async () => {
    const rows = snapshotRows([stored({ value: null, sampleSize: 3_000_000_000, confidence: null })]);
    const [read] = await readParquet(encodeSnapshot(rows, '2024-03-04'));
    expect(read).toMatchObject({
      value: null,
      confidence: null,
      sample_size: 3_000_000_000n,
      period_start: new Date('2024-03-04T00:00:00.000Z'),
    });
  });
});

describe('snapshot of an at-risk value', () => {
  it('carries its status, its probability of red and its forecast as JSON text', async () => {
    const forecast = {
      model: 'mstl(7)+auto_ets',
      seasonLength: 7,
      trainedOn: 56,
      calibration: { origins: 4, factor80: 1.2, factor95: 1.1 },
      steps: [
        {
          periodStart: '2024-03-05T00:00:00.000Z',
          point: 0.02,
          lower80: 0.015,
          upper80: 0.025,
          lower95: 0.01,
          upper95: 0.03,
        },
      ],
      horizonEnd: '2024-03-06T00:00:00.000Z',
      probabilityRed: 0.7,
      atRiskProbability: 0.5,
      baseStatus: 'yellow' as const,
    };
    const rows = snapshotRows([stored({ status: 'at_risk', forecast }), stored({ kpiId: 'other' })]);
    const read = await readParquet(encodeSnapshot(rows, '2024-03-04'));
    expect(read[0]).toMatchObject({ status: 'at_risk', red_probability: 0.7 });
    expect(JSON.parse(String(read[0]?.forecast))).toEqual(forecast);
    expect(read[1]).toMatchObject({ red_probability: null, forecast: null });
  });
});

describe('snapshotManifest', () => {
  it('names the definition versions, row counts, inputs and restatements of the date', () => {
    const restated = stored({
      kpiId: 'ctr',
      revision: 2,
      restatements: [
        {
          kpiId: 'ctr',
          grain: 'day',
          periodStart: '2024-03-04T00:00:00.000Z',
          dimensions: { campaign: 'spring' },
          revision: 2,
          cause: 'input_change',
          previous: { value: 0.03, status: 'green', definitionVersion: 3, computedAt: '2024-03-05T00:20:00.000Z' },
          current: { value: 0.031, status: 'green', definitionVersion: 3, computedAt: '2024-03-06T00:20:00.000Z' },
          restatedAt: '2024-03-06T00:20:00.000Z',
        },
      ],
    });
    const manifest = snapshotManifest(
      '2024-03-04',
      [restated, stored({ kpiId: 'ctr', dimensions: {}, provisional: true })],
      { key: 'k', bytes: 1, sha256: 's' },
      '2024-03-06T01:30:00.000Z',
    );
    expect(manifest).toMatchObject({
      rowCount: 2,
      kpis: { ctr: { rows: 2, provisionalRows: 1, definitions: [{ version: 3, hash: 'sha256:abc' }] } },
      inputs: { ad_events: { partitions: 2, objects: 3 } },
      restatements: [{ kpiId: 'ctr', previousValue: 0.03, value: 0.031, cause: 'input_change' }],
    });
  });
});

describe('exportDates', () => {
  it('covers the scheduled day and the lookback days before it, then the dates of the open longer periods', () => {
    // 2024-03-06 is a Wednesday: its week's Monday is among the lookback days.
    expect(exportDates(Date.parse('2024-03-06T01:30:00Z'), 2)).toEqual([
      '2024-03-04',
      '2024-03-05',
      '2024-03-06',
      '1970-01-01',
      '2024-01-01',
      '2024-03-01',
    ]);
  });
});

// Property: NDJSON records delivered as columns (the fast path's column batches, the key filter
// and the engine reading them) give exactly what the row path gives: the same records batch by
// batch, the same quarantined rows with their reasons, the same counts and warnings, the same
// duplicates dropped, the same KPI values.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '../../../src/adapters/local/dataset-files';
import { fileRecordSource } from '../../../src/adapters/local/dataset-record-source';
import { columnarReading } from '../../../src/domain/dataset/columnar';
import { readDataset } from '../../../src/domain/dataset/reader';
import type { KpiDefinitionInput } from '../../../src/domain/definition/schema';
import { compileKpi } from '../../../src/domain/engine/kpi';
import type { QuarantinedRow, TypedRecord } from '../../../src/domain/records';
import { computeKpiValues } from '../../../src/usecases/compute-kpi-values';
import { chunked, declare } from '../../support/datasets';
import { definition } from '../../support/definitions';

const dataset = declare({
  format: { type: 'ndjson' },
  fields: {
    at: { type: 'timestamp', required: true, min: '2020-01-01T00:00:00Z' },
    campaign: { type: 'string', required: true },
    channel: { type: 'string', enum: ['search', 'social', 'vidéo'] },
    variant: { type: 'string', required: true, enum: ['agent', 'control'] },
    qty: { type: 'integer', min: 0 },
    amount: { type: 'number' },
    latency: { type: 'number', min: 0 },
    ok: { type: 'boolean' },
    note: { type: 'string', nullValues: [] },
  },
  key: ['at', 'campaign', 'variant'],
});
const FIELDS = ['at', 'campaign', 'channel', 'variant', 'qty', 'amount', 'latency', 'ok', 'note'];
const NOW = Date.parse('2026-07-01T00:00:00Z');

const time = fc.constantFrom(
  '2026-06-03T10:00:00.000Z',
  '2026-06-01T23:59:59.999Z',
  '2026-06-02T00:00:00Z',
  '2026-06-01T08:30:00+02:00',
  '2026-06-02T12:00:00.5Z',
  '2026-06-01 10:20',
  '2026-06-02',
  '2019-12-31T23:59:59Z',
  '2027-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  'yesterday',
  '',
);
const text = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('c-1', 'c-2', 'c-3', 'search', 'social', 'vidéo', 'agent', 'control') },
  fc.constantFrom('', ' ', ' c-1', 'c-1 ', 'Search', 'a"b', 'back\\slash', 'tab\there', 'émoji 😀', 'line\nbreak'),
  fc.string({ maxLength: 6 }),
);
const number = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 500 }) },
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.1, 1.67, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-7),
);
const anyValue = fc.oneof(text, number, fc.boolean(), fc.constant(null));
/** A value of each field, mostly of its own kind; undefined leaves the key out. */
const fieldValue: Record<string, fc.Arbitrary<unknown>> = {
  at: fc.oneof({ weight: 8, arbitrary: time }, anyValue),
  campaign: fc.oneof({ weight: 6, arbitrary: text }, anyValue),
  channel: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('search', 'social', 'vidéo') }, anyValue),
  variant: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('agent', 'control') }, anyValue),
  qty: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 50 }) }, anyValue),
  amount: fc.oneof({ weight: 6, arbitrary: number }, anyValue),
  latency: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => n / 10) }, anyValue),
  ok: fc.oneof({ weight: 6, arbitrary: fc.boolean() }, anyValue),
  note: fc.oneof({ weight: 2, arbitrary: text }, anyValue),
};
const record = fc.record(
  Object.fromEntries(
    FIELDS.map((f) => [f, fc.option(fieldValue[f] as fc.Arbitrary<unknown>, { freq: 10, nil: undefined })]),
  ),
);

/** How a line is written: its key order, spacing, numbers in exponent form, escapes. */
const lineOf = fc.record({
  record,
  order: fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    fc.shuffledSubarray(FIELDS, { minLength: FIELDS.length }),
  ),
  spaced: fc.boolean(),
  exponent: fc.boolean(),
  minusZero: fc.boolean(),
  escaped: fc.boolean(),
});
const line = fc.oneof(
  { weight: 12, arbitrary: lineOf.map(writeLine) },
  fc.constantFrom(
    '{',
    '[1,2]',
    'null',
    '"text"',
    '',
    '   ',
    '{"at":"2026-06-01T00:00:00Z","nested":{"a":1}}',
    '{"at":1,}',
  ),
);

function writeLine({
  record: values,
  order,
  spaced,
  exponent,
  minusZero,
  escaped,
}: {
  record: Record<string, unknown>;
  order: string[] | null;
  spaced: boolean;
  exponent: boolean;
  minusZero: boolean;
  escaped: boolean;
}): string {
  const object = Object.fromEntries(
    (order ?? FIELDS).flatMap((f) => (values[f] === undefined ? [] : [[f, values[f]]])),
  );
  let written = spaced ? JSON.stringify(object, null, 1).replaceAll('\n', ' ') : JSON.stringify(object);
  // 1.5 as 15e-1, 20 as 2E1: numbers JSON.stringify never writes.
  if (exponent) written = written.replace(/:(\d)(\d*)([,}])/g, (_, a, b, end) => `:${a}.${b}0E${b.length}${end}`);
  // -0, which JSON.stringify writes as 0.
  if (minusZero) written = written.replace(/:(\s*)0([,}\s])/g, ':$1-0$2');
  // A letter as a \u escape: the same text, but off the fast path.
  if (escaped) written = written.replace('"c-', '"\\u0063-');
  return written;
}

/** A file: lines (some repeated, for duplicate keys) joined by LF or CRLF. */
const file = fc
  .record({
    lines: fc.array(line, { minLength: 1, maxLength: 40 }),
    repeats: fc.array(fc.nat(), { maxLength: 8 }),
    crlf: fc.boolean(),
    finalBreak: fc.boolean(),
  })
  .map(({ lines, repeats, crlf, finalBreak }) => {
    const all = [...lines];
    for (const r of repeats) all.splice(r % (all.length + 1), 0, lines[r % lines.length] as string);
    const separator = crlf ? '\r\n' : '\n';
    return all.join(separator) + (finalBreak ? separator : '');
  });

/** Same keys in the same order, values the same by Object.is (so 0 and -0 differ). */
function expectSameRecords(actual: readonly TypedRecord[], expected: readonly TypedRecord[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as TypedRecord;
    const e = expected[i] as TypedRecord;
    expect(Object.keys(a)).toEqual(Object.keys(e));
    for (const key of Object.keys(e))
      expect(Object.is(a[key], e[key]), `record ${i}, ${key}: ${a[key]} vs ${e[key]}`).toBe(true);
  }
}

async function readBoth(text: string, chunk: number, batchRows: number) {
  const bytes = new TextEncoder().encode(text);
  const results = [];
  for (const columns of [true, false]) {
    const read = readDataset(
      dataset,
      chunked(bytes, chunk),
      { source: 'test://s', file: 'f' },
      { now: NOW, batchRows, ...(columns ? { columns: columnarReading } : {}) },
    );
    const batches: { records: TypedRecord[]; quarantined: QuarantinedRow[]; columnar: boolean }[] = [];
    for await (const batch of read)
      batches.push({ records: batch.records, quarantined: batch.quarantined, columnar: batch.columns !== undefined });
    results.push({ batches, summary: read.summary() });
  }
  return results as [(typeof results)[number], (typeof results)[number]];
}

describe('NDJSON records as columns', () => {
  it('reads every file into the records, quarantine, counts and warnings of the row path, batch by batch', async () => {
    let columnar = 0;
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 9 }),
        async (text, chunk, batchRows) => {
          // An empty file (one empty line) is unreadable on both paths alike (read-limits tests it).
          fc.pre(text.length > 0);
          const [columns, rows] = await readBoth(text, chunk, batchRows);
          expect(columns.batches.length).toBe(rows.batches.length);
          for (let b = 0; b < rows.batches.length; b++) {
            const c = columns.batches[b] as (typeof columns.batches)[number];
            const r = rows.batches[b] as (typeof rows.batches)[number];
            expect(r.columnar).toBe(false);
            if (c.columnar) columnar += 1;
            expectSameRecords(c.records, r.records);
            expect(c.quarantined).toEqual(r.quarantined);
          }
          expect(columns.summary).toEqual(rows.summary);
        },
      ),
      { numRuns: 300 },
    );
    // The property is about the column path: many batches took it (about a third; the others got a
    // line off the fast path, and with it the row path for the rest of the batch).
    expect(columnar).toBeGreaterThan(30);
  });

  describe('through the key filter and the engine', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'columnar-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const loaded: LoadedDataset = { declaration: dataset.declaration, dataset, path: path.join(dir, 'events.yaml') };
    const events = [{ id: 'events', timeField: 'at' }];
    const kpi = (id: string, rest: Pick<KpiDefinitionInput, 'calculation'> & Partial<KpiDefinitionInput>) =>
      compileKpi(definition({ id, datasets: events, ...rest }));
    const kpis = [
      kpi('spend', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'sum', field: 'amount' },
        dimensions: ['campaign'],
      }),
      kpi('p95', {
        calculation: {
          type: 'aggregate',
          dataset: 'events',
          aggregate: 'percentile',
          percentile: 95,
          field: 'latency',
        },
        dimensions: ['campaign'],
      }),
      kpi('rows', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count' },
        dimensions: ['channel'],
        grain: 'hour',
      }),
      kpi('avg_qty', { calculation: { type: 'aggregate', dataset: 'events', aggregate: 'avg', field: 'qty' } }),
      kpi('max_amount', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'max', field: 'amount' },
        dimensions: ['variant'],
      }),
      kpi('min_note', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'min', field: 'note' },
        dimensions: ['note'],
      }),
      kpi('distinct', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'count_distinct', field: 'campaign' },
      }),
      kpi('share', {
        calculation: {
          type: 'ratio',
          numerator: { dataset: 'events', aggregate: 'sum', field: 'qty', filter: { field: 'ok', eq: true } },
          denominator: { dataset: 'events', aggregate: 'sum', field: 'qty' },
        },
        dimensions: ['campaign', 'variant'],
      }),
      kpi('by_qty', {
        calculation: { type: 'aggregate', dataset: 'events', aggregate: 'sum', field: 'latency' },
        dimensions: ['qty'],
      }),
    ];

    async function compute(file: string, columns: boolean, batchRows: number) {
      const source = fileRecordSource(new Map([['events', loaded]]), new Map([['events', [file]]]), NOW, {
        columns,
        batchRows,
      });
      const quarantined: QuarantinedRow[] = [];
      const result = await computeKpiValues({ kpis, source, asOf: NOW, onQuarantined: (row) => quarantined.push(row) });
      return { values: JSON.stringify(result.results.map((r) => r.computation)), reads: result.reads, quarantined };
    }

    it('drops the same duplicates and computes the same values as the row path', async () => {
      let run = 0;
      let withDuplicates = 0;
      await fc.assert(
        fc.asyncProperty(file, fc.integer({ min: 1, max: 9 }), async (text, batchRows) => {
          const at = path.join(dir, `events-${run++}.ndjson`);
          writeFileSync(at, text);
          // A file that cannot be read (one empty line is an empty file) fails both paths alike.
          const settle = (columns: boolean) =>
            compute(at, columns, batchRows).catch((error: Error) => ({ error: error.message }));
          const columns = await settle(true);
          const rows = await settle(false);
          expect(columns).toEqual(rows);
          if ('reads' in rows && (rows.reads[0]?.duplicates ?? 0) > 0) withDuplicates += 1;
        }),
        { numRuns: 150 },
      );
      expect(withDuplicates).toBeGreaterThan(10);
    });
  });
});

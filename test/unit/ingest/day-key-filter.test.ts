import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnBatch, ColumnKind, NULL_CODE } from '../../../src/domain/dataset/columns';
import { keyTextOf } from '../../../src/domain/ingest/key-set';
import { DayKeyFilter, KeyEncoder } from '../../../src/domain/ingest/key-table';
import type { TypedRecord } from '../../../src/domain/records';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => i * 29 + 5);
const DAY = 86_400_000;
const LAYOUT = {
  fields: ['t', 'a', 'b', 'c'],
  kinds: [ColumnKind.Number, ColumnKind.Text, ColumnKind.Number, ColumnKind.Boolean],
  eventTime: 0,
};

// Event times on three days, at their edges, with fractions of a millisecond and far from 1970.
const DAY0 = 20_000 * DAY;
const time = fc.constantFrom(
  DAY0,
  DAY0 + 1,
  DAY0 + 0.5,
  DAY0 + DAY - 1,
  DAY0 + DAY,
  DAY0 + DAY + 3_600_000,
  DAY0 + 2 * DAY - 0.25,
  DAY0 - 1,
  0,
  -1,
  DAY - 1,
);
const text = fc.constantFrom<string | null>('', '0', '1', 'a', 'ab', 'é', '😀', 'x'.repeat(40), null);
// Around the narrow limit (2^29), -0, fractions, 2^53, and null (NaN in a number column).
const number = fc.constantFrom<number | null>(
  0,
  -0,
  1,
  -1,
  1.5,
  2 ** 29 - 1,
  2 ** 29,
  -(2 ** 29),
  -(2 ** 29) - 1,
  2 ** 30,
  -(2 ** 30),
  2 ** 31,
  -(2 ** 31),
  2 ** 53,
  1e-300,
  null,
);
const boolean = fc.constantFrom<boolean | null>(true, false, null);
// `d` holds texts and numbers alike (records only: a column holds one kind), from a small pool so
// that a number and a text with the same code meet often.
const mixed = fc.constantFrom<string | number | null>(0, 1, 2, 3, -0, 2 ** 30, -(2 ** 30), '', 'a', '0', 'b', null);
const record = fc.record({ t: time, a: text, b: number, c: boolean, d: mixed }) as fc.Arbitrary<TypedRecord>;
const keyFields = fc.constantFrom<readonly string[]>(
  ['t', 'a', 'b'],
  ['a', 't'],
  ['t', 'a', 'b', 'c'],
  ['b', 'a'],
  ['a'],
  ['t'],
  ['c', 'b'],
  ['d', 't'],
  ['a', 'd'],
  ['d'],
  ['b'],
);

function columnsOf(records: readonly TypedRecord[]): ColumnBatch {
  const batch = new ColumnBatch(LAYOUT, 1);
  for (const r of records) {
    batch.reserve();
    const row = batch.length;
    (batch.numbers[0] as Float64Array)[row] = r.t as number;
    (batch.codes[1] as Int32Array)[row] = r.a === null ? NULL_CODE : batch.texts.code(r.a as string);
    (batch.numbers[2] as Float64Array)[row] = r.b === null ? Number.NaN : (r.b as number);
    (batch.codes[3] as Int32Array)[row] = r.c === null ? NULL_CODE : r.c ? 1 : 0;
    batch.commit();
  }
  return batch;
}

/** Keys as ingestion counts them: the UTC day of the event time and the key text. */
function expectedKept(batches: readonly TypedRecord[][], fields: readonly string[]): string[][] {
  const seen = new Set<string>();
  return batches.map((records) =>
    records.flatMap((r) => {
      const key = `${Math.floor((r.t as number) / DAY)}|${keyTextOf(r, fields)}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [`${r.t}|${keyTextOf(r, fields)}`];
    }),
  );
}

describe('DayKeyFilter', () => {
  it('keeps a record exactly when its key text was not seen before on its day, over records and columns alike', () => {
    fc.assert(
      fc.property(
        keyFields,
        fc.array(fc.record({ records: fc.array(record, { maxLength: 30 }), asColumns: fc.boolean() }), {
          maxLength: 8,
        }),
        fc.constantFrom(undefined, 0, 2, 1 << 18),
        (fields, batches, maxCodes) => {
          const filter = new DayKeyFilter(new KeyEncoder(fields, SECRET, maxCodes), SECRET, 't');
          const kept = batches.map(({ records, asColumns }) =>
            (asColumns && !fields.includes('d')
              ? filter.keepColumns(columnsOf(records)).records()
              : filter.keep(records)
            ).map((r) => `${r.t}|${keyTextOf(r, fields)}`),
          );
          const expected = expectedKept(
            batches.map((b) => b.records),
            fields,
          );
          expect(kept).toEqual(expected);
          const total = batches.reduce((n, b) => n + b.records.length, 0);
          expect(filter.duplicates).toBe(total - expected.flat().length);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('keeps the keys of many days through table growth, and refuses each again from columns', () => {
    const filter = new DayKeyFilter(new KeyEncoder(['t', 'a', 'b'], SECRET, 300), SECRET, 't');
    const rows = Array.from({ length: 30_000 }, (_, i) => ({
      t: DAY0 + (i % 3) * DAY + (i % 7_000) * 1_000,
      a: `id-${i % 1_000}`,
      b: i % 5 === 0 ? 2 ** 40 + i : i,
      c: null,
    }));
    expect(filter.keepColumns(columnsOf(rows)).length).toBe(30_000);
    expect(filter.keep(rows)).toEqual([]);
    expect(filter.keepColumns(columnsOf(rows.slice(0, 5_000))).length).toBe(0);
    expect(filter.duplicates).toBe(35_000);
  });
});

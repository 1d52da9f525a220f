import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyTextOf } from '../../../src/domain/ingest/key-set';
import { ExactKeySet, KeyEncoder, keyMultipliers } from '../../../src/domain/ingest/key-table';
import type { TypedRecord } from '../../../src/domain/records';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);

const values = fc.constantFrom<unknown>(
  0,
  -0,
  1,
  1.5,
  2 ** 53,
  '0',
  '1',
  '',
  'a',
  'ab',
  'a"b',
  'é',
  null,
  undefined,
  true,
  false,
  Number.NaN,
  Number.POSITIVE_INFINITY,
);
const record = fc.record({ a: values, b: values }) as fc.Arbitrary<TypedRecord>;

/** The verdicts of an ExactKeySet over `records`, and those of a Set of key texts. */
function verdicts(records: readonly TypedRecord[], maxCodes?: number): { exact: boolean[]; texts: boolean[] } {
  const encoder = new KeyEncoder(['a', 'b'], SECRET, maxCodes);
  const set = new ExactKeySet(encoder.width, keyMultipliers(encoder.width, SECRET), 0);
  const texts = new Set<string>();
  const key = new Int32Array(encoder.width);
  const exact: boolean[] = [];
  const byText: boolean[] = [];
  for (const r of records) {
    encoder.record(r, key);
    exact.push(set.add(key));
    const text = keyTextOf(r, ['a', 'b']);
    byText.push(!texts.has(text));
    texts.add(text);
  }
  return { exact, texts: byText };
}

describe('ExactKeySet with KeyEncoder', () => {
  it('finds a key again exactly when its key text was seen before', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        const { exact, texts } = verdicts(records);
        expect(exact).toEqual(texts);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same verdicts once its table of texts is full and new texts are hashed', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        const { exact, texts } = verdicts(records, 2);
        expect(exact).toEqual(texts);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every key of a large set as it grows, and refuses each again', () => {
    const encoder = new KeyEncoder(['n', 's'], SECRET, 100);
    const set = new ExactKeySet(encoder.width, keyMultipliers(encoder.width, SECRET));
    const key = new Int32Array(encoder.width);
    for (let i = 0; i < 20_000; i++) {
      encoder.record({ n: i * 0.5, s: `id-${i % 500}` }, key);
      expect(set.add(key)).toBe(true);
    }
    for (let i = 0; i < 20_000; i += 7) {
      encoder.record({ n: i * 0.5, s: `id-${i % 500}` }, key);
      expect(set.add(key)).toBe(false);
    }
    expect(set.size).toBe(20_000);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RawRecordDecoder, RawRecordError, RawShapeCache } from '../../../src/domain/ingest/raw-records';
import type { TypedRecord } from '../../../src/domain/records';

/** Decodes `text` fed in pieces of the given sizes (cycled). */
function decode(text: string, sizes: readonly number[] = [text.length || 1], batch = 3): TypedRecord[][] {
  const decoder = new RawRecordDecoder('s3://raw/test', batch);
  const batches: TypedRecord[][] = [];
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length] as number;
    batches.push(...decoder.push(text.slice(at, at + size)));
    at += size;
  }
  batches.push(...decoder.end());
  return batches;
}

const lines = (records: readonly object[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

describe('RawRecordDecoder', () => {
  it('gives the records JSON.parse gives, in batches of the size asked', () => {
    const records = Array.from({ length: 7 }, (_, i) => ({
      ts: 1_780_000_000_000 + i,
      campaign: `c-${i}`,
      n: i / 3,
      ok: i % 2 === 0,
      note: null,
    }));
    const batches = decode(lines(records));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat()).toEqual(records);
  });

  it('reads lines of another shape, escapes and unicode through JSON.parse, losing no key', () => {
    const records = [
      { a: 1, b: 'x' },
      { a: 2, b: 'say "hi"\n' },
      { a: 3, b: 'é ✓', c: true },
      { b: 'first', a: 4 },
      { a: 5 },
    ];
    expect(decode(lines(records)).flat()).toEqual(records);
  });

  it('reads a last line without a line break', () => {
    expect(decode('{"a":1}\n{"a":2}').flat()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('names the object and the line of a line that is not a JSON object', () => {
    expect(() => decode('{"a":1}\n[1,2]\n')).toThrow(new RawRecordError('s3://raw/test: line 2 is not a JSON object'));
    expect(() => decode('{"a":1}\n{"a":\n')).toThrow(/s3:\/\/raw\/test: line 2 is not JSON/);
  });

  it('gives the same records however the text is cut', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.constantFrom('ts', 'campaign', 'spend', 'flag'), value), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        (records, sizes) => {
          const nonEmpty = records.map((r) => (Object.keys(r).length === 0 ? { ts: 0 } : r));
          const text = lines(nonEmpty);
          expect(decode(text, sizes).flat()).toEqual(JSON.parse(`[${text.trim().split('\n').join(',')}]`));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('learns a key order once for the objects that share it, and decodes interleaved objects as JSON.parse does', () => {
    const cache = new RawShapeCache(2);
    const hour = (i: number) => Array.from({ length: 5 }, (_, n) => ({ ts: i * 100 + n, id: `r${i}-${n}`, ok: n > 2 }));
    const other = [
      { id: 'x', ts: 1 },
      { id: 'y', ts: 2, extra: 'é' },
      { ts: 3, id: 'z' },
    ];
    const decoders = [hour(1), hour(2), other, hour(3)].map((records) => ({
      records,
      text: lines(records),
      decoder: new RawRecordDecoder('s3://raw/test', 2, cache),
      got: [] as TypedRecord[],
    }));
    // Fed in turns, a few characters at a time: the decoders share what the cache holds.
    for (let at = 0; decoders.some((d) => at < d.text.length); at += 7) {
      for (const d of decoders) for (const batch of d.decoder.push(d.text.slice(at, at + 7))) d.got.push(...batch);
    }
    for (const d of decoders) {
      for (const batch of d.decoder.end()) d.got.push(...batch);
      expect(d.got).toEqual(d.records);
    }
    // Two key orders of first lines (ts, id, ok and id, ts), one entry each.
    expect(cache.size).toBe(2);
    const learned = cache.of(['ts', 'id', 'ok']);
    expect(cache.of(['ts', 'id', 'ok'])).toBe(learned);
    // Past its size, the least recently used goes.
    cache.of(['a']);
    expect(cache.size).toBe(2);
    expect(cache.of(['id', 'ts'])).not.toBe(undefined);
    expect(cache.of(['ts', 'id', 'ok'])).not.toBe(learned);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES, KeySet, keyTextOf } from '../../../src/domain/ingest/key-set';

const hashOf = (text: string) => createHash('sha256').update(text).digest().subarray(0, KEY_BYTES);

describe('KeySet', () => {
  it('answers like a set of the keys added, whatever their number and the size it was made for', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 3000 }), fc.integer({ min: 0, max: 5000 }), (keys, expected) => {
        const set = new KeySet(expected);
        const reference = new Set<string>();
        for (const key of keys) {
          expect(set.add(hashOf(key))).toBe(!reference.has(key));
          reference.add(key);
        }
        expect(set.size).toBe(reference.size);
        for (const key of keys) expect(set.has(hashOf(key))).toBe(true);
        expect(set.has(hashOf('\u0000never added'))).toBe(reference.has('\u0000never added'));
      }),
      { numRuns: 60 },
    );
  });

  it('reads a key index of hashes back to back, at any offset of a larger buffer', () => {
    const index = Buffer.concat(['a', 'b', 'c'].map(hashOf));
    const set = new KeySet();
    set.addAll(index);
    expect(set.size).toBe(3);
    const padded = Buffer.concat([Buffer.alloc(5), hashOf('b')]);
    expect(set.has(padded, 5)).toBe(true);
  });

  it('is sized once for the keys it was told to expect: about 21 bytes a key', () => {
    expect(new KeySet(1_000_000).bytes / 1_000_000).toBeLessThan(22);
  });
});

describe('keyTextOf', () => {
  it('tells apart keys whose values would read the same joined as text', () => {
    expect(keyTextOf({ a: 'x,y', b: 'z' }, ['a', 'b'])).not.toBe(keyTextOf({ a: 'x', b: 'y,z' }, ['a', 'b']));
    expect(keyTextOf({ a: 1 }, ['a'])).not.toBe(keyTextOf({ a: '1' }, ['a']));
    expect(keyTextOf({ a: null }, ['a'])).toBe(keyTextOf({}, ['a']));
  });
});

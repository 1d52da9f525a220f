import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/domain/versioning/canonical-json';
import { contentHash } from '../../../src/domain/versioning/content-hash';
import { sha256Hex } from '../../../src/domain/versioning/sha256';

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}',
    );
  });

  it('leaves out undefined members and writes -0 as 0', () => {
    expect(canonicalJson({ a: undefined, b: -0 })).toBe('{"b":0}');
  });

  it('refuses a number JSON cannot hold, naming where it is', () => {
    expect(() => canonicalJson({ thresholds: { red: Number.NaN } })).toThrow(/\$\.thresholds\.red/);
  });

  it('names the member it refuses by its path, through arrays and objects', () => {
    expect(() => canonicalJson({ a: [1, { b: Number.POSITIVE_INFINITY }] })).toThrow(/\$\.a\[1\]\.b/);
    expect(() => canonicalJson([[0n]])).toThrow(/\$\[0\]\[0\]/);
    const cycle: Record<string, unknown> = { list: [] };
    (cycle.list as unknown[]).push(cycle);
    expect(() => canonicalJson(cycle)).toThrow(/\$\.list\[0\]/);
  });

  it('writes what a plain recursive writer writes, on any JSON value', () => {
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
      }
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips through JSON.parse to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        return canonicalJson(JSON.parse(text)) === text;
      }),
    );
  });
});

describe('sha256Hex', () => {
  it('matches the published digest of "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with node:crypto on any text, including lengths around block boundaries', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        return sha256Hex(text) === createHash('sha256').update(text, 'utf8').digest('hex');
      }),
    );
    for (const length of [55, 56, 63, 64, 65, 119, 120]) {
      const text = 'x'.repeat(length);
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });
});

describe('contentHash', () => {
  it('is the same for the same content written with keys in another order', () => {
    expect(contentHash({ id: 'ctr', grain: 'day', dimensions: ['campaign'] })).toBe(
      contentHash({ dimensions: ['campaign'], grain: 'day', id: 'ctr' }),
    );
  });

  it('differs when any value differs', () => {
    expect(contentHash({ id: 'ctr', grain: 'day' })).not.toBe(contentHash({ id: 'ctr', grain: 'hour' }));
  });
});

// SHA-256 of the domain: Node's digest (what Lambda and the CLI use) and the plain TypeScript one
// (what runs where Node's crypto is not there) agree on every input, and both match FIPS 180-4.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { portableSha256Hex, sha256Hex } from '../../../src/domain/versioning/sha256';

// FIPS 180-4 examples and the empty message.
const VECTORS: readonly [string, string][] = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
];

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 digests, by both paths', () => {
    for (const [text, digest] of VECTORS) {
      expect(sha256Hex(text)).toBe(digest);
      expect(portableSha256Hex(text)).toBe(digest);
      expect(sha256Hex(new TextEncoder().encode(text))).toBe(digest);
    }
  });

  it('agrees with the plain TypeScript digest on any text, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })), (text) => {
        expect(sha256Hex(text)).toBe(portableSha256Hex(text));
      }),
      { numRuns: 2000 },
    );
    expect(sha256Hex('\ud800')).toBe(portableSha256Hex('\ufffd'));
  });

  it('agrees with the plain TypeScript digest on any bytes, across block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(portableSha256Hex(bytes));
      }),
      { numRuns: 1000 },
    );
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128, 100_000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
      expect(sha256Hex(bytes), `${length} bytes`).toBe(portableSha256Hex(bytes));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { SipHash128 } from '../../../src/domain/ingest/key-hash';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

/** SipHash-2-4-128 of the bytes 0, 1, …, n-1 under the key 00…0f: the reference implementation's vectors_sip128. */
const REFERENCE: Record<number, string> = {
  0: 'a3817f04ba25a8e66df67214c7550293',
  2: '8177228da4a45dc7fca38bdef60affe4',
  4: 'f88164c12d9c8faf7d0f6e7c7bcd5579',
  6: '14eeca338b208613485ea0308fd7a15e',
  8: '3b62a9ba6258f5610f83e264f31497b4',
  14: '31fcefac66d7de9c7ec7485fe4494902',
  16: '6ee2a4ca67b054bbfd3315bf85230577',
  62: '5853542321f567a005d547a4f04759bd',
};

function hex(words: Uint32Array): string {
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('hex');
}

describe('SipHash128', () => {
  it('gives the reference vectors of SipHash-2-4 with 128-bit output', () => {
    const sip = new SipHash128(KEY);
    const out = new Uint32Array(4);
    for (const [length, expected] of Object.entries(REFERENCE)) {
      sip.begin();
      // Two bytes a unit, little-endian: bytes 2i and 2i+1.
      for (let i = 0; i < Number(length) / 2; i++) sip.unit(2 * i + ((2 * i + 1) << 8));
      sip.finish(out);
      expect(hex(out), `${length} bytes`).toBe(expected);
    }
  });

  it('hashes a message longer than its first buffer, and a short one after it, as it hashes them alone', () => {
    const sip = new SipHash128(KEY);
    const long = new Uint32Array(4);
    const byUnits = new Uint32Array(4);
    const short = new Uint32Array(4);
    const text = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(0x20 + ((i * 7919) % 0xffdf))).join('');
    sip.begin();
    sip.text(text.slice(0, 10));
    sip.text(text.slice(10));
    sip.finish(long);
    sip.begin();
    for (let i = 0; i < text.length; i++) sip.unit(text.charCodeAt(i));
    sip.finish(byUnits);
    expect(hex(byUnits)).toBe(hex(long));
    sip.begin();
    for (let i = 0; i < 8; i++) sip.unit(2 * i + ((2 * i + 1) << 8));
    sip.finish(short);
    expect(hex(short)).toBe(REFERENCE[16]);
    expect(hex(long)).not.toBe(hex(short));
  });

  it('refuses a key that is not 16 bytes', () => {
    expect(() => new SipHash128(new Uint8Array(8))).toThrow(/16 bytes, not 8/);
  });
});

// Domain: the exact key sets of a read that keeps keys in memory only (`kpi compute` over files).
// A key is held as its values themselves, three 32-bit words a field: a type tag, then a number's
// 64 bits, or the code of a text in a table of the texts met so far. Comparing words is exact, so
// two keys are the same exactly when their `keyTextOf` texts are; the hash only picks the slot. It
// is keyed by a secret of the read: keys that share a slot whatever the secret come only in small
// sets (those whose number words differ in bit 31 of an even number of words), so a file cannot
// pile its keys into one slot. A collision costs a probe, never a wrong verdict.
// Keys that are stored (the ingestion key index) stay SHA-256 of `keyTextOf` (key-set.ts).
import type { FieldValue, TypedRecord } from '../records';
import { SipHash128 } from './key-hash';

/** 32-bit words of one key field: a tag, then two words of value. */
export const KEY_FIELD_WORDS = 3;

const NULL = 0;
const NUMBER = 1;
const CODED = 2;
const HASHED = 3;
const TRUE = 4;
const FALSE = 5;

/** Texts coded before further new ones are hashed instead: bounds the memory a read of unique ids takes. */
const DEFAULT_MAX_CODES = 1 << 18;

/** Scratch to read a number's 64 bits as two 32-bit words. */
const float = new Float64Array(1);
const words = new Int32Array(float.buffer);

/**
 * Writes records' key values as words. A text is coded by the order in which the read first met
 * it; past `maxCodes` distinct texts, a text never met before is written as 93 bits of a keyed
 * SipHash of its units instead (a different tag, so it never equals a coded text, and a coded text
 * stays coded: the same text always gets the same words).
 */
export class KeyEncoder {
  /** Words of one key. */
  readonly width: number;
  private readonly codes = new Map<string, number>();
  private readonly sip: SipHash128;
  private readonly hash = new Uint32Array(4);

  /**
   * @param fields the key fields, in order
   * @param secret 16 random bytes of this read
   */
  constructor(
    readonly fields: readonly string[],
    secret: Uint8Array,
    private readonly maxCodes = DEFAULT_MAX_CODES,
  ) {
    this.width = fields.length * KEY_FIELD_WORDS;
    this.sip = new SipHash128(secret, 1, 3);
  }

  /** Writes the key of `record` to `out[0, width)`. */
  record(record: TypedRecord, out: Int32Array): void {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) this.value(record[fields[i] as string], out, i * KEY_FIELD_WORDS);
  }

  /** Writes one value at `out[at, at + 3)`; missing and non-finite values count as null, -0 as 0 (as in JSON). */
  value(value: FieldValue | undefined, out: Int32Array, at: number): void {
    if (typeof value === 'string') this.text(value, out, at);
    else if (typeof value === 'number') this.number(value, out, at);
    else {
      out[at] = value === true ? TRUE : value === false ? FALSE : NULL;
      out[at + 1] = 0;
      out[at + 2] = 0;
    }
  }

  number(value: number, out: Int32Array, at: number): void {
    if (!Number.isFinite(value)) {
      out[at] = NULL;
      out[at + 1] = 0;
      out[at + 2] = 0;
      return;
    }
    float[0] = value + 0;
    out[at] = NUMBER;
    out[at + 1] = words[0] as number;
    out[at + 2] = words[1] as number;
  }

  /** The code of a text (given it now if there is room), or -1 for a text written as its hash. */
  codeOf(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined && this.codes.size < this.maxCodes) {
      code = this.codes.size;
      this.codes.set(value, code);
    }
    return code ?? -1;
  }

  /** Writes a text by the code {@link KeyEncoder.codeOf} gave it. */
  coded(code: number, out: Int32Array, at: number): void {
    out[at] = CODED;
    out[at + 1] = code;
    out[at + 2] = 0;
  }

  text(value: string, out: Int32Array, at: number): void {
    const code = this.codeOf(value);
    if (code >= 0) {
      this.coded(code, out, at);
      return;
    }
    const sip = this.sip;
    sip.begin();
    sip.text(value);
    sip.finish(this.hash);
    out[at] = HASHED | ((this.hash[0] as number) << 3);
    out[at + 1] = this.hash[1] as number;
    out[at + 2] = this.hash[2] as number;
  }
}

/** Most of the table a set fills before it grows. */
const MAX_LOAD = 0.75;

/**
 * A set of keys of `width` words, exact: an open-addressing table of the words themselves. The slot
 * comes from a multilinear hash under multipliers drawn from the read's secret.
 */
export class ExactKeySet {
  private keys: Int32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  /**
   * @param multipliers `width` odd 32-bit numbers drawn at random for the read (see {@link keyMultipliers})
   * @param expected keys it will hold: sized for them at once
   */
  constructor(
    private readonly width: number,
    private readonly multipliers: Int32Array,
    expected = 1024,
  ) {
    let slots = 1024;
    while (slots * MAX_LOAD < expected + 1) slots *= 2;
    this.mask = slots - 1;
    this.keys = new Int32Array(slots * width);
    this.used = new Uint8Array(slots);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key at `key[offset, offset + width)`; false when it was there already. */
  add(key: Int32Array, offset = 0): boolean {
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.grow();
    const slot = this.find(key, offset);
    if (slot >= 0) return false;
    const free = -slot - 1;
    const keys = this.keys;
    const base = free * this.width;
    for (let w = 0; w < this.width; w++) keys[base + w] = key[offset + w] as number;
    this.used[free] = 1;
    this.count += 1;
    return true;
  }

  /** The slot holding the key, or -(free slot) - 1. */
  private find(key: Int32Array, offset: number): number {
    const width = this.width;
    const keys = this.keys;
    const used = this.used;
    let slot = this.slotOf(key, offset);
    for (;;) {
      if (used[slot] === 0) return -slot - 1;
      const base = slot * width;
      let same = true;
      for (let w = 0; w < width; w++) {
        if (keys[base + w] !== key[offset + w]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private slotOf(key: Int32Array, offset: number): number {
    const multipliers = this.multipliers;
    let h = 0;
    for (let w = 0; w < this.width; w++) h = (h + Math.imul(key[offset + w] as number, multipliers[w] as number)) | 0;
    // The sum's high bits are its best mixed; fold them down onto the bits the mask keeps.
    h ^= h >>> 16;
    h = Math.imul(h, 0x45d9f3b);
    h ^= h >>> 16;
    return h & this.mask;
  }

  private grow(): void {
    const width = this.width;
    const old = this.keys;
    const oldUsed = this.used;
    const slots = (this.mask + 1) * 2;
    this.mask = slots - 1;
    this.keys = new Int32Array(slots * width);
    this.used = new Uint8Array(slots);
    for (let s = 0; s < oldUsed.length; s++) {
      if (oldUsed[s] === 0) continue;
      const free = -this.find(old, s * width) - 1;
      this.keys.set(old.subarray(s * width, (s + 1) * width), free * width);
      this.used[free] = 1;
    }
  }
}

/** `width` odd multipliers for {@link ExactKeySet}, drawn from 16 random bytes (SplitMix32 over their words). */
export function keyMultipliers(width: number, secret: Uint8Array): Int32Array {
  let state = 0;
  for (let i = 0; i < secret.length; i++) state = (Math.imul(state, 31) + (secret[i] as number)) | 0;
  const out = new Int32Array(width);
  for (let w = 0; w < width; w++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out[w] = (z ^ (z >>> 16)) | 1;
  }
  return out;
}

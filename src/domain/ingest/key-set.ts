// Domain: the keys of a dataset-day, for dropping rows whose key was already ingested. A key is the
// SHA-256 of the record's key values as JSON (`keyTextOf`), cut to 128 bits (KEY_BYTES): at a
// billion keys a day the chance that two distinct keys share a hash is about 1 in 10^20. Callers
// hash with their platform's SHA-256. The set is an open-addressing hash table over one Uint32Array
// (16 bytes a slot, at most 75 % full: about 21 bytes a key when sized up front), so a day of ten
// million keys takes some 210 MB instead of the gigabytes a JavaScript Set of strings would.
import type { TypedRecord } from '../records';

/** Bytes of one key hash: the first 16 bytes of the SHA-256 of `keyTextOf`. */
export const KEY_BYTES = 16;

/** The text a record's key is hashed from: its key values, in order, as a JSON array. */
export function keyTextOf(record: TypedRecord, fields: readonly string[]): string {
  return JSON.stringify(fields.map((field) => record[field] ?? null));
}

const WORDS = KEY_BYTES / 4;
/** Most of the table a set fills before it grows: about 21 bytes a key when sized up front. */
const MAX_LOAD = 0.75;

export class KeySet {
  private table: Uint32Array;
  private slots: number;
  private count = 0;

  /** @param expected keys it will hold: sized for them at once (no growth, no transient copy) */
  constructor(expected = 1024) {
    this.slots = Math.max(1024, Math.ceil(expected / MAX_LOAD) + 1);
    this.table = new Uint32Array(this.slots * WORDS);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.table.byteLength;
  }

  has(hash: Uint8Array, offset = 0): boolean {
    return this.find(hash, offset) >= 0;
  }

  /** Adds the hash at `offset`; false when it was there already. */
  add(hash: Uint8Array, offset = 0): boolean {
    if ((this.count + 1) / this.slots > MAX_LOAD) this.grow();
    const slot = this.find(hash, offset);
    if (slot >= 0) return false;
    this.put(-slot - 1, hash, offset);
    this.count += 1;
    return true;
  }

  /** Adds every hash of a key index (`KEY_BYTES` each, back to back). */
  addAll(hashes: Uint8Array): void {
    for (let offset = 0; offset + KEY_BYTES <= hashes.byteLength; offset += KEY_BYTES) this.add(hashes, offset);
  }

  /**
   * The slot holding the hash (>= 0), or -(free slot + 1) where it would go. Word 0 keeps its lowest
   * bit set so that an all-zero slot always means free.
   */
  private find(hash: Uint8Array, offset: number): number {
    const w0 = (word(hash, offset) | 1) >>> 0;
    const w1 = word(hash, offset + 4);
    const w2 = word(hash, offset + 8);
    const w3 = word(hash, offset + 12);
    let slot = ((w1 ^ w3) >>> 0) % this.slots;
    for (;;) {
      const at = slot * WORDS;
      const t0 = this.table[at] as number;
      if (t0 === 0) return -slot - 1;
      if (t0 === w0 && this.table[at + 1] === w1 && this.table[at + 2] === w2 && this.table[at + 3] === w3) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
  }

  private put(slot: number, hash: Uint8Array, offset: number): void {
    const at = slot * WORDS;
    this.table[at] = (word(hash, offset) | 1) >>> 0;
    this.table[at + 1] = word(hash, offset + 4);
    this.table[at + 2] = word(hash, offset + 8);
    this.table[at + 3] = word(hash, offset + 12);
  }

  private grow(): void {
    const old = this.table;
    this.slots *= 2;
    this.table = new Uint32Array(this.slots * WORDS);
    for (let at = 0; at < old.length; at += WORDS) {
      const t0 = old[at] as number;
      if (t0 === 0) continue;
      let slot = (((old[at + 1] as number) ^ (old[at + 3] as number)) >>> 0) % this.slots;
      while (this.table[slot * WORDS] !== 0) slot = slot + 1 === this.slots ? 0 : slot + 1;
      this.table.set(old.subarray(at, at + WORDS), slot * WORDS);
    }
  }
}

function word(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) |
      ((bytes[offset + 1] as number) << 8) |
      ((bytes[offset + 2] as number) << 16) |
      ((bytes[offset + 3] as number) << 24)) >>>
    0
  );
}

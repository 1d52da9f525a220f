// Domain: a keyed 128-bit hash of a record's key values, for the key sets of a read that keeps them
// in memory only (`kpi compute` over files). SipHash with 128-bit output (Aumasson and Bernstein),
// written on 32-bit halves: a pseudo-random function of its secret key, so without the key nobody
// can make two different keys collide, at a fraction of the cost of a SHA-256 per record.
// Keys that are stored (the ingestion key index) stay SHA-256 of `keyTextOf`, which every reader of
// the index computes alike; this hash is for a set that lives and dies with one process.
import type { FieldValue, TypedRecord } from '../records';

const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;

/** Scratch to read a number's 64 bits as four 16-bit units. */
const float = new Float64Array(1);
const units = new Uint16Array(float.buffer);

/**
 * SipHash-c-d with 128-bit output over a message of 16-bit units, each taken as its two bytes
 * little-endian. One instance hashes one message at a time: `begin`, any `unit`/`text`, then `finish`.
 */
export class SipHash128 {
  private readonly k0h: number;
  private readonly k0l: number;
  private readonly k1h: number;
  private readonly k1l: number;
  private v0h = 0;
  private v0l = 0;
  private v1h = 0;
  private v1l = 0;
  private v2h = 0;
  private v2l = 0;
  private v3h = 0;
  private v3l = 0;
  /** The block being filled: its low and high 32 bits, and how many units it holds (0-3). */
  private ml = 0;
  private mh = 0;
  private pending = 0;
  /** Units of the message so far. */
  private length = 0;

  /**
   * @param key 16 bytes (k0 = bytes 0-7, k1 = bytes 8-15, each little-endian)
   * @param compressionRounds SipRounds per 8-byte block (c)
   * @param finalizationRounds SipRounds per 64 bits of output (d)
   */
  constructor(
    key: Uint8Array,
    private readonly compressionRounds = 2,
    private readonly finalizationRounds = 4,
  ) {
    if (key.length !== 16) throw new RangeError(`a SipHash key has 16 bytes, not ${key.length}`);
    const word = (at: number) =>
      ((key[at] as number) |
        ((key[at + 1] as number) << 8) |
        ((key[at + 2] as number) << 16) |
        ((key[at + 3] as number) << 24)) >>>
      0;
    this.k0l = word(0);
    this.k0h = word(4);
    this.k1l = word(8);
    this.k1h = word(12);
  }

  begin(): void {
    this.v0h = (this.k0h ^ 0x736f6d65) >>> 0;
    this.v0l = (this.k0l ^ 0x70736575) >>> 0;
    this.v1h = (this.k1h ^ 0x646f7261) >>> 0;
    this.v1l = (this.k1l ^ 0x6e646f6d ^ 0xee) >>> 0;
    this.v2h = (this.k0h ^ 0x6c796765) >>> 0;
    this.v2l = (this.k0l ^ 0x6e657261) >>> 0;
    this.v3h = (this.k1h ^ 0x74656462) >>> 0;
    this.v3l = (this.k1l ^ 0x79746573) >>> 0;
    this.ml = 0;
    this.mh = 0;
    this.pending = 0;
    this.length = 0;
  }

  /** Adds one 16-bit unit. */
  unit(value: number): void {
    const u = value & 0xffff;
    switch (this.pending) {
      case 0:
        this.ml = u;
        break;
      case 1:
        this.ml = (this.ml | (u << 16)) >>> 0;
        break;
      case 2:
        this.mh = u;
        break;
      default:
        this.mh = (this.mh | (u << 16)) >>> 0;
        this.compress(this.mh, this.ml);
        this.pending = 0;
        this.length += 1;
        return;
    }
    this.pending += 1;
    this.length += 1;
  }

  /** Adds the units of a text. */
  text(value: string): void {
    for (let i = 0; i < value.length; i++) this.unit(value.charCodeAt(i));
  }

  /** Ends the message; writes the 128 bits as four 32-bit words, in the order of the output's bytes. */
  finish(out: Uint32Array): void {
    // The last block: the units pending, and the message's length in bytes (mod 256) in its top byte.
    const high = ((((this.length * 2) & 0xff) << 24) | (this.pending === 3 ? this.mh : 0)) >>> 0;
    this.compress(high, this.pending >= 1 ? this.ml : 0);
    this.v2l = (this.v2l ^ 0xee) >>> 0;
    for (let r = 0; r < this.finalizationRounds; r++) this.round();
    out[0] = (this.v0l ^ this.v1l ^ this.v2l ^ this.v3l) >>> 0;
    out[1] = (this.v0h ^ this.v1h ^ this.v2h ^ this.v3h) >>> 0;
    this.v1l = (this.v1l ^ 0xdd) >>> 0;
    for (let r = 0; r < this.finalizationRounds; r++) this.round();
    out[2] = (this.v0l ^ this.v1l ^ this.v2l ^ this.v3l) >>> 0;
    out[3] = (this.v0h ^ this.v1h ^ this.v2h ^ this.v3h) >>> 0;
  }

  private compress(mh: number, ml: number): void {
    this.v3h = (this.v3h ^ mh) >>> 0;
    this.v3l = (this.v3l ^ ml) >>> 0;
    for (let r = 0; r < this.compressionRounds; r++) this.round();
    this.v0h = (this.v0h ^ mh) >>> 0;
    this.v0l = (this.v0l ^ ml) >>> 0;
  }

  /** One SipRound on the four 64-bit words, each as two 32-bit halves. */
  private round(): void {
    let v0h = this.v0h;
    let v0l = this.v0l;
    let v1h = this.v1h;
    let v1l = this.v1l;
    let v2h = this.v2h;
    let v2l = this.v2l;
    let v3h = this.v3h;
    let v3l = this.v3l;
    let l: number;
    let t: number;
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    l = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = t;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    l = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = t;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    l = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (l < v0l ? 1 : 0)) >>> 0;
    v0l = l;
    t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = t;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    l = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (l < v2l ? 1 : 0)) >>> 0;
    v2l = l;
    t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = t;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
    this.v0h = v0h;
    this.v0l = v0l;
    this.v1h = v1h;
    this.v1l = v1l;
    this.v2h = v2h;
    this.v2l = v2l;
    this.v3h = v3h;
    this.v3l = v3l;
  }
}

/**
 * Hashes records' key values: equal exactly when their `keyTextOf` texts are equal (a value is a
 * type tag, then its 64 bits or its length and units; -0 counts as 0 and a missing value as null,
 * as in JSON), without building that text. SipHash-1-3, the variant hash tables use against
 * flooding (Rust's, CPython's): a set of keys whose hashes are secret needs no more rounds.
 */
export class RecordKeyHasher {
  private readonly sip: SipHash128;

  constructor(
    private readonly fields: readonly string[],
    key: Uint8Array,
  ) {
    this.sip = new SipHash128(key, 1, 3);
  }

  /** Writes the hash of `record`'s key to `out` (four 32-bit words). */
  hash(record: TypedRecord, out: Uint32Array): void {
    const sip = this.sip;
    sip.begin();
    for (let i = 0; i < this.fields.length; i++) this.value(record[this.fields[i] as string]);
    sip.finish(out);
  }

  private value(value: FieldValue | undefined): void {
    const sip = this.sip;
    if (typeof value === 'string') {
      sip.unit(STRING);
      // The length in one unit below 2^15, else in two (the first with its top bit set).
      if (value.length < 0x8000) sip.unit(value.length);
      else {
        sip.unit(0x8000 | (value.length & 0x7fff));
        sip.unit(value.length >>> 15);
      }
      sip.text(value);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      sip.unit(NUMBER);
      float[0] = value + 0;
      sip.unit(units[0] as number);
      sip.unit(units[1] as number);
      sip.unit(units[2] as number);
      sip.unit(units[3] as number);
    } else if (value === true) sip.unit(TRUE);
    else if (value === false) sip.unit(FALSE);
    else sip.unit(NULL); // null, undefined and (as JSON writes them) non-finite numbers
  }
}

// Domain: SipHash with 128-bit output (Aumasson and Bernstein), written on 32-bit halves: a
// pseudo-random function of its secret key, so without the key nobody can make two different inputs
// collide. The exact key sets of `kpi compute` (key-table.ts) hash with it the texts they no longer
// code. Keys that are stored (the ingestion key index) stay SHA-256 of `keyTextOf`, which every
// reader of the index computes alike.

/**
 * SipHash-c-d with 128-bit output over a message of 16-bit units, each taken as its two bytes
 * little-endian. One instance hashes one message at a time: `begin`, any `unit`/`text`, then `finish`.
 * The units are gathered in a buffer and hashed by `finish` in one loop whose state lives in local
 * variables (a method per unit and per round, with the state in fields, took twice the time).
 */
export class SipHash128 {
  private readonly k0h: number;
  private readonly k0l: number;
  private readonly k1h: number;
  private readonly k1l: number;
  /** The message so far; grows by doubling. */
  private units = new Uint16Array(64);
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
    this.length = 0;
  }

  /** Adds one 16-bit unit. */
  unit(value: number): void {
    if (this.length === this.units.length) this.grow(this.length + 1);
    this.units[this.length++] = value;
  }

  /** Adds the units of a text. */
  text(value: string): void {
    const n = value.length;
    if (this.length + n > this.units.length) this.grow(this.length + n);
    const units = this.units;
    let at = this.length;
    for (let i = 0; i < n; i++) units[at++] = value.charCodeAt(i);
    this.length = at;
  }

  private grow(needed: number): void {
    let size = this.units.length * 2;
    while (size < needed) size *= 2;
    const units = new Uint16Array(size);
    units.set(this.units.subarray(0, this.length));
    this.units = units;
  }

  /** Ends the message; writes the 128 bits as four 32-bit words, in the order of the output's bytes. */
  finish(out: Uint32Array): void {
    const units = this.units;
    const length = this.length;
    const blocks = length >>> 2;
    const c = this.compressionRounds;
    const d = this.finalizationRounds;
    let v0h = (this.k0h ^ 0x736f6d65) >>> 0;
    let v0l = (this.k0l ^ 0x70736575) >>> 0;
    let v1h = (this.k1h ^ 0x646f7261) >>> 0;
    let v1l = (this.k1l ^ 0x6e646f6d ^ 0xee) >>> 0;
    let v2h = (this.k0h ^ 0x6c796765) >>> 0;
    let v2l = (this.k0l ^ 0x6e657261) >>> 0;
    let v3h = (this.k1h ^ 0x74656462) >>> 0;
    let v3l = (this.k1l ^ 0x79746573) >>> 0;
    let mh = 0;
    let ml = 0;
    let l: number;
    let t: number;
    // Steps: one per full block of 4 units, then the last block (the units left and the length in
    // bytes, mod 256, in its top byte), then the two halves of the output, d rounds each.
    for (let step = 0; step <= blocks + 2; step++) {
      let rounds: number;
      if (step < blocks) {
        const at = step << 2;
        ml = ((units[at] as number) | ((units[at + 1] as number) << 16)) >>> 0;
        mh = ((units[at + 2] as number) | ((units[at + 3] as number) << 16)) >>> 0;
        rounds = c;
      } else if (step === blocks) {
        const at = blocks << 2;
        const left = length - at;
        ml = left >= 1 ? ((units[at] as number) | (left >= 2 ? (units[at + 1] as number) << 16 : 0)) >>> 0 : 0;
        mh = ((((length * 2) & 0xff) << 24) | (left === 3 ? (units[at + 2] as number) : 0)) >>> 0;
        rounds = c;
      } else {
        if (step === blocks + 1) v2l = (v2l ^ 0xee) >>> 0;
        else v1l = (v1l ^ 0xdd) >>> 0;
        rounds = d;
      }
      if (step <= blocks) {
        v3h = (v3h ^ mh) >>> 0;
        v3l = (v3l ^ ml) >>> 0;
      }
      for (let r = 0; r < rounds; r++) {
        // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        l = (v0l + v1l) >>> 0;
        v0h = (v0h + v1h + (l < v0l ? 1 : 0)) >>> 0;
        v0l = l;
        t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
        v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0;
        v1h = (t ^ v0h) >>> 0;
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
        v3h = (t ^ v2h) >>> 0;
        v3l = (v3l ^ v2l) >>> 0;
        // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
        l = (v0l + v3l) >>> 0;
        v0h = (v0h + v3h + (l < v0l ? 1 : 0)) >>> 0;
        v0l = l;
        t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
        v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0;
        v3h = (t ^ v0h) >>> 0;
        v3l = (v3l ^ v0l) >>> 0;
        // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        l = (v2l + v1l) >>> 0;
        v2h = (v2h + v1h + (l < v2l ? 1 : 0)) >>> 0;
        v2l = l;
        t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
        v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0;
        v1h = (t ^ v2h) >>> 0;
        v1l = (v1l ^ v2l) >>> 0;
        t = v2h;
        v2h = v2l;
        v2l = t;
      }
      if (step <= blocks) {
        v0h = (v0h ^ mh) >>> 0;
        v0l = (v0l ^ ml) >>> 0;
      } else {
        const at = step === blocks + 1 ? 0 : 2;
        out[at] = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
        out[at + 1] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
      }
    }
  }
}

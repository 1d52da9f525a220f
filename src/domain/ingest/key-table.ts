// Domain: the exact key sets of a read that keeps keys in memory only (`kpi compute` over files).
// A key is held as its values themselves, three 32-bit words a field: a type tag, then a number's
// 64 bits, or the code of a text in a table of the texts met so far. Comparing words is exact, so
// two keys are the same exactly when their `keyTextOf` texts are; the hash only picks the slot. It
// is keyed by a secret of the read: keys that share a slot whatever the secret come only in small
// sets (those whose number words differ in bit 31 of an even number of words), so a file cannot
// pile its keys into one slot. A collision costs a probe, never a wrong verdict. Keys whose every
// value fits one word (coded texts, small integers, an event time within its day) are held in a
// set of one word a field instead (see `DayKeyFilter`).
// Keys that are stored (the ingestion key index) stay SHA-256 of `keyTextOf` (key-set.ts).
import { type ColumnBatch, ColumnKind, NULL_CODE } from '../dataset/columns';
import type { FieldValue, TypedRecord } from '../records';
import { SipHash128 } from './key-hash';

/** 32-bit words of one key field: a tag, then two words of value. */
const KEY_FIELD_WORDS = 3;

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

const DAY_MILLIS = 86_400_000;
/** Narrow words hold a value in [-2^29, 2^29) shifted left by one bit (the low bit tells a text). */
const NARROW_LIMIT = 2 ** 29;

/** The keys of one day: those whose every field has a one-word form, and the others. */
interface DayKeys {
  readonly narrow: ExactKeySet;
  wide: ExactKeySet | null;
}

/**
 * Drops records whose key was seen before on the same day of event time (UTC, as ingestion counts
 * days) and counts them, over records or batches of columns alike.
 *
 * A key is held in one of two sets of its day. Narrow: one word a field, when every value of the
 * key has one: a text coded by the encoder (code × 2 + 1), an integer number in [-2^29, 2^29)
 * (× 2), or, for the event-time field, such an integer count of milliseconds since the start of
 * the day (× 2). Wide: the encoder's three words a field, for every other key. Whether a key is
 * narrow depends only on its values (and its day, the same for all keys of one set), and the
 * narrow words of a field differ whenever its values do, so two keys meet in one set exactly when
 * their `keyTextOf` texts are equal: the verdicts are those of wide keys alone, at a third of the
 * words to hash, compare and hold.
 */
export class DayKeyFilter {
  duplicates = 0;
  private readonly days = new Map<number, DayKeys>();
  private readonly narrowMultipliers: Int32Array;
  private readonly wideMultipliers: Int32Array;
  /** The field of the key that is the event time (its words count from the start of the day), or -1. */
  private readonly timeKey: number;
  private readonly wide: Int32Array;
  /** A batch's narrow keys, one word a field a row, and whether each row has one. */
  private narrowKeys = new Int32Array(0);
  private isNarrow = new Uint8Array(0);
  private currentDay = Number.NaN;
  private current: DayKeys | undefined;

  /**
   * @param secret 16 random bytes of the read (text hashes past the coded texts, slot hashes)
   * @param eventTime the dataset's event-time field
   */
  constructor(
    private readonly encoder: KeyEncoder,
    secret: Uint8Array,
    private readonly eventTime: string,
  ) {
    this.narrowMultipliers = keyMultipliers(encoder.fields.length, secret);
    this.wideMultipliers = keyMultipliers(encoder.width, secret);
    this.timeKey = encoder.fields.indexOf(eventTime);
    this.wide = new Int32Array(encoder.width);
  }

  /** The records to keep, in order. */
  keep(records: readonly TypedRecord[]): TypedRecord[] {
    const kept: TypedRecord[] = [];
    const fields = this.encoder.fields;
    const n = fields.length;
    if (this.narrowKeys.length < n) this.narrowKeys = new Int32Array(n);
    const narrow = this.narrowKeys;
    for (const record of records) {
      const time = record[this.eventTime] as number;
      const day = Math.floor(time / DAY_MILLIS);
      let isNarrow = true;
      for (let k = 0; k < n && isNarrow; k++) {
        const value = record[fields[k] as string];
        const word =
          typeof value === 'string'
            ? this.textWord(value)
            : typeof value === 'number'
              ? numberWord(k === this.timeKey ? value - day * DAY_MILLIS : value)
              : -1;
        narrow[k] = word;
        isNarrow = word !== -1;
      }
      let added: boolean;
      if (isNarrow) added = this.daySet(day).narrow.add(narrow, 0);
      else {
        this.encoder.record(record, this.wide);
        added = this.wideSet(this.daySet(day)).add(this.wide, 0);
      }
      if (added) kept.push(record);
      else this.duplicates += 1;
    }
    return kept;
  }

  /** The rows of `columns` to keep: the same batch when all are, else a batch of those. */
  keepColumns(columns: ColumnBatch): ColumnBatch {
    const n = this.encoder.fields.length;
    const length = columns.length;
    if (this.narrowKeys.length < length * n) this.narrowKeys = new Int32Array(length * n);
    if (this.isNarrow.length < length) this.isNarrow = new Uint8Array(length);
    const isNarrow = this.isNarrow;
    isNarrow.fill(1, 0, length);
    const times = columns.numbers[columns.layout.eventTime] as Float64Array;
    // The narrow words of the whole batch, written field by field (a tight loop a column).
    for (let k = 0; k < n; k++) this.narrowColumn(columns, k, times);
    const narrow = this.narrowKeys;
    const keep = new Uint8Array(length);
    let dropped = 0;
    for (let row = 0; row < length; row++) {
      const keys = this.daySet(Math.floor((times[row] as number) / DAY_MILLIS));
      let added: boolean;
      if (isNarrow[row] === 1) added = keys.narrow.add(narrow, row * n);
      else {
        this.wideRow(columns, row);
        added = this.wideSet(keys).add(this.wide, 0);
      }
      if (added) keep[row] = 1;
      else dropped += 1;
    }
    this.duplicates += dropped;
    return dropped === 0 ? columns : columns.select(keep);
  }

  /** Writes the narrow word of key field `k` of every row (clearing `isNarrow` of rows without one). */
  private narrowColumn(columns: ColumnBatch, k: number, times: Float64Array): void {
    const n = this.encoder.fields.length;
    const length = columns.length;
    const narrow = this.narrowKeys;
    const isNarrow = this.isNarrow;
    const f = columns.layout.fields.indexOf(this.encoder.fields[k] as string);
    const numbers = f < 0 ? null : (columns.numbers[f] ?? null);
    if (numbers !== null) {
      const sinceDay = k === this.timeKey;
      for (let row = 0, at = k; row < length; row++, at += n) {
        const value = numbers[row] as number;
        const word = numberWord(
          sinceDay ? value - Math.floor((times[row] as number) / DAY_MILLIS) * DAY_MILLIS : value,
        );
        narrow[at] = word;
        if (word === -1) isNarrow[row] = 0;
      }
      return;
    }
    if (f < 0 || columns.layout.kinds[f] !== ColumnKind.Text) {
      // Missing fields (null) and booleans have no narrow word.
      isNarrow.fill(0, 0, length);
      return;
    }
    const codes = columns.codes[f] as Int32Array;
    const texts = columns.texts.texts;
    // The word of each text of the batch, found once per batch (0: not yet; -1: none).
    const words = new Int32Array(texts.length);
    for (let row = 0, at = k; row < length; row++, at += n) {
      const code = codes[row] as number;
      let word = -1;
      if (code !== NULL_CODE) {
        word = words[code] as number;
        if (word === 0) {
          word = this.textWord(texts[code] as string);
          words[code] = word;
        }
      }
      narrow[at] = word;
      if (word === -1) isNarrow[row] = 0;
    }
  }

  /** The wide key of row `row` of `columns`, in `this.wide`. */
  private wideRow(columns: ColumnBatch, row: number): void {
    const fields = this.encoder.fields;
    for (let k = 0; k < fields.length; k++) {
      const f = columns.layout.fields.indexOf(fields[k] as string);
      this.encoder.value(f < 0 ? null : columns.value(f, row), this.wide, k * KEY_FIELD_WORDS);
    }
  }

  /** A text's narrow word (odd), or -1 when the encoder hashes it. */
  private textWord(text: string): number {
    const code = this.encoder.codeOf(text);
    return code >= 0 && code < NARROW_LIMIT ? code * 2 + 1 : -1;
  }

  /** The keys of day `day` (UTC days since 1970). */
  private daySet(day: number): DayKeys {
    if (day === this.currentDay) return this.current as DayKeys;
    let keys = this.days.get(day);
    if (!keys) {
      // Sized for a quarter more keys than the day before had (days of one source are alike in
      // size), so that a day somewhat larger does not grow its table, copying every key.
      const expected = Math.ceil((this.current?.narrow.size ?? 0) * 1.25);
      keys = { narrow: new ExactKeySet(this.encoder.fields.length, this.narrowMultipliers, expected), wide: null };
      this.days.set(day, keys);
    }
    this.currentDay = day;
    this.current = keys;
    return keys;
  }

  private wideSet(keys: DayKeys): ExactKeySet {
    if (keys.wide === null) keys.wide = new ExactKeySet(this.encoder.width, this.wideMultipliers);
    return keys.wide;
  }
}

/** A number's narrow word (even): an integer in [-2^29, 2^29) × 2, -0 as 0; -1 for any other number. */
function numberWord(value: number): number {
  return Number.isInteger(value) && value >= -NARROW_LIMIT && value < NARROW_LIMIT ? (value * 2) | 0 : -1;
}

// Domain: record batches held as columns. The NDJSON reader's fast path writes each declared field
// of a record into a typed array (a number, a time in epoch ms, or the code of a text in a table of
// the read's texts) instead of building an object per record; the key filter and the engine loop
// over the arrays. Records are made from the columns, equal to those the row path makes, only for
// consumers that need objects.
import type { FieldValue, TypedRecord } from '../records';

/** How a field is held: numbers and times as doubles, texts and booleans as Int32 codes. */
export const ColumnKind = { Number: 0, Text: 1, Boolean: 2 } as const;
export type ColumnKind = (typeof ColumnKind)[keyof typeof ColumnKind];

/** Null in a number column (the values read are finite, so NaN is free) and in a code column. */
export const NULL_NUMBER = Number.NaN;
export const NULL_CODE = -1;

/** The FNV-1a hash of a text's character codes (of an ASCII text's bytes) starts here... */
export const TEXT_HASH_SEED = 0x811c9dc5;
/** ...and takes each code in with this multiplier. */
export const TEXT_HASH_PRIME = 0x01000193;

/** Texts {@link TextTable.code} remembers. */
const RECENT = 8;

/**
 * Texts, each once, numbered in the order met. A text is found by hashing its characters where they
 * stand in the line, so a text met before in the batch costs no copy.
 */
export class TextTable {
  readonly texts: string[] = [];
  /** Open addressing: code + 1 per slot, 0 for a free slot. */
  private slots = new Int32Array(64);
  /**
   * The last texts coded by `code`, and their codes: an enum's own strings (the same string objects
   * row after row) are found among them without hashing.
   */
  private readonly recentTexts: string[] = ['', '', '', '', '', '', '', ''];
  private readonly recentCodes = new Int32Array(RECENT).fill(-1);
  private nextRecent = 0;

  /** Takes the texts of `other` (whose codes then hold here), before any of its own. */
  adopt(other: TextTable): void {
    for (const text of other.texts) this.code(text);
  }

  code(text: string): number {
    const recent = this.recentTexts;
    for (let i = 0; i < RECENT; i++) {
      if (recent[i] === text && (this.recentCodes[i] as number) >= 0) return this.recentCodes[i] as number;
    }
    const code = this.codeAt(text, 0, text.length);
    recent[this.nextRecent] = text;
    this.recentCodes[this.nextRecent] = code;
    this.nextRecent = (this.nextRecent + 1) % RECENT;
    return code;
  }

  /** The code of `text[start, end)`. */
  codeAt(text: string, start: number, end: number): number {
    let hash = TEXT_HASH_SEED;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), TEXT_HASH_PRIME);
    const mask = this.slots.length - 1;
    const texts = this.texts;
    let slot = (hash ^ (hash >>> 16)) & mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      if (sameText(texts[entry - 1] as string, text, start, end)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const code = texts.length;
    texts.push(start === 0 && end === text.length ? text : text.slice(start, end));
    this.slots[slot] = code + 1;
    if (texts.length * 2 > mask) this.rehash();
    return code;
  }

  /**
   * The code of the ASCII text `bytes[start, end)`: the same code as {@link TextTable.codeAt} of
   * that text (a byte below 0x80 is its character's code, so the hash and the slot are the same).
   */
  codeAtBytes(bytes: Uint8Array, start: number, end: number): number {
    let hash = TEXT_HASH_SEED;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), TEXT_HASH_PRIME);
    return this.codeAtHashedBytes(bytes, start, end, hash);
  }

  /**
   * {@link TextTable.codeAtBytes} of a text whose hash the caller has computed as it went over its
   * bytes: `TEXT_HASH_SEED`, then `Math.imul(hash ^ byte, TEXT_HASH_PRIME)` for each byte.
   */
  codeAtHashedBytes(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    const texts = this.texts;
    let slot = (hash ^ (hash >>> 16)) & mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) break;
      if (sameBytes(texts[entry - 1] as string, bytes, start, end)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const code = texts.length;
    texts.push(asciiText(bytes, start, end));
    this.slots[slot] = code + 1;
    if (texts.length * 2 > mask) this.rehash();
    return code;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    this.texts.forEach((text, code) => {
      let hash = TEXT_HASH_SEED;
      for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), TEXT_HASH_PRIME);
      let slot = (hash ^ (hash >>> 16)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = code + 1;
    });
    this.slots = slots;
  }
}

/** Whether `known` equals `text[start, end)`. */
function sameText(known: string, text: string, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}

/** Whether `known` equals the ASCII text `bytes[start, end)`. */
function sameBytes(known: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

const LATIN1 = new TextDecoder('latin1');

/** The text of ASCII bytes (each byte a character). */
export function asciiText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i] as number);
    return text;
  }
  return LATIN1.decode(bytes.subarray(start, end));
}

/** The fields of a dataset's records as columns: names and kinds in record order. */
export interface ColumnLayout {
  readonly fields: readonly string[];
  readonly kinds: readonly ColumnKind[];
  /** Index of the event-time field (a number column). */
  readonly eventTime: number;
}

/**
 * Records of one dataset as columns. Rows are written at `length` and counted by
 * {@link ColumnBatch.commit}, so a row that fails half-way leaves nothing behind. Each batch has its
 * own table of texts, so that a read of many distinct texts (ids) holds no more of them than a
 * batch has.
 */
export class ColumnBatch {
  length = 0;
  /** Per field, its doubles (number columns) or null. */
  numbers: (Float64Array | null)[];
  /** Per field, its codes (text and boolean columns) or null. */
  codes: (Int32Array | null)[];
  readonly texts = new TextTable();
  private materialized: TypedRecord[] | null = null;

  constructor(
    readonly layout: ColumnLayout,
    private capacity: number,
  ) {
    this.numbers = layout.kinds.map((kind) => (kind === ColumnKind.Number ? new Float64Array(capacity) : null));
    this.codes = layout.kinds.map((kind) => (kind === ColumnKind.Number ? null : new Int32Array(capacity)));
  }

  /** Makes room for one more row. */
  reserve(): void {
    if (this.length < this.capacity) return;
    this.capacity *= 2;
    this.numbers = this.numbers.map((column) => {
      if (column === null) return null;
      const grown = new Float64Array(this.capacity);
      grown.set(column);
      return grown;
    });
    this.codes = this.codes.map((column) => {
      if (column === null) return null;
      const grown = new Int32Array(this.capacity);
      grown.set(column);
      return grown;
    });
  }

  /** Counts the row written at `length`. */
  commit(): void {
    this.length += 1;
  }

  /** The column of `field` when it holds numbers, else null. */
  numberColumn(field: string): Float64Array | null {
    const at = this.layout.fields.indexOf(field);
    return at < 0 ? null : (this.numbers[at] as Float64Array | null);
  }

  /** The column of `field` when it holds text codes, else null. */
  textColumn(field: string): Int32Array | null {
    const at = this.layout.fields.indexOf(field);
    return at < 0 || this.layout.kinds[at] !== ColumnKind.Text ? null : (this.codes[at] as Int32Array);
  }

  /** The value of `field` in row `row`, as the record holds it. */
  value(field: number, row: number): FieldValue {
    const numbers = this.numbers[field];
    if (numbers) {
      const number = numbers[row] as number;
      return Number.isNaN(number) ? null : number;
    }
    const code = (this.codes[field] as Int32Array)[row] as number;
    if (code === NULL_CODE) return null;
    return this.layout.kinds[field] === ColumnKind.Boolean ? code === 1 : (this.texts.texts[code] as string);
  }

  /** The records, made once: equal to those the row path makes (same fields, same order, same values). */
  records(): TypedRecord[] {
    if (this.materialized) return this.materialized;
    const fields = this.layout.fields;
    const records: TypedRecord[] = new Array(this.length);
    for (let row = 0; row < this.length; row++) {
      const record: Record<string, FieldValue> = {};
      for (let f = 0; f < fields.length; f++) record[fields[f] as string] = this.value(f, row);
      records[row] = record;
    }
    this.materialized = records;
    return records;
  }

  /** `base` with these rows as its records and columns (see {@link withColumns}). */
  recordBatch<T extends object>(base: T): T & { readonly records: TypedRecord[]; readonly columns: ColumnBatch } {
    return withColumns(base, this);
  }

  /** A batch of the rows whose `keep` is 1, in order. */
  select(keep: Uint8Array): ColumnBatch {
    const out = new ColumnBatch(this.layout, Math.max(1, this.length));
    out.texts.adopt(this.texts);
    for (let f = 0; f < this.layout.fields.length; f++) {
      const from = (this.numbers[f] ?? this.codes[f]) as Float64Array | Int32Array;
      const to = (out.numbers[f] ?? out.codes[f]) as Float64Array | Int32Array;
      let at = 0;
      for (let row = 0; row < this.length; row++) if (keep[row] === 1) to[at++] = from[row] as number;
    }
    for (let row = 0; row < this.length; row++) out.length += keep[row] as number;
    return out;
  }
}

/**
 * A batch whose records are made from `columns` when first asked for (an own enumerable getter, so
 * that a spread of the batch still copies them).
 */
export function withColumns<T extends object>(
  base: T,
  columns: ColumnBatch,
): T & { readonly records: TypedRecord[]; readonly columns: ColumnBatch } {
  const batch = Object.defineProperty({ ...base, columns }, 'records', {
    enumerable: true,
    get: () => columns.records(),
  });
  return batch as T & { readonly records: TypedRecord[]; readonly columns: ColumnBatch };
}

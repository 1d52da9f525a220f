// Domain: the byte path's one pass. For one learned compact shape (flat-json.ts) and the rules of
// the fields its keys fill (mapping.ts), a line plan checks a line of ASCII bytes against the shape
// and writes each value, typed and checked, straight into a column batch: no positions are kept
// between a scan and a mapping, and each key's reader is chosen once, when the plan is built. It
// accepts a subset of what `scanBytes` (flat-json-bytes.ts) then `ColumnarMapping.mapBytesInto` accept,
// with the same values; a line it refuses is given to them, so it decides no outcome of its own.
import { type ColumnBatch, NULL_CODE, NULL_NUMBER, TEXT_HASH_PRIME, TEXT_HASH_SEED, type TextTable } from './columns';
import { type ByteShape, FlatSpans } from './flat-json';
import { readNumberBytes, scanValueBytes, stringEndBytes } from './flat-json-bytes';
import type { IsoTimeColumnParser } from './timestamp';

/** How a key's value is read. */
export const ByteRead = {
  /** A key no field reads: its value is checked as JSON only. */
  Skip: 0,
  /** A JSON number, checked against `low`, `high` and `integer`. */
  Number: 1,
  /** A JSON true or false. */
  Boolean: 2,
  /** A JSON string holding an ISO-8601 time, checked against `low` and `high`. */
  IsoTime: 3,
  /** A JSON string, checked against `allowed` and coded in the batch's text table. */
  Text: 4,
} as const;
export type ByteRead = (typeof ByteRead)[keyof typeof ByteRead];

/** The checks of a field read from bytes (the mapping's rule of that field). */
export interface ByteRule {
  /** Inclusive bounds: of a number (finite: ±Infinity fails them), or of a time in epoch ms. */
  readonly low: number;
  readonly high: number;
  readonly integer: boolean;
  /** IsoTime: the field's parser (at its offset for times without a zone), which remembers dates it has read. */
  readonly iso: IsoTimeColumnParser | null;
  /** Text: the enum, or null for any text. */
  readonly allowed: readonly string[] | null;
  /** Text: trimmed, so text with a space at either end is left to the converters. */
  readonly trim: boolean;
  /** Whether JSON null or a missing key reads as null (no default, not required); false for General. */
  readonly orNull: boolean;
}

/** How to read lines of one shape into columns; build with {@link linePlan}. */
export interface LinePlan {
  readonly shape: ByteShape;
  /** Per key: how its value is read, the field (column) it fills or -1, that field's rule and enum codes. */
  readonly reads: Uint8Array;
  readonly fields: Int32Array;
  readonly rules: readonly (ByteRule | null)[];
  readonly enumCodes: readonly (Int32Array | null)[];
  /** Per key of an enum field (Text): its values as bytes, matched where they stand (see `readEnum`). */
  readonly enumBytes: readonly (readonly EnumValue[] | null)[];
  /** Fields no key of the shape fills: null in every row (each reads a missing key as null). */
  readonly nullFields: Int32Array;
  /**
   * The text before each key's value (4 bytes or more: a brace or comma, two quotes, a colon),
   * compared 4 bytes at a time: key k's is `headLengths[k]` bytes long, and its words
   * `wordStarts[k]` to `wordStarts[k + 1]` stand at `wordOffsets` within it (the last one ends
   * with the text, overlapping the one before when the length is not a multiple of 4).
   */
  readonly headLengths: Int32Array;
  readonly wordStarts: Int32Array;
  readonly wordOffsets: Int32Array;
  readonly words: Int32Array;
}

/** A value of an enum as bytes, its index in the enum and its text. */
export interface EnumValue {
  readonly bytes: Uint8Array;
  readonly index: number;
  readonly text: string;
}

/** The values of an enum a string's bytes can equal where they stand (see `readEnum`). */
function enumValues(rule: ByteRule): EnumValue[] {
  const values: EnumValue[] = [];
  (rule.allowed ?? []).forEach((text, index) => {
    if (text === '' || !/^[\x20-\x7f]*$/.test(text) || /["\\]/.test(text)) return;
    if (rule.trim && (text.startsWith(' ') || text.endsWith(' '))) return;
    values.push({ bytes: Uint8Array.from(text, (ch) => ch.charCodeAt(0)), index, text });
  });
  return values;
}

/** One key's field as the plan reads it: how, with which rule, and its enum codes (see `mapBytesInto`). */
export interface PlannedField {
  readonly read: ByteRead;
  readonly rule: ByteRule;
  readonly enumCodes: Int32Array;
}

/**
 * The plan of `shape`, whose key k fills field `shape.slots[k]` (a field index, -1 for none), or
 * null when some line of it could not be read here (a field read only by the converters, a field
 * the shape lacks that must not be null): those lines all take the two-pass path.
 * @param fieldOf per field index, how it is read, or null when only the converters read it
 */
export function linePlan(shape: ByteShape, fieldOf: readonly (PlannedField | null)[]): LinePlan | null {
  const keys = shape.slots.length;
  const reads = new Uint8Array(keys);
  const rules: (ByteRule | null)[] = [];
  const enumCodes: (Int32Array | null)[] = [];
  const enumBytes: (EnumValue[] | null)[] = [];
  const present = new Set<number>();
  for (let k = 0; k < keys; k++) {
    const field = shape.slots[k] as number;
    const planned = field < 0 ? null : fieldOf[field];
    if (field >= 0 && !planned) return null;
    present.add(field);
    reads[k] = planned ? planned.read : ByteRead.Skip;
    rules.push(planned ? planned.rule : null);
    enumCodes.push(planned ? planned.enumCodes : null);
    enumBytes.push(planned?.read === ByteRead.Text && planned.rule.allowed !== null ? enumValues(planned.rule) : null);
  }
  const nullFields: number[] = [];
  for (let field = 0; field < fieldOf.length; field++) {
    if (present.has(field)) continue;
    if (!fieldOf[field]?.rule.orNull) return null;
    nullFields.push(field);
  }
  return {
    shape,
    reads,
    fields: Int32Array.from(shape.slots),
    rules,
    enumCodes,
    enumBytes,
    nullFields: Int32Array.from(nullFields),
    ...headWords(shape),
  };
}

/** The heads of `shape` as little-endian 32-bit words (see `LinePlan.words`). */
function headWords(shape: ByteShape) {
  const heads = shape.headBytes;
  const keys = shape.headStarts.length - 1;
  const headLengths = new Int32Array(keys);
  const wordStarts = [0];
  const wordOffsets: number[] = [];
  const words: number[] = [];
  for (let k = 0; k < keys; k++) {
    const start = shape.headStarts[k] as number;
    const length = (shape.headStarts[k + 1] as number) - start;
    headLengths[k] = length;
    for (let offset = 0; offset < length; offset += 4) {
      const at = start + Math.min(offset, length - 4);
      wordOffsets.push(at - start);
      words.push(
        (heads[at] as number) |
          ((heads[at + 1] as number) << 8) |
          ((heads[at + 2] as number) << 16) |
          ((heads[at + 3] as number) << 24),
      );
    }
    wordStarts.push(words.length);
  }
  return {
    headLengths,
    wordStarts: Int32Array.from(wordStarts),
    wordOffsets: Int32Array.from(wordOffsets),
    words: Int32Array.from(words),
  };
}

const SPACE = 32;
const BACKSLASH = 92;
const TAB = 9;
const QUOTE = 34;
const CLOSE_BRACE = 125;
/** Where the values of skipped keys would be recorded: nowhere (slot -1). */
const NO_SPANS = new FlatSpans(0);

/**
 * Reads the line of `bytes` (`view` is a DataView of the same bytes) at `start` into row
 * `columns.length` by `plan` (the caller commits the
 * row, after checking the event time): where the line's text ends (after the closing brace and any
 * spaces or tabs), or -1 when the line is not of the plan's shape or a value is not one the plan
 * reads (the row is then left unwritten in part, and the line goes the two-pass path). Like
 * `scanBytes`, no step reads past a line break.
 */
export function readLineBytes(
  plan: LinePlan,
  bytes: Uint8Array,
  view: DataView,
  start: number,
  columns: ColumnBatch,
): number {
  const row = columns.length;
  const nullFields = plan.nullFields;
  for (let i = 0; i < nullFields.length; i++) writeNull(columns, nullFields[i] as number, row);
  const { headLengths, wordStarts, wordOffsets, words, reads } = plan;
  const n = bytes.length;
  let at = start;
  while (bytes[at] === SPACE || bytes[at] === TAB) at++;
  for (let k = 0; k < reads.length; k++) {
    // Compared a word at a time; a head that would run past the bytes is no head of a whole line.
    const length = headLengths[k] as number;
    if (at + length > n) return -1;
    const wordEnd = wordStarts[k + 1] as number;
    for (let w = wordStarts[k] as number; w < wordEnd; w++) {
      if (view.getInt32(at + (wordOffsets[w] as number), true) !== words[w]) return -1;
    }
    at += length;
    const read = reads[k] as ByteRead;
    at =
      read === ByteRead.Skip
        ? scanValueBytes(bytes, at, NO_SPANS, -1)
        : readValue(plan, k, read, bytes, at, columns, row);
    if (at < 0) return -1;
  }
  if (bytes[at] !== CLOSE_BRACE) return -1;
  at++;
  while (bytes[at] === SPACE || bytes[at] === TAB) at++;
  return at;
}

function writeNull(columns: ColumnBatch, field: number, row: number): void {
  const doubles = columns.numbers[field];
  if (doubles) doubles[row] = NULL_NUMBER;
  else (columns.codes[field] as Int32Array)[row] = NULL_CODE;
}

/** Reads key k's value at `at` into its field's column; the position after it, or -1. */
function readValue(
  plan: LinePlan,
  k: number,
  read: ByteRead,
  bytes: Uint8Array,
  at: number,
  columns: ColumnBatch,
  row: number,
): number {
  const field = plan.fields[k] as number;
  const rule = plan.rules[k] as ByteRule;
  const c = bytes[at];
  if (c === 110) {
    if (!rule.orNull || bytes[at + 1] !== 117 || bytes[at + 2] !== 108 || bytes[at + 3] !== 108) return -1;
    writeNull(columns, field, row);
    return at + 4;
  }
  if (read === ByteRead.Number) {
    const doubles = columns.numbers[field] as Float64Array;
    const end = readNumberBytes(bytes, at, doubles, row);
    if (end < 0) return -1;
    const number = doubles[row] as number;
    if (!(number >= rule.low && number <= rule.high)) return -1;
    return rule.integer && !Number.isSafeInteger(number) ? -1 : end;
  }
  if (read === ByteRead.Boolean) return readBoolean(bytes, at, columns.codes[field] as Int32Array, row);
  if (c !== QUOTE) return -1;
  if (read === ByteRead.IsoTime) return readTime(rule, bytes, at, columns.numbers[field] as Float64Array, row);
  const enumBytes = plan.enumBytes[k];
  if (enumBytes) return readEnum(enumBytes, plan.enumCodes[k] as Int32Array, bytes, at, columns, field, row);
  return readText(rule, bytes, at, columns, field, row);
}

/**
 * The text in the string at `at` (its opening quote), for a field without an enum, into its codes:
 * hashed as it is scanned for its closing quote (the hash `TextTable.codeAtBytes` computes). The
 * position after the string, or -1 for a string `stringEndBytes` refuses or a text `byteTextCode`
 * leaves to the converters (empty, or with a space at either end of a trimmed field).
 */
function readText(
  rule: ByteRule,
  bytes: Uint8Array,
  at: number,
  columns: ColumnBatch,
  field: number,
  row: number,
): number {
  const from = at + 1;
  let hash = TEXT_HASH_SEED;
  let end = from;
  for (;;) {
    const b = bytes[end] as number;
    if (b === QUOTE) break;
    if (!(b >= SPACE && b < 128) || b === BACKSLASH) return -1;
    hash = Math.imul(hash ^ b, TEXT_HASH_PRIME);
    end++;
  }
  if (end === from || (rule.trim && (bytes[from] === SPACE || bytes[end - 1] === SPACE))) return -1;
  (columns.codes[field] as Int32Array)[row] = columns.texts.codeAtHashedBytes(bytes, from, end, hash);
  return end + 1;
}

/** ISO time length as `toISOString` writes it. */
const ISO_LENGTH = 24;

/**
 * The time in the string at `at` (its opening quote) into `doubles[row]`; the position after the
 * string, or -1. A time of the remembered date as `toISOString` writes it is read where it stands:
 * its bytes are all digits or `-T:.Z`, so the string ends at the quote after it, as a scan for
 * the quote would find.
 */
function readTime(rule: ByteRule, bytes: Uint8Array, at: number, doubles: Float64Array, row: number): number {
  const iso = rule.iso as IsoTimeColumnParser;
  let millis: number | string = -1;
  let end = at + 1 + ISO_LENGTH;
  // Not read past the bytes (a read past a typed array slows every later read of it).
  if (end < bytes.length && bytes[end] === QUOTE) millis = iso.sameDayBytes(bytes, at + 1, ISO_LENGTH);
  if (millis < 0) {
    end = stringEndBytes(bytes, at + 1);
    if (end < 0) return -1;
    millis = iso.parseBytes(bytes, at + 1, end);
  }
  if (typeof millis !== 'number' || !(millis >= rule.low && millis <= rule.high)) return -1;
  doubles[row] = millis;
  return end + 1;
}

/**
 * The enum value in the string at `at` (its opening quote) into the field's codes; the position
 * after the string, or -1 when it holds no value of `enumBytes` (the enum's values that are not
 * empty, have no space at either end when the field is trimmed, and only bytes a string may hold
 * unescaped: the same values `byteTextCode` finds, with their indexes in the enum).
 */
function readEnum(
  enumBytes: readonly EnumValue[],
  enumCodes: Int32Array,
  bytes: Uint8Array,
  at: number,
  columns: ColumnBatch,
  field: number,
  row: number,
): number {
  const from = at + 1;
  for (let e = 0; e < enumBytes.length; e++) {
    const { bytes: value, index, text } = enumBytes[e] as EnumValue;
    const end = from + value.length;
    if (end >= bytes.length || bytes[end] !== QUOTE) continue;
    let same = true;
    for (let i = 0; i < value.length; i++) {
      if (bytes[from + i] !== value[i]) {
        same = false;
        break;
      }
    }
    if (!same) continue;
    let code = enumCodes[index] as number;
    if (code < 0) {
      code = columns.texts.code(text);
      enumCodes[index] = code;
    }
    (columns.codes[field] as Int32Array)[row] = code;
    return end + 1;
  }
  return -1;
}

/** A JSON true (1) or false (0) at `at` into `codes[row]`; the position after it, or -1. */
function readBoolean(bytes: Uint8Array, at: number, codes: Int32Array, row: number): number {
  if (bytes[at] === 116 && bytes[at + 1] === 114 && bytes[at + 2] === 117 && bytes[at + 3] === 101) {
    codes[row] = 1;
    return at + 4;
  }
  if (
    bytes[at] === 102 &&
    bytes[at + 1] === 97 &&
    bytes[at + 2] === 108 &&
    bytes[at + 3] === 115 &&
    bytes[at + 4] === 101
  ) {
    codes[row] = 0;
    return at + 5;
  }
  return -1;
}

/**
 * The code of the text `bytes[start, end)` in `texts`, or -1 when the converters must judge it
 * (empty, a space at either end of a trimmed field, a value outside the enum). An enum value's
 * code is looked up once per text table (`enumCodes`, -1: not yet).
 */
export function byteTextCode(
  rule: ByteRule,
  bytes: Uint8Array,
  start: number,
  end: number,
  texts: TextTable,
  enumCodes: Int32Array,
): number {
  if (end <= start) return -1;
  if (rule.trim && (bytes[start] === 32 || bytes[end - 1] === 32)) return -1;
  const allowed = rule.allowed;
  if (allowed === null) return texts.codeAtBytes(bytes, start, end);
  const length = end - start;
  for (let a = 0; a < allowed.length; a++) {
    const candidate = allowed[a] as string;
    if (candidate.length === length && sameBytes(bytes, start, candidate)) {
      let code = enumCodes[a] as number;
      if (code < 0) {
        code = texts.code(candidate);
        enumCodes[a] = code;
      }
      return code;
    }
  }
  return -1;
}

/** Whether `bytes` hold `candidate` at `start`. */
function sameBytes(bytes: Uint8Array, start: number, candidate: string): boolean {
  for (let i = 0; i < candidate.length; i++) if (bytes[start + i] !== candidate.charCodeAt(i)) return false;
  return true;
}

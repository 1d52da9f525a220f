// Domain: the byte scan of the NDJSON fast path, for the columnar reader only (columnar.ts): a line
// of UTF-8 bytes checked against a learned compact shape (flat-json.ts) in one pass that checks and
// locates its values together. Kept apart from flat-json.ts so that readers of text alone (the
// ingestion functions, the raw-object decoder) do not carry it.
import {
  type FlatJsonShapes,
  type FlatSpans,
  type LearnedShape,
  MAX_FAST_DIGITS,
  POWERS_OF_TEN,
  SpanKind,
} from './flat-json';

const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * Like `FlatJsonShapes.scan`, over UTF-8 bytes, for compact shapes (as JSON.stringify writes lines)
 * and lines of ASCII only, without knowing where the line ends: checks the line at `start` against
 * the shapes `shapes` has learned and fills `spans` with positions in `bytes`. It accepts a subset
 * of what `scan` accepts (a line `scan` would reject is never accepted here), with the same values:
 * a string with a byte outside 0x20-0x7f or an escape, a number of more than 15 digits or with an
 * exponent, a line of another shape or with spaces between its tokens, all give -1, and the line is
 * then decoded and scanned as text.
 * @returns where the line's text ends (after the closing brace and any spaces or tabs), or -1;
 *   the line is checked only if a line break (or the end of the input) stands there
 */
export function scanBytes(shapes: FlatJsonShapes, bytes: Uint8Array, start: number, spans: FlatSpans): number {
  const learned = shapes.learnedShapes();
  for (let s = 0; s < learned.length; s++) {
    const shape = learned[s] as LearnedShape;
    if (shape.headBytes === null) continue;
    const end = scanShapeBytes(shape, shape.headBytes, bytes, start, spans);
    if (end < 0) continue;
    shapes.promote(s);
    return end;
  }
  return -1;
}

const SPACE_CODE = 32;
const TAB = 9;
const BACKSLASH = 92;
const CLOSE_BRACE = 125;
/** `true`, `false`, `null` as bytes after their first letter. */
const TRUE_REST = [114, 117, 101];
const FALSE_REST = [97, 108, 115, 101];
const NULL_REST = [117, 108, 108];

/**
 * Checks the line at `start` against a compact shape and records its values in `spans`; returns
 * where its text ends, or -1. No step reads past a line break: none accepts a CR or an LF (nor
 * the undefined past the array).
 */
function scanShapeBytes(
  shape: LearnedShape,
  heads: Uint8Array,
  bytes: Uint8Array,
  start: number,
  spans: FlatSpans,
): number {
  let at = start;
  while (bytes[at] === SPACE_CODE || bytes[at] === TAB) at++;
  const starts = shape.headStarts;
  const slots = shape.slots;
  if (!shape.complete) spans.kinds.fill(SpanKind.Absent);
  for (let k = 0; k < slots.length; k++) {
    const headEnd = starts[k + 1] as number;
    for (let h = starts[k] as number; h < headEnd; h++) if (bytes[at++] !== heads[h]) return -1;
    at = scanValueBytes(bytes, at, spans, slots[k] as number);
    if (at < 0) return -1;
  }
  if (bytes[at] !== CLOSE_BRACE) return -1;
  at++;
  while (bytes[at] === SPACE_CODE || bytes[at] === TAB) at++;
  return at;
}

/**
 * Where the string whose text starts at `from` (after its opening quote) has its closing quote, or
 * -1 when a byte before it is a control character, an escape or a byte of a multi-byte character
 * (nor undefined: no string runs past the array).
 */
export function stringEndBytes(bytes: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const b = bytes[i] as number;
    if (b === QUOTE) return i;
    if (!(b >= SPACE_CODE && b < 128) || b === BACKSLASH) return -1;
    i++;
  }
}

/** Checks one value at `at` and records it in `slot` (when ≥ 0); the position after it, or -1. */
export function scanValueBytes(bytes: Uint8Array, at: number, spans: FlatSpans, slot: number): number {
  const c = bytes[at] as number;
  if (c === QUOTE) {
    const from = at + 1;
    const i = stringEndBytes(bytes, from);
    if (i < 0) return -1;
    if (slot >= 0) {
      spans.kinds[slot] = SpanKind.String;
      spans.starts[slot] = from;
      spans.ends[slot] = i;
    }
    return i + 1;
  }
  if (c === 116) return literalBytes(bytes, at, TRUE_REST, spans, slot, SpanKind.True);
  if (c === 102) return literalBytes(bytes, at, FALSE_REST, spans, slot, SpanKind.False);
  if (c === 110) return literalBytes(bytes, at, NULL_REST, spans, slot, SpanKind.Null);
  return scanNumberBytes(bytes, at, spans, slot);
}

function literalBytes(
  bytes: Uint8Array,
  at: number,
  rest: readonly number[],
  spans: FlatSpans,
  slot: number,
  kind: SpanKind,
): number {
  for (let i = 0; i < rest.length; i++) if (bytes[at + 1 + i] !== rest[i]) return -1;
  if (slot >= 0) spans.kinds[slot] = kind;
  return at + 1 + rest.length;
}

/**
 * Checks a JSON number of at most 15 digits without an exponent and reads it as `locateNumber`
 * does (the same double); -1 for anything else, which the text path then reads.
 */
function scanNumberBytes(bytes: Uint8Array, at: number, spans: FlatSpans, slot: number): number {
  const end = slot < 0 ? readNumberBytes(bytes, at, DISCARDED, 0) : readNumberBytes(bytes, at, spans.numbers, slot);
  if (end >= 0 && slot >= 0) spans.kinds[slot] = SpanKind.Number;
  return end;
}

/** Where the numbers of keys no field reads are written (never read). */
const DISCARDED = new Float64Array(1);

/**
 * The number at `at` as {@link scanNumberBytes} reads it, written to `out[index]`; returns the
 * position after it, or -1 (nothing written) for anything but a JSON number of at most 15 digits
 * without an exponent.
 */
export function readNumberBytes(bytes: Uint8Array, at: number, out: Float64Array, index: number): number {
  let c = bytes[at] as number;
  const negative = c === MINUS;
  if (negative) c = bytes[++at] as number;
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  if (c === ZERO) {
    c = bytes[++at] as number;
    digits = 1;
    if (c >= ZERO && c <= NINE) return -1;
  } else if (c > ZERO && c <= NINE) {
    do {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      c = bytes[++at] as number;
    } while (c >= ZERO && c <= NINE);
  } else return -1;
  if (c === DOT) {
    c = bytes[++at] as number;
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      decimals++;
      c = bytes[++at] as number;
    }
    if (decimals === 0) return -1;
  }
  if (c === 101 || c === 69 || digits > MAX_FAST_DIGITS) return -1;
  const value = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number);
  out[index] = negative ? -value : value;
  return at;
}

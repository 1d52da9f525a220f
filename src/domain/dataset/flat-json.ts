// Domain: the fast path of the NDJSON reader. Most telemetry lines are flat objects whose keys
// come in the same order line after line. From a line parsed with JSON.parse, this learns that
// "shape" as one anchored regular expression (compiled to native code by the engine) that checks a
// line has exactly those keys, in that order, each with a JSON string without escapes, a number or
// a literal. A line that passes is then walked once to locate each wanted value (strings as the
// positions between their quotes, numbers converted as they are passed) without allocating. A
// line that does not pass (escapes, nesting, other keys, a syntax error) goes to JSON.parse, which
// gives the same values, or the error message. Compact shapes are also checked over UTF-8 bytes
// (`scanBytes`), in one pass that checks and locates together, for the reader's byte path.

/** One JSON value: a string without escapes, a number, or a literal. */
const VALUE = '(?:"[^"\\\\\\x00-\\x1f]*"|-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)';
// No CR: a CR ends a line, so the lines scanned hold none, and a CR after a line (CRLF) must not be
// taken as trailing space, or the match would end past the line.
const SPACE = '[ \\t]*';

/** What a slot holds after a scan. */
export const SpanKind = { Absent: 0, String: 1, Number: 2, True: 3, False: 4, Null: 5 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/**
 * The wanted values of one scanned line, by slot, as positions in its text: for a string, the
 * characters between its quotes (it has no escapes); for a number, its value.
 */
export class FlatSpans {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly numbers: Float64Array;

  constructor(slots: number) {
    this.kinds = new Uint8Array(slots);
    this.starts = new Int32Array(slots);
    this.ends = new Int32Array(slots);
    this.numbers = new Float64Array(slots);
  }

  /** The value of `slot` as JSON.parse reads it; undefined when the line lacks the key. */
  value(text: string, slot: number): unknown {
    switch (this.kinds[slot]) {
      case SpanKind.String:
        return text.slice(this.starts[slot], this.ends[slot]);
      case SpanKind.Number:
        return this.numbers[slot];
      case SpanKind.True:
        return true;
      case SpanKind.False:
        return false;
      case SpanKind.Null:
        return null;
      default:
        return undefined;
    }
  }
}

/**
 * What the byte path needs of a learned compact shape: the text before each value as ASCII bytes
 * (key k's from `headStarts[k]` to `headStarts[k + 1]`), and the slot each key's value fills (-1
 * for a key no field reads). A line plan (byte-line.ts) is built from it once per shape.
 */
export interface ByteShape {
  readonly headBytes: Uint8Array;
  readonly headStarts: Int32Array;
  readonly slots: Int32Array;
}

/** A learned key order. */
interface Shape {
  /** The keys in order, joined: a line that failed for another reason (an escape) adds no shape. */
  readonly signature: string;
  readonly compact: boolean;
  /** Matches a whole line of this shape (sticky: set `lastIndex` to the line start). */
  readonly expression: RegExp;
  /**
   * Per key, the length of the text before its value: compact, `{"a":` then `,"b":`; with spaces,
   * the key in quotes alone (the braces, commas, colons and spaces around it are skipped).
   */
  readonly heads: Int32Array;
  /** Per key, the slot its value fills, or -1 for a key no field reads. */
  readonly slots: Int32Array;
  /** Whether every slot has a key in this shape (no slot needs clearing). */
  readonly complete: boolean;
  /**
   * For a compact shape whose keys are ASCII, the text before each value as bytes (`{"a":`, then
   * `,"b":`, ...), all keys in one array, key k's from `headStarts[k]` to `headStarts[k + 1]`
   * (see {@link FlatJsonShapes.scanBytes}); null otherwise.
   */
  readonly headBytes: Uint8Array | null;
  readonly headStarts: Int32Array;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;
/** 10^k for k ≤ 22: exactly representable, so an integer below 2^53 divided by one is correctly rounded. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits of a number read digit by digit; 15 keep the integer below 10^15 < 2^53. */
const MAX_FAST_DIGITS = 15;

/** Picks the values of known keys out of flat JSON object lines. */
export class FlatJsonShapes {
  private readonly slotOf: Map<string, number>;
  /** Most recently matched first. */
  private shapes: Shape[] = [];
  private learned = 0;
  /** Scratch for `match`. */
  private readonly scratch: FlatSpans;

  /**
   * @param keys the JSON key read into each slot, in slot order
   * @param maxShapes how many key orders to keep at once
   * @param maxLearned how many to learn in all; input whose key order changes every line stops
   *   learning and goes through JSON.parse only
   */
  constructor(
    private readonly keys: readonly string[],
    private readonly maxShapes = 4,
    private readonly maxLearned = 32,
  ) {
    this.slotOf = new Map(keys.map((key, slot) => [key, slot]));
    this.scratch = new FlatSpans(keys.length);
  }

  /**
   * Scans `text[start, end)` against the learned shapes and fills `spans` (slots of absent keys:
   * `SpanKind.Absent`).
   * @returns false when no shape matches; parse the line with JSON.parse then (and `learn` from it)
   */
  scan(text: string, start: number, end: number, spans: FlatSpans): boolean {
    const shapes = this.shapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s] as Shape;
      const expression = shape.expression;
      expression.lastIndex = start;
      if (!expression.test(text) || expression.lastIndex !== end) continue;
      if (s > 0) {
        shapes.splice(s, 1);
        shapes.unshift(shape);
      }
      if (!shape.complete) spans.kinds.fill(SpanKind.Absent);
      locateValues(shape, text, start, spans);
      return true;
    }
    return false;
  }

  /**
   * Like `scan`, over UTF-8 bytes, for compact shapes (as JSON.stringify writes lines) and lines of
   * ASCII only, without knowing where the line ends: checks the line at `start` and fills `spans`
   * with positions in `bytes`. It accepts a subset of what `scan` accepts (a line `scan` would
   * reject is never accepted here), with the same values: a string with a byte outside 0x20-0x7f or
   * an escape, a number of more than 15 digits or with an exponent, a line of another shape or with
   * spaces between its tokens, all give -1, and the line is then decoded and scanned as text.
   * @returns where the line's text ends (after the closing brace and any spaces or tabs), or -1;
   *   the line is checked only if a line break (or the end of the input) stands there
   */
  scanBytes(bytes: Uint8Array, start: number, spans: FlatSpans): number {
    const shapes = this.shapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s] as Shape;
      if (shape.headBytes === null) continue;
      const end = scanShapeBytes(shape, shape.headBytes, bytes, start, spans);
      if (end < 0) continue;
      if (s > 0) {
        shapes.splice(s, 1);
        shapes.unshift(shape);
      }
      return end;
    }
    return -1;
  }

  /**
   * The shape `scanBytes` tries first (the one the last line of bytes or text matched, or the last
   * learned), when it is compact and ASCII; null otherwise. The same object while it stays first.
   */
  firstByteShape(): ByteShape | null {
    const shape = this.shapes[0];
    return shape !== undefined && shape.headBytes !== null ? (shape as ByteShape) : null;
  }

  /**
   * Like `scan`, but writes each wanted value to `values[slot]` as JSON.parse reads it (absent
   * keys: undefined).
   */
  match(text: string, start: number, end: number, values: unknown[]): boolean {
    const spans = this.scratch;
    if (!this.scan(text, start, end, spans)) return false;
    for (let slot = 0; slot < this.keys.length; slot++) values[slot] = spans.value(text, slot);
    return true;
  }

  /**
   * Learns the key order of a parsed line, if it is flat (scalar values only). Lines written
   * without spaces (as JSON.stringify writes them) get an expression without the optional spaces,
   * which matches faster, and their values are found by the length of the keys before them.
   */
  learn(object: Record<string, unknown>, line: string): void {
    if (this.learned >= this.maxLearned) return;
    const signature = Object.keys(object).join('\u0000');
    const compact = JSON.stringify(object) === line.trim();
    if (this.shapes.some((shape) => shape.signature === signature && shape.compact === compact)) return;
    const space = compact ? '' : SPACE;
    const parts: string[] = [];
    const heads: number[] = [];
    const slots: number[] = [];
    for (const key in object) {
      const value = object[key];
      if (value !== null && typeof value === 'object') return;
      const name = JSON.stringify(key);
      parts.push(`${escapeRegExp(name)}${space}:${space}${VALUE}`);
      heads.push(compact ? name.length + 2 : name.length);
      slots.push(this.slotOf.get(key) ?? -1);
    }
    this.learned += 1;
    const body = parts.join(`${space},${space}`);
    const headText = Object.keys(object)
      .map((key, k) => `${k === 0 ? '{' : ','}${JSON.stringify(key)}:`)
      .join('');
    const ascii = compact && /^[\x20-\x7e]*$/.test(headText);
    const headStarts = [0];
    for (const key of Object.keys(object))
      headStarts.push((headStarts.at(-1) as number) + JSON.stringify(key).length + 2);
    const expression = new RegExp(`${SPACE}\\{${space}${body}${space}\\}${SPACE}`, 'y');
    const complete = new Set(slots.filter((slot) => slot >= 0)).size === this.keys.length;
    this.shapes.unshift({
      signature,
      compact,
      expression,
      heads: Int32Array.from(heads),
      slots: Int32Array.from(slots),
      complete,
      headBytes: ascii ? Uint8Array.from(headText, (c) => c.charCodeAt(0)) : null,
      headStarts: Int32Array.from(headStarts),
    });
    if (this.shapes.length > this.maxShapes) this.shapes.pop();
  }
}

/**
 * Walks a line its shape's expression matched, recording each wanted value. The expression has
 * checked the grammar, so the walk only steps: over the text before each value (its length is
 * known when the line is compact), then over the value.
 */
function locateValues(shape: Shape, text: string, start: number, spans: FlatSpans): void {
  const heads = shape.heads;
  const slots = shape.slots;
  let at = skipSpaces(text, start);
  if (shape.compact) {
    for (let k = 0; k < heads.length; k++) at = locateValue(text, at + (heads[k] as number), spans, slots[k] as number);
    return;
  }
  at += 1; // {
  for (let k = 0; k < heads.length; k++) {
    at = skipSpaces(text, at);
    if (k > 0) at = skipSpaces(text, at + 1); // ,
    at = skipSpaces(text, at + (heads[k] as number));
    at = locateValue(text, skipSpaces(text, at + 1), spans, slots[k] as number); // :
  }
}

function skipSpaces(text: string, at: number): number {
  for (;;) {
    const c = text.charCodeAt(at);
    if (c !== 32 && c !== 9 && c !== 13) return at;
    at++;
  }
}

/** Records the value at `at` in `slot` (when ≥ 0); returns the position after it. */
function locateValue(text: string, at: number, spans: FlatSpans, slot: number): number {
  const c = text.charCodeAt(at);
  if (c === QUOTE) {
    const close = text.indexOf('"', at + 1);
    if (slot >= 0) {
      spans.kinds[slot] = SpanKind.String;
      spans.starts[slot] = at + 1;
      spans.ends[slot] = close;
    }
    return close + 1;
  }
  if (c === 116 || c === 110) {
    if (slot >= 0) spans.kinds[slot] = c === 116 ? SpanKind.True : SpanKind.Null;
    return at + 4;
  }
  if (c === 102) {
    if (slot >= 0) spans.kinds[slot] = SpanKind.False;
    return at + 5;
  }
  return locateNumber(text, at, spans, slot);
}

/**
 * Reads a JSON number the expression has checked. Up to 15 digits without an exponent, the value
 * is the digits as an integer divided by a power of ten: both exact, so the quotient is correctly
 * rounded, the same double JSON.parse reads. Longer numbers are converted from their text.
 */
function locateNumber(text: string, start: number, spans: FlatSpans, slot: number): number {
  let at = start;
  const negative = text.charCodeAt(at) === MINUS;
  if (negative) at++;
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  let exponent = false;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === DOT) decimals = 0;
    else if (c === 101 || c === 69 || ((c === PLUS || c === MINUS) && exponent)) exponent = true;
    else break;
    at++;
  }
  if (slot >= 0) {
    let value: number;
    if (exponent || digits > MAX_FAST_DIGITS) value = Number(text.slice(start, at));
    else {
      value = decimals <= 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number);
      if (negative) value = -value;
    }
    spans.kinds[slot] = SpanKind.Number;
    spans.numbers[slot] = value;
  }
  return at;
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
function scanShapeBytes(shape: Shape, heads: Uint8Array, bytes: Uint8Array, start: number, spans: FlatSpans): number {
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

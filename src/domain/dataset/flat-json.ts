// Domain: the fast path of the NDJSON reader. Most telemetry lines are flat objects whose keys
// come in the same order line after line. From a line parsed with JSON.parse, this learns that
// "shape" as one anchored regular expression (compiled to native code by the engine) that checks a
// line has exactly those keys, in that order, each with a JSON string without escapes, a number or
// a literal. A line that passes is then walked once to locate each wanted value (strings as the
// positions between their quotes, numbers converted as they are passed) without allocating. A
// line that does not pass (escapes, nesting, other keys, a syntax error) goes to JSON.parse, which
// gives the same values, or the error message. Compact shapes are also checked over UTF-8 bytes
// (`scanBytes`, flat-json-bytes.ts), in one pass that checks and locates together, for the reader's
// columnar byte path.

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
export interface LearnedShape {
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
   * (see `scanBytes`, flat-json-bytes.ts); null otherwise.
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
export const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits of a number read digit by digit; 15 keep the integer below 10^15 < 2^53. */
export const MAX_FAST_DIGITS = 15;

/** Picks the values of known keys out of flat JSON object lines. */
export class FlatJsonShapes {
  private readonly slotOf: Map<string, number>;
  /** Most recently matched first. */
  private shapes: LearnedShape[] = [];
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
      const shape = shapes[s] as LearnedShape;
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
   * The learned shapes, most recently matched first: the byte path's scan (flat-json-bytes.ts) tries
   * them in this order and moves the one that matches to the front with {@link FlatJsonShapes.promote}.
   */
  learnedShapes(): readonly LearnedShape[] {
    return this.shapes;
  }

  /** Moves the shape at `index` of `learnedShapes` to the front. */
  promote(index: number): void {
    if (index === 0) return;
    const [shape] = this.shapes.splice(index, 1);
    this.shapes.unshift(shape as LearnedShape);
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
function locateValues(shape: LearnedShape, text: string, start: number, spans: FlatSpans): void {
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

// Domain: the fast path of the NDJSON reader. Most telemetry lines are flat objects whose keys
// come in the same order line after line. From a line parsed with JSON.parse, this learns that
// "shape": exactly those keys, in that order, each with a JSON string without escapes, a number or
// a literal. A line is then checked against a shape and its wanted values located in one pass
// (strings as the positions between their quotes, numbers converted as they are passed), without
// allocating. A line that does not fit (escapes, nesting, other keys, a syntax error) goes to
// JSON.parse, which gives the same values, or the error message.

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

/** A learned key order. */
interface Shape {
  /** The keys in order, joined: a line that failed for another reason (an escape) adds no shape. */
  readonly signature: string;
  /** Whether the lines have no space between tokens (as JSON.stringify writes them). */
  readonly compact: boolean;
  /**
   * Per key, the text before its value: compact, `{"a":` then `,"b":`; with spaces, the key in
   * quotes alone (the braces, commas, colons and spaces around it are checked one by one).
   */
  readonly heads: readonly string[];
  /** Per key, the slot its value fills, or -1 for a key no field reads. */
  readonly slots: Int32Array;
  /** Whether every slot has a key in this shape (no slot needs clearing). */
  readonly complete: boolean;
}

const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const PLUS = 43;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
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
      if (!shape.complete) spans.kinds.fill(SpanKind.Absent);
      if (!readShape(shape, text, start, end, spans)) continue;
      if (s > 0) {
        shapes.splice(s, 1);
        shapes.unshift(shape);
      }
      return true;
    }
    return false;
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
    const heads: string[] = [];
    const slots: number[] = [];
    for (const key in object) {
      const value = object[key];
      if (value !== null && typeof value === 'object') return;
      const name = JSON.stringify(key);
      heads.push(compact ? `${heads.length === 0 ? '{' : ','}${name}:` : name);
      slots.push(this.slotOf.get(key) ?? -1);
    }
    this.learned += 1;
    const complete = new Set(slots.filter((slot) => slot >= 0)).size === this.keys.length;
    this.shapes.unshift({ signature, compact, heads, slots: Int32Array.from(slots), complete });
    if (this.shapes.length > this.maxShapes) this.shapes.pop();
  }
}

/**
 * Checks that `text[start, end)` is a line of `shape` and records each wanted value, in one pass:
 * spaces, tabs and CRs around the object; then, compact, each key's head (`{"a":`, `,"b":`) glued
 * to its value and a closing brace; with spaces, each token with spaces between.
 * @returns false as soon as the line departs from the shape (slots then hold partial values)
 */
function readShape(shape: Shape, text: string, start: number, end: number, spans: FlatSpans): boolean {
  const heads = shape.heads;
  const slots = shape.slots;
  let at = skipSpaces(text, start, end);
  if (shape.compact) {
    for (let k = 0; k < heads.length; k++) {
      const head = heads[k] as string;
      if (!text.startsWith(head, at)) return false;
      at = readValue(text, at + head.length, end, spans, slots[k] as number);
      if (at < 0) return false;
    }
  } else {
    if (text.charCodeAt(at) !== OPEN_BRACE) return false;
    at = skipSpaces(text, at + 1, end);
    for (let k = 0; k < heads.length; k++) {
      if (k > 0) {
        if (text.charCodeAt(at) !== COMMA) return false;
        at = skipSpaces(text, at + 1, end);
      }
      const head = heads[k] as string;
      if (!text.startsWith(head, at)) return false;
      at = skipSpaces(text, at + head.length, end);
      if (text.charCodeAt(at) !== COLON) return false;
      at = readValue(text, skipSpaces(text, at + 1, end), end, spans, slots[k] as number);
      if (at < 0) return false;
      at = skipSpaces(text, at, end);
    }
  }
  if (at >= end || text.charCodeAt(at) !== CLOSE_BRACE) return false;
  return skipSpaces(text, at + 1, end) === end;
}

/** The first position at or after `at` (before `end`) that is not a space, a tab or a CR. */
function skipSpaces(text: string, at: number, end: number): number {
  while (at < end) {
    const c = text.charCodeAt(at);
    if (c !== 32 && c !== 9 && c !== 13) return at;
    at++;
  }
  return at;
}

/**
 * Checks the JSON value at `at` (a string without escapes or control characters, a number, a
 * literal) and records it in `slot` (when ≥ 0).
 * @returns the position after it, or -1 when there is no such value there
 */
function readValue(text: string, at: number, end: number, spans: FlatSpans, slot: number): number {
  const c = text.charCodeAt(at);
  if (c === QUOTE) {
    const first = at + 1;
    for (let i = first; i < end; i++) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        if (slot >= 0) {
          spans.kinds[slot] = SpanKind.String;
          spans.starts[slot] = first;
          spans.ends[slot] = i;
        }
        return i + 1;
      }
      if (d === BACKSLASH || d < 0x20) return -1;
    }
    return -1;
  }
  if (c === 116 || c === 110 || c === 102) {
    const literal = c === 116 ? 'true' : c === 110 ? 'null' : 'false';
    if (!text.startsWith(literal, at)) return -1;
    if (slot >= 0) spans.kinds[slot] = c === 116 ? SpanKind.True : c === 110 ? SpanKind.Null : SpanKind.False;
    return at + literal.length;
  }
  return readNumber(text, at, spans, slot);
}

/**
 * Checks and reads a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`). Up to 15
 * digits without an exponent, the value is the digits as an integer divided by a power of ten:
 * both exact, so the quotient is correctly rounded, the same double JSON.parse reads. Longer
 * numbers are converted from their text.
 * @returns the position after it, or -1 when there is no number there
 */
function readNumber(text: string, start: number, spans: FlatSpans, slot: number): number {
  let at = start;
  const negative = text.charCodeAt(at) === MINUS;
  if (negative) at++;
  let c = text.charCodeAt(at);
  if (c < ZERO || c > NINE) return -1;
  let mantissa = c - ZERO;
  let digits = 1;
  at++;
  if (c !== ZERO) {
    for (c = text.charCodeAt(at); c >= ZERO && c <= NINE; c = text.charCodeAt(++at)) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
    }
  }
  let decimals = 0;
  if (text.charCodeAt(at) === DOT) {
    at++;
    for (c = text.charCodeAt(at); c >= ZERO && c <= NINE; c = text.charCodeAt(++at)) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      decimals++;
    }
    if (decimals === 0) return -1;
  }
  let exponent = false;
  c = text.charCodeAt(at);
  if (c === 101 || c === 69) {
    exponent = true;
    at++;
    c = text.charCodeAt(at);
    if (c === PLUS || c === MINUS) at++;
    const first = at;
    for (c = text.charCodeAt(at); c >= ZERO && c <= NINE; c = text.charCodeAt(++at));
    if (at === first) return -1;
  }
  if (slot >= 0) {
    let value: number;
    if (exponent || digits > MAX_FAST_DIGITS) value = Number(text.slice(start, at));
    else {
      value = decimals === 0 ? mantissa : mantissa / (POWERS_OF_TEN[decimals] as number);
      if (negative) value = -value;
    }
    spans.kinds[slot] = SpanKind.Number;
    spans.numbers[slot] = value;
  }
  return at;
}

// Domain: the fast path of the NDJSON reader. Most telemetry lines are flat objects whose keys
// come in the same order line after line. From a line parsed with JSON.parse, this learns that
// "shape" as one anchored regular expression (compiled to native code by the engine) and reads the
// next lines' values with a single match, without building the object JSON.parse would. The
// expression follows the JSON grammar for strings without escapes, numbers and literals; a line
// it does not match (escapes, nesting, other keys, a syntax error) goes to JSON.parse, which
// gives the same values, or the error message.

/** One JSON value: a string without escapes, a number, or a literal; one capture. */
const VALUE = '("[^"\\\\\\x00-\\x1f]*"|-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)';
const SKIP = '(?:"[^"\\\\\\x00-\\x1f]*"|-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)';
const SPACE = '[ \\t\\r]*';

/** A learned key order: its expression and, per capture, the slot it fills. */
interface Shape {
  /** The keys in order, joined: a line that failed for another reason (an escape) adds no shape. */
  readonly signature: string;
  readonly compact: boolean;
  readonly expression: RegExp;
  readonly slots: readonly number[];
  /** Whether every slot has a key in this shape (no slot needs clearing). */
  readonly complete: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Picks the values of known keys out of flat JSON object lines. */
export class FlatJsonShapes {
  private readonly slotOf: Map<string, number>;
  /** Most recently matched first. */
  private shapes: Shape[] = [];
  private learned = 0;

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
  }

  /**
   * Matches `text[start, end)` against the learned shapes and writes each wanted value to
   * `values[slot]` (absent keys: undefined).
   * @returns false when no shape matches; parse the line with JSON.parse then (and `learn` from it)
   */
  match(text: string, start: number, end: number, values: unknown[]): boolean {
    const shapes = this.shapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s] as Shape;
      const expression = shape.expression;
      expression.lastIndex = start;
      const match = expression.exec(text);
      if (match === null || expression.lastIndex !== end) continue;
      if (s > 0) {
        shapes.splice(s, 1);
        shapes.unshift(shape);
      }
      if (!shape.complete) values.fill(undefined);
      const slots = shape.slots;
      for (let k = 0; k < slots.length; k++) {
        const token = match[k + 1] as string;
        const first = token.charCodeAt(0);
        values[slots[k] as number] =
          first === 34
            ? token.slice(1, -1)
            : first === 116
              ? true
              : first === 102
                ? false
                : first === 110
                  ? null
                  : +token;
      }
      return true;
    }
    return false;
  }

  /**
   * Learns the key order of a parsed line, if it is flat (scalar values only). Lines written
   * without spaces (as JSON.stringify writes them) get an expression without the optional spaces,
   * which matches faster.
   */
  learn(object: Record<string, unknown>, line: string): void {
    if (this.learned >= this.maxLearned) return;
    const signature = Object.keys(object).join('\u0000');
    const compact = JSON.stringify(object) === line.trim();
    if (this.shapes.some((shape) => shape.signature === signature && shape.compact === compact)) return;
    const space = compact ? '' : SPACE;
    const parts: string[] = [];
    const slots: number[] = [];
    for (const key in object) {
      const value = object[key];
      if (value !== null && typeof value === 'object') return;
      const slot = this.slotOf.get(key);
      const name = escapeRegExp(JSON.stringify(key));
      if (slot === undefined) parts.push(`${name}${space}:${space}${SKIP}`);
      else {
        parts.push(`${name}${space}:${space}${VALUE}`);
        slots.push(slot);
      }
    }
    this.learned += 1;
    const body = parts.join(`${space},${space}`);
    const expression = new RegExp(`${SPACE}\\{${space}${body}${space}\\}${SPACE}`, 'y');
    const complete = new Set(slots).size === this.keys.length;
    this.shapes.unshift({ signature, compact, expression, slots, complete });
    if (this.shapes.length > this.maxShapes) this.shapes.pop();
  }
}

// Domain: what the line-based parsers (CSV, NDJSON) share. A line ends with LF, CRLF or a lone CR
// (old Mac and Excel exports), in any mix, wherever the input was cut into chunks: a CR that ends
// one chunk and an LF that starts the next are one line break.
import { CR, LF, type ReadWarning } from './sink';
import { mixedLineEndingsWarning } from './warnings';

/** Index of `char` in `text` from `from`, or `text.length` when absent (so that "not found" sorts last). */
export function indexOr(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from);
  return at === -1 ? text.length : at;
}

/** Index of the first CR or LF in `text` from `from`, or -1. */
export function lineBreakAt(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

/**
 * Line breaks in `text[from, to)`, each of LF, CRLF and lone CR counting once. A CR is counted where
 * it stands, so an LF right after a CR is not counted again.
 */
export function countLineBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === CR || (c === LF && (i === from || text.charCodeAt(i - 1) !== CR))) breaks += 1;
  }
  return breaks;
}

/**
 * The line endings of rows, and the one case that spans two pieces of text: a row ending with the
 * CR at the very end of one piece, whose LF (if it is a CRLF) starts the next.
 */
export class LineEnds {
  /** Rows ended by LF or CRLF. */
  lf = 0;
  /** Rows ended by a lone CR. */
  cr = 0;
  private crAtEnd = false;

  /** Where parsing of `text` from `from` starts: past the LF of a CRLF whose CR ended the previous piece. */
  start(text: string, final: boolean, from = 0): number {
    if (!this.crAtEnd) return from;
    if (text.length === from) {
      if (final) {
        this.crAtEnd = false;
        this.cr += 1;
      }
      return from;
    }
    this.crAtEnd = false;
    if (text.charCodeAt(from) === LF) {
      this.lf += 1;
      return from + 1;
    }
    this.cr += 1;
    return from;
  }

  /**
   * Where the next row starts, after a row whose text ends at `at`: the index of its CR or LF, or
   * the end of `text` for a last row without a line break.
   */
  after(text: string, at: number, final: boolean): number {
    const n = text.length;
    if (at >= n) return n;
    if (text.charCodeAt(at) === LF) {
      this.lf += 1;
      return at + 1;
    }
    if (at + 1 < n) {
      if (text.charCodeAt(at + 1) === LF) {
        this.lf += 1;
        return at + 2;
      }
      this.cr += 1;
      return at + 1;
    }
    if (final) this.cr += 1;
    else this.crAtEnd = true;
    return n;
  }

  /** The warning for a file whose rows end some with a lone CR, others with LF or CRLF; null for one kind. */
  warning(file: string): ReadWarning | null {
    return this.cr > 0 && this.lf > 0 ? mixedLineEndingsWarning(file, this.lf, this.cr) : null;
  }
}

/** A parser of line-based text that keeps the unfinished row of one piece as `pending`. */
export interface LineParser {
  pending: string;
  /**
   * Parses `text` from `from` (pending already joined), leaving the unfinished tail in `pending`.
   * Parsing a decoded piece in place, from an offset, keeps it a flat string: a slice of it would
   * be read through an indirection on every character.
   */
  parse(text: string, final: boolean, from?: number): void;
}

/**
 * Feeds a piece of text to a line parser without copying it: the unfinished row of the previous
 * piece is joined with the first line of this one only, then the rest is parsed in place. Joining
 * whole pieces would copy every byte once more. A row that spans many lines (a long quoted CSV
 * field) falls back to one join after a few lines.
 */
export function stitch(parser: LineParser, chunk: string, final: boolean): void {
  let from = 0;
  for (let lines = 0; parser.pending.length > 0 && lines < 8; lines++) {
    const at = lineBreakAt(chunk, from);
    if (at === -1) break;
    const head = parser.pending + chunk.slice(from, at + 1);
    parser.pending = '';
    from = at + 1;
    parser.parse(head, false);
  }
  if (parser.pending.length > 0) {
    const rest = parser.pending + chunk.slice(from);
    parser.pending = '';
    parser.parse(rest, final);
  } else parser.parse(chunk, final, from);
}

/** The reason given for a row longer than `format.maxRowBytes`. */
export function oversizedRowReason(unit: 'row' | 'line', length: number, breaks: number, maxRow: number): string {
  const over = breaks > 0 ? ` over ${breaks + 1} lines (a quoted field with line breaks)` : '';
  const advice =
    breaks > 0 ? 'Check the quoting, or raise the limit' : 'Is a line break missing? If not, raise the limit';
  return `the ${unit} has ${length} characters${over}, more than format.maxRowBytes (${maxRow}); it was set aside whole and reading went on after it. ${advice}`;
}

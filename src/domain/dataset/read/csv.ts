// Domain: the CSV parser of the streaming reader. RFC 4180 quoting (a quote inside a quoted field
// is doubled; quoted fields may hold delimiters and line breaks); rows end with LF, CRLF or a lone
// CR, in any mix. A row longer than `maxRowBytes` is skipped whole, quoted line breaks included,
// without being held in memory: a small state machine follows its quotes to its real end.
import type { DatasetFormat } from '../declaration';
import type { CellMapper, CompiledDataset } from '../mapping';
import { countLineBreaks, indexOr, LineEnds, type LineParser, lineBreakAt, oversizedRowReason, stitch } from './lines';
import { CR, type FailRead, type FormatParser, INVALID_ENCODING, isBlank, LF, type RowSink } from './sink';
import { columnWarnings } from './warnings';

/** Result of parsing one CSV row that contains a quote. `end` is where its CR or LF stands (or the end of the text). */
type QuotedRow =
  | { readonly kind: 'row'; readonly cells: string[]; readonly end: number }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'unterminated'; readonly column: number; readonly quoteAt: number }
  | { readonly kind: 'malformed'; readonly column: number; readonly end: number };

/** Where the skipper of an oversized row stands in the row's grammar. */
const Skip = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteSeen: 3, Junk: 4 } as const;
type Skip = (typeof Skip)[keyof typeof Skip];

/** A row that grew past the row limit, followed to its end without being kept. */
interface OversizedRow {
  readonly head: string;
  readonly line: number;
  /** Characters of the row so far. */
  length: number;
  /** Line breaks inside the row so far (in quoted fields). */
  breaks: number;
  state: Skip;
  /** The column being read, and where the quote of an open quoted field opened. */
  column: number;
  quoteColumn: number;
  quoteLine: number;
  lastWasCr: boolean;
}

export class CsvParser implements FormatParser, LineParser {
  pending = '';
  /** The line the next row starts on. */
  private line = 1;
  private mapper: CellMapper | null = null;
  private readonly delimiter: string;
  private readonly quote: string;
  private readonly quoteCode: number;
  private readonly delimiterCode: number;
  private readonly fixedColumns: string[] | null;
  private oversized: OversizedRow | null = null;
  /** Whether the text so far has had a U+FFFD (a byte the decoder could not read): rows are checked from then on. */
  private replacement = false;
  private readonly ends = new LineEnds();

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    format: Extract<DatasetFormat, { type: 'csv' }>,
    private readonly maxRow: number,
    private readonly now: number | undefined,
    private readonly fail: FailRead,
    private readonly file: string,
  ) {
    this.delimiter = format.delimiter;
    this.quote = format.quote;
    this.quoteCode = format.quote.charCodeAt(0);
    this.delimiterCode = format.delimiter.charCodeAt(0);
    this.fixedColumns = format.header ? null : (format.columns ?? []);
  }

  feed(chunk: string, final: boolean): void {
    if (!this.mapper && this.fixedColumns) this.bind(this.fixedColumns);
    if (!this.replacement && chunk.includes('\uFFFD')) this.replacement = true;
    stitch(this, chunk, final);
    if (!final) return;
    if (!this.mapper) this.fail('invalid_header', 'the file has no header line: it holds only blank lines');
    const endings = this.ends.warning(this.file);
    if (endings) this.sink.warn(endings);
  }

  parse(text: string, final: boolean, from = 0): void {
    const n = text.length;
    let pos = this.ends.start(text, final, from);
    if (this.oversized) {
      pos = this.skipOversized(text, pos, final);
      if (pos === -1) return;
    }
    let nextQuote = indexOr(text, this.quote, pos);
    let nextLf = indexOr(text, '\n', pos);
    let nextCr = indexOr(text, '\r', pos);
    while (pos < n) {
      if (nextLf < pos) nextLf = indexOr(text, '\n', pos);
      if (nextCr < pos) nextCr = indexOr(text, '\r', pos);
      if (nextQuote < pos) nextQuote = indexOr(text, this.quote, pos);
      const lineEnd = Math.min(nextLf, nextCr);
      const line = this.line;
      if (nextQuote >= lineEnd) {
        // Fast path: no quote before the line break, so the line is the row.
        if (lineEnd === n && !final) break;
        this.line += 1;
        const start = pos;
        pos = this.ends.after(text, lineEnd, final);
        if (lineEnd - start > this.maxRow) {
          this.rejectRow(
            line,
            'row_too_large',
            oversizedRowReason('row', lineEnd - start, 0, this.maxRow),
            text.slice(start, start + this.maxRow),
            0,
          );
          continue;
        }
        const raw = text.slice(start, lineEnd);
        if (raw.length === 0 || isBlank(raw)) continue;
        this.row(raw.split(this.delimiter), line, raw);
        continue;
      }
      const next = this.quotedRow(text, pos, line, lineEnd, final);
      if (next === -1) break;
      pos = next;
    }
    if (n - pos > this.maxRow) {
      this.followOversized(text, pos, final);
      return;
    }
    this.pending = pos < n ? text.slice(pos) : '';
  }

  /**
   * Reads the row at `pos`, which has a quote before its first line break (`lineEnd`).
   * @returns where the next row starts, or -1 when the row is not complete in `text`
   */
  private quotedRow(text: string, pos: number, line: number, lineEnd: number, final: boolean): number {
    const parsed = this.parseQuotedRow(text, pos, final);
    if (parsed.kind === 'incomplete') return -1;
    if (parsed.kind === 'unterminated') return this.unterminated(text, pos, line, parsed.column, parsed.quoteAt);
    // Most quoted rows hold no line break: the next one known is past the row's end.
    const breaks = lineEnd >= parsed.end ? 0 : countLineBreaks(text, pos, parsed.end);
    this.line += breaks + 1;
    const next = this.ends.after(text, parsed.end, final);
    if (parsed.end - pos > this.maxRow) {
      this.rejectRow(
        line,
        'row_too_large',
        oversizedRowReason('row', parsed.end - pos, breaks, this.maxRow),
        text.slice(pos, pos + this.maxRow),
        breaks,
      );
      return next;
    }
    const raw = text.slice(pos, parsed.end);
    if (parsed.kind === 'malformed') {
      this.rejectRow(
        line,
        'malformed_quotes',
        `column ${parsed.column} has text after its closing quote; a quote inside a quoted field must be doubled ("")`,
        raw,
        breaks,
      );
    } else this.row(parsed.cells, line, raw);
    return next;
  }

  /** The unfinished row at `pos` is already too long: follows it to its end without keeping it. */
  private followOversized(text: string, pos: number, final: boolean): void {
    this.oversized = {
      head: text.slice(pos, pos + this.maxRow),
      line: this.line,
      length: 0,
      breaks: 0,
      state: Skip.FieldStart,
      column: 1,
      quoteColumn: 0,
      quoteLine: 0,
      lastWasCr: false,
    };
    this.pending = '';
    const after = this.skipOversized(text, pos, final);
    // The skipper found the row's end after all: parse on from there.
    if (after !== -1) this.parse(text.slice(after), final);
  }

  /** Binds the header (or the declared columns) and warns about optional columns it lacks. */
  private bind(columns: string[]): void {
    const used = new Set(this.dataset.sourceColumns());
    const seen = new Set<string>();
    for (const column of columns) {
      if (seen.has(column) && used.has(column)) {
        this.fail('invalid_header', `the header names column "${column}" twice; rename one of them`);
      }
      seen.add(column);
    }
    const bound = this.dataset.bindColumns(columns);
    if ('missing' in bound) {
      this.fail(
        'missing_columns',
        `the header has no column ${bound.missing.map((c) => `"${c}"`).join(', ')}, needed by required fields; it has ${columns.map((c) => `"${c}"`).join(', ')}. Check the delimiter (format.delimiter) and the renames`,
      );
    }
    this.mapper = (bound as { map: CellMapper }).map;
    if (!this.fixedColumns) this.sink.setColumns(columns);
    const present = new Set(columns);
    const missing = this.dataset.optionalSources().filter(({ source }) => !present.has(source));
    const unread = [...new Set(columns)].filter((column) => column !== '' && !used.has(column));
    for (const warning of columnWarnings(this.file, 'column', missing, unread)) this.sink.warn(warning);
  }

  private row(cells: string[], line: number, raw: string): void {
    if (!this.mapper) {
      this.header(cells, line);
      return;
    }
    if (this.replacement && raw.includes('\uFFFD')) {
      this.sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, raw);
      return;
    }
    const record = this.mapper(cells, this.now);
    if (record) this.sink.accept(record, raw.length);
    else this.sink.rejectMapped(line, raw);
  }

  private header(cells: string[], line: number): void {
    const names = cells.map((c) => c.trim());
    if (names.length === 1 && names[0] === '') return;
    const joined = cells.join(this.delimiter);
    const breaks = countLineBreaks(joined, 0, joined.length);
    if (breaks > 0) this.fail('invalid_header', strayHeaderQuote(line, line + breaks));
    this.bind(names);
  }

  /**
   * Quarantines a row. Before the header is bound the file is refused instead: its columns are
   * unknown. A header that spans line breaks had a stray quote that swallowed data rows.
   */
  private rejectRow(
    line: number,
    code: 'row_too_large' | 'malformed_quotes' | 'unbalanced_quote',
    reason: string,
    raw: string,
    breaks: number,
  ): void {
    if (!this.mapper) {
      if (breaks > 0) this.fail('invalid_header', strayHeaderQuote(line, line + breaks));
      this.fail('invalid_header', `the header on line ${line} cannot be read: ${reason}`);
    }
    this.sink.reject(line, null, code, reason, raw);
  }

  /**
   * A row whose quote never closes before the end of the file. Within the row limit, its first
   * line is set aside and reading goes on from the next line, so a stray quote costs one row;
   * beyond it, the rest of the file is gone from memory and the file is refused whole.
   * @returns where parsing resumes
   */
  private unterminated(text: string, pos: number, line: number, column: number, quoteAt: number): number {
    const quoteLine = line + countLineBreaks(text, pos, quoteAt);
    if (!this.mapper) this.fail('invalid_header', strayHeaderQuote(line, null));
    if (text.length - pos > this.maxRow) {
      this.unclosedQuote(quoteLine, column, text.length - pos, countLineBreaks(text, pos, text.length));
    }
    const at = lineBreakAt(text, pos);
    const end = at === -1 ? text.length : at;
    this.line += 1;
    this.rejectRow(
      line,
      'unbalanced_quote',
      `the quote that opens column ${column} on line ${quoteLine} is never closed before the end of the file; the row was set aside and reading went on from line ${line + 1}. Remove the stray quote or double it ("")`,
      text.slice(pos, end),
      0,
    );
    return this.ends.after(text, end, true);
  }

  private unclosedQuote(line: number, column: number, length: number, breaks: number): never {
    return this.fail(
      'unclosed_quote',
      `the quote that opens column ${column} on line ${line} is never closed: the rest of the file (${length} characters, ${breaks + 1} lines) would be one value, longer than format.maxRowBytes (${this.maxRow}), so no row after it can be read. Remove the stray quote or double it (""), then send the file again`,
    );
  }

  /**
   * Follows the oversized row from `pos` through its quotes to its end.
   * @returns where parsing resumes, or -1 when the rest of `text` still belongs to that row
   */
  private skipOversized(text: string, pos: number, final: boolean): number {
    const row = this.oversized as OversizedRow;
    const n = text.length;
    const q = this.quoteCode;
    const d = this.delimiterCode;
    let state = row.state;
    let i = pos;
    let end = -1;
    for (; i < n; i++) {
      if (state === Skip.Quoted) {
        // Jump to the next quote, counting the line breaks passed.
        const close = indexOr(text, this.quote, i);
        row.breaks += this.breaksIn(row, text, i, close);
        i = close;
        if (close === n) break;
        state = Skip.QuoteSeen;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) {
        // Any line break outside quotes ends the row (the junk after a closing quote included).
        end = i;
        break;
      }
      row.lastWasCr = false;
      if (state === Skip.FieldStart) {
        if (c === q) {
          state = Skip.Quoted;
          row.quoteColumn = row.column;
          row.quoteLine = row.line + row.breaks;
        } else if (c === d) row.column += 1;
        else state = Skip.Unquoted;
      } else if (state === Skip.Unquoted) {
        if (c === d) {
          state = Skip.FieldStart;
          row.column += 1;
        }
      } else if (state === Skip.QuoteSeen) {
        if (c === q) state = Skip.Quoted;
        else if (c === d) {
          state = Skip.FieldStart;
          row.column += 1;
        } else state = Skip.Junk;
      }
    }
    row.state = state;
    if (end === -1) {
      row.length += n - pos;
      if (!final) return -1;
      if (state === Skip.Quoted) {
        if (!this.mapper) this.fail('invalid_header', strayHeaderQuote(row.line, null));
        this.unclosedQuote(row.quoteLine, row.quoteColumn, row.length, row.breaks);
      }
      end = n;
    } else row.length += end - pos;
    this.oversized = null;
    this.line = row.line + row.breaks + 1;
    this.rejectRow(
      row.line,
      'row_too_large',
      oversizedRowReason('row', row.length, row.breaks, this.maxRow),
      row.head,
      row.breaks,
    );
    return this.ends.after(text, end, final);
  }

  /** Line breaks in `text[from, to)` inside a quoted field of an oversized row, a CRLF split across pieces counting once. */
  private breaksIn(row: OversizedRow, text: string, from: number, to: number): number {
    if (from >= to) {
      row.lastWasCr = false;
      return 0;
    }
    let breaks = countLineBreaks(text, from, to);
    // An LF that opens this piece after a CR that closed the previous one was counted with the CR.
    if (row.lastWasCr && text.charCodeAt(from) === LF) breaks -= 1;
    row.lastWasCr = text.charCodeAt(to - 1) === CR;
    return breaks;
  }

  /** RFC 4180 row starting at `pos` that has a quote somewhere. */
  private parseQuotedRow(text: string, pos: number, final: boolean): QuotedRow {
    const n = text.length;
    const quote = this.quote;
    const q = this.quoteCode;
    const d = this.delimiterCode;
    const cells: string[] = [];
    let i = pos;
    for (;;) {
      if (i < n && text.charCodeAt(i) === q) {
        const column = cells.length + 1;
        const quoteAt = i;
        let value = '';
        let start = i + 1;
        let j = start;
        for (;;) {
          const close = text.indexOf(quote, j);
          if (close === -1) return final ? { kind: 'unterminated', column, quoteAt } : { kind: 'incomplete' };
          if (close + 1 >= n && !final) return { kind: 'incomplete' };
          if (text.charCodeAt(close + 1) === q) {
            value += text.slice(start, close + 1);
            j = close + 2;
            start = j;
            continue;
          }
          value += text.slice(start, close);
          i = close + 1;
          break;
        }
        cells.push(value);
        if (i >= n) return { kind: 'row', cells, end: n };
        const c = text.charCodeAt(i);
        if (c === d) {
          i += 1;
          continue;
        }
        if (c === LF || c === CR) return { kind: 'row', cells, end: i };
        // Text after a closing quote: the row runs to the end of this physical line.
        const at = lineBreakAt(text, i);
        if (at === -1 && !final) return { kind: 'incomplete' };
        return { kind: 'malformed', column, end: at === -1 ? n : at };
      }
      // Unquoted field: up to the next delimiter or line break. A quote inside it is literal.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR) break;
        j += 1;
      }
      if (j >= n) {
        if (!final) return { kind: 'incomplete' };
        cells.push(text.slice(i, n));
        return { kind: 'row', cells, end: n };
      }
      cells.push(text.slice(i, j));
      if (text.charCodeAt(j) === d) {
        i = j + 1;
        continue;
      }
      return { kind: 'row', cells, end: j };
    }
  }
}

/**
 * The message for a header that runs over line breaks: a quote in it opened a column name that
 * closes lines later (`lastLine`), or never (null), taking the data rows with it.
 */
function strayHeaderQuote(line: number, lastLine: number | null): string {
  const runs =
    lastLine === null
      ? 'a quote in it opens a column name that never closes, so the whole file would be read as the header'
      : `a quote in it opens a column name that closes only on line ${lastLine}, so the data rows up to there were read as part of the header`;
  return `the header on line ${line} is broken: ${runs}. Remove the stray quote from the header (or double it: "")`;
}

// Domain: the streaming dataset reader. Bytes in (any chunking, gzip or not), batches of typed
// records and quarantined rows out. Pure: no I/O, no clock; the caller supplies the bytes and, if
// it wants future event times rejected, the read time. Every row read ends up valid or
// quarantined with a reason (counts reconcile); only a file that cannot be read at all throws.
import type { QuarantinedRow, ReadCounts, TypedRecord } from '../records';
import type { DatasetFormat } from './declaration';
import { UnreadableInputError } from './errors';
import { FlatJsonShapes, FlatSpans } from './flat-json';
import type { CellMapper, CompiledDataset } from './mapping';
import type { FileReasonCode, RowReasonCode } from './reasons';

/** Where the bytes come from, copied into every quarantined row. */
export interface ReadOrigin {
  /** `s3://bucket/key`, an HTTP URL, `push:<agent>`, a local path. */
  readonly source: string;
  /** The file (or page) inside the source. */
  readonly file: string;
}

export interface ReadOptions {
  /** Read time, epoch ms. When given, event times beyond `eventTime.maxFutureMinutes` after it are quarantined. */
  readonly now?: number;
  /** Reads with this format instead of the declared one (e.g. NDJSON posted to the telemetry endpoint). */
  readonly format?: DatasetFormat;
  /** Longest raw text kept in a quarantined row; longer text is cut with a marker. @default 65536 */
  readonly maxRawChars?: number;
  /**
   * Decompresses gzip. The default uses the web DecompressionStream, which reads one gzip member;
   * adapters pass Node's zlib (`nodeGunzip`), which also reads files of several members and is faster.
   */
  readonly gunzip?: Gunzip;
  /**
   * Rows (valid or not) gathered before a batch is yielded. Small batches die young: on a first pass
   * over a large file 1024 costs far less garbage collection than 8192. @default 1024
   */
  readonly batchRows?: number;
}

/** Turns gzip bytes into the bytes they compress; errors for corrupt or truncated input. */
export type Gunzip = (compressed: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/** Gunzip with the web-standard DecompressionStream (one gzip member). */
export const webGunzip: Gunzip = async function* (compressed) {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const pump = (async () => {
    try {
      for await (const chunk of compressed) await writer.write(chunk);
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      yield next.value;
    }
  } finally {
    // When the consumer stops early, cancelling unblocks the pump's pending write.
    await reader.cancel().catch(() => undefined);
    await pump;
  }
};

/** What one step of a read produced. Arrays are fresh per batch: the consumer may keep them. */
export interface RecordBatch {
  readonly records: TypedRecord[];
  readonly quarantined: QuarantinedRow[];
}

/** Totals of a read, available while and after iterating. */
export interface ReadSummary {
  readonly counts: ReadCounts;
  /** Newest and oldest event time among valid records, epoch ms; null when there were none. */
  readonly newestEventTime: number | null;
  readonly oldestEventTime: number | null;
  /** Bytes as received (compressed, if the input was). */
  readonly bytesRead: number;
  readonly compressed: boolean;
}

/** A read in progress: iterate it for batches, then ask for its summary. */
export interface DatasetRead extends AsyncIterable<RecordBatch> {
  summary(): ReadSummary;
}

const DEFAULT_MAX_RAW = 64 * 1024;
const DEFAULT_BATCH_ROWS = 1024;
const LF = 10;
const CR = 13;

/** Collects rows into the current batch and keeps the counts. */
class RowSink {
  records: TypedRecord[] = [];
  quarantined: QuarantinedRow[] = [];
  read = 0;
  valid = 0;
  rejected = 0;
  readonly byReason: Record<string, number> = {};
  newest = Number.NEGATIVE_INFINITY;
  oldest = Number.POSITIVE_INFINITY;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly origin: ReadOrigin,
    private readonly maxRawChars: number,
  ) {}

  accept(record: TypedRecord): void {
    this.read += 1;
    this.valid += 1;
    this.records.push(record);
    const time = record[this.dataset.eventTimeField] as number;
    if (time > this.newest) this.newest = time;
    if (time < this.oldest) this.oldest = time;
  }

  reject(line: number, field: string | null, code: RowReasonCode, reason: string, raw: string): void {
    this.read += 1;
    this.rejected += 1;
    this.byReason[code] = (this.byReason[code] ?? 0) + 1;
    this.quarantined.push({
      dataset: this.dataset.id,
      source: this.origin.source,
      file: this.origin.file,
      line,
      field,
      reason,
      code,
      raw: truncate(raw, this.maxRawChars),
    });
  }

  /** Rejects with the problem the mapper just recorded. */
  rejectMapped(line: number, raw: string): void {
    const { field, code, reason } = this.dataset.problem;
    this.reject(line, field, code, reason, raw);
  }

  take(): RecordBatch {
    const batch = { records: this.records, quarantined: this.quarantined };
    this.records = [];
    this.quarantined = [];
    return batch;
  }

  counts(): ReadCounts {
    return {
      read: this.read,
      valid: this.valid,
      quarantined: this.rejected,
      quarantinedByReason: { ...this.byReason },
    };
  }
}

/** A row that grew past the row limit: its first characters, its line, its length so far. */
interface OversizedRow {
  readonly head: string;
  readonly line: number;
  length: number;
}

/** A parser of line-based text that keeps the unfinished row of one chunk as `pending`. */
interface LineParser extends TextParser {
  pending: string;
  /** The row being skipped because it grew past the row limit, until its line ends. */
  oversized: OversizedRow | null;
  /** Parses `text` as it is (pending already joined), leaving the unfinished tail in `pending`. */
  parse(text: string, final: boolean, hasReplacement: boolean): void;
  /** Quarantines the oversized row, `length` characters long in all, and forgets it. */
  endOversized(length: number): void;
}

/**
 * Skips what remains of an oversized row at the start of `text`.
 * @returns where parsing resumes, or -1 when the whole of `text` still belongs to that row
 */
function skipOversized(parser: LineParser, text: string, final: boolean): number {
  const oversized = parser.oversized;
  if (!oversized) return 0;
  const nl = text.indexOf('\n');
  if (nl === -1 && !final) {
    oversized.length += text.length;
    parser.pending = '';
    return -1;
  }
  const end = nl === -1 ? text.length : nl;
  parser.endOversized(oversized.length + end);
  return end + 1;
}

/**
 * Feeds a chunk to a line parser without copying it: the unfinished row of the previous chunk is
 * joined with the first line of this one only, then the rest of the chunk is parsed in place (a
 * slice, not a copy). Joining whole chunks would copy every byte once more. A row that spans
 * many lines (a long quoted CSV field) falls back to one join after a few lines.
 */
function stitch(parser: LineParser, chunk: string, final: boolean, hasReplacement: boolean): void {
  let rest = chunk;
  for (let lines = 0; parser.pending.length > 0 && lines < 8; lines++) {
    const nl = rest.indexOf('\n');
    if (nl === -1) break;
    const head = parser.pending + rest.slice(0, nl + 1);
    parser.pending = '';
    rest = rest.slice(nl + 1);
    parser.parse(head, false, hasReplacement);
  }
  if (parser.pending.length > 0) {
    rest = parser.pending + rest;
    parser.pending = '';
  }
  parser.parse(rest, final, hasReplacement);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated: ${text.length} characters in all]`;
}

/** Parses decoded text incrementally into the sink. */
interface TextParser {
  feed(text: string, final: boolean, hasReplacement: boolean): void;
}

class NdjsonParser implements LineParser {
  pending = '';
  private line = 1;
  /** While a line longer than the limit is being skipped: its start and its line number. */
  oversized: OversizedRow | null = null;

  private readonly shapes: FlatJsonShapes | null;
  private readonly spans: FlatSpans;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    private readonly maxRow: number,
    private readonly now: number | undefined,
  ) {
    const keys = dataset.flatKeys();
    this.shapes = keys ? new FlatJsonShapes(keys) : null;
    this.spans = new FlatSpans(keys?.length ?? 0);
  }

  feed(chunk: string, final: boolean, hasReplacement: boolean): void {
    stitch(this, chunk, final, hasReplacement);
  }

  parse(text: string, final: boolean, hasReplacement: boolean): void {
    const n = text.length;
    let pos = skipOversized(this, text, final);
    if (pos === -1) return;
    const dataset = this.dataset;
    const sink = this.sink;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) {
        if (!final) break;
        nl = n;
      }
      const line = this.line;
      this.line += 1;
      if (nl - pos > this.maxRow) {
        this.oversized = { head: text.slice(pos, pos + this.maxRow), line, length: 0 };
        this.endOversized(nl - pos);
        pos = nl + 1;
        continue;
      }
      const start = pos;
      pos = nl + 1;
      if (this.shapes && !hasReplacement && this.shapes.scan(text, start, nl, this.spans)) {
        const record = dataset.mapSpans(text, this.spans, this.now);
        if (record) sink.accept(record);
        else sink.rejectMapped(line, text.slice(start, nl));
        continue;
      }
      const lineText = text.slice(start, nl);
      if (isBlank(lineText)) continue;
      if (hasReplacement && lineText.includes('\uFFFD')) {
        sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, lineText);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(lineText);
      } catch (error) {
        sink.reject(line, null, 'invalid_json', `the line is not valid JSON: ${(error as Error).message}`, lineText);
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        sink.reject(line, null, 'not_an_object', `the line is ${jsonKind(value)}, not a JSON object`, lineText);
        continue;
      }
      this.shapes?.learn(value as Record<string, unknown>, lineText);
      const record = dataset.mapObject(value as Record<string, unknown>, this.now);
      if (record) sink.accept(record);
      else sink.rejectMapped(line, lineText);
    }
    this.pending = pos < n ? text.slice(pos) : '';
    if (this.pending.length > this.maxRow) {
      this.oversized = { head: this.pending.slice(0, this.maxRow), line: this.line, length: this.pending.length };
      this.line += 1;
      this.pending = '';
    }
  }

  endOversized(length: number): void {
    const { head, line } = this.oversized as { head: string; line: number };
    this.oversized = null;
    this.sink.reject(
      line,
      null,
      'row_too_large',
      `the line has ${length} characters, more than format.maxRowBytes (${this.maxRow}); split the record or raise the limit`,
      head,
    );
  }
}

const INVALID_ENCODING =
  'the row has bytes that are not valid UTF-8 (shown as �); re-export the file as UTF-8 or declare format.encoding: latin1';

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== CR && c !== LF) return false;
  }
  return true;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Result of parsing one CSV row that contains a quote. */
type QuotedRow =
  | { readonly kind: 'row'; readonly cells: string[]; readonly end: number; readonly rawEnd: number }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'unterminated'; readonly column: number }
  | { readonly kind: 'malformed'; readonly column: number; readonly end: number; readonly rawEnd: number };

class CsvParser implements LineParser {
  pending = '';
  private line = 1;
  private mapper: CellMapper | null = null;
  private readonly delimiter: string;
  private readonly quote: string;
  private readonly quoteCode: number;
  private readonly delimiterCode: number;
  oversized: OversizedRow | null = null;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    format: Extract<DatasetFormat, { type: 'csv' }>,
    private readonly maxRow: number,
    private readonly now: number | undefined,
    private readonly fail: (code: FileReasonCode, message: string) => never,
  ) {
    this.delimiter = format.delimiter;
    this.quote = format.quote;
    this.quoteCode = format.quote.charCodeAt(0);
    this.delimiterCode = format.delimiter.charCodeAt(0);
    this.fixedColumns = format.header ? null : (format.columns ?? []);
  }

  private readonly fixedColumns: string[] | null;

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
  }

  private row(cells: string[], line: number, raw: string, hasReplacement: boolean): void {
    if (!this.mapper) {
      const names = cells.map((c) => c.trim());
      if (names.length === 1 && names[0] === '') return;
      this.bind(names);
      return;
    }
    if (hasReplacement && raw.includes('\uFFFD')) {
      this.sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, raw);
      return;
    }
    const record = this.mapper(cells, this.now);
    if (record) this.sink.accept(record);
    else this.sink.rejectMapped(line, raw);
  }

  feed(chunk: string, final: boolean, hasReplacement: boolean): void {
    if (!this.mapper && this.fixedColumns) this.bind(this.fixedColumns);
    stitch(this, chunk, final, hasReplacement);
  }

  parse(text: string, final: boolean, hasReplacement: boolean): void {
    const n = text.length;
    let pos = skipOversized(this, text, final);
    if (pos === -1) return;
    let nextQuote = text.indexOf(this.quote, pos);
    if (nextQuote === -1) nextQuote = n;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) {
        if (!final) break;
        nl = n;
      }
      if (nextQuote < pos) {
        nextQuote = text.indexOf(this.quote, pos);
        if (nextQuote === -1) nextQuote = n;
      }
      const line = this.line;
      if (nextQuote >= nl) {
        // Fast path: no quote on this line, so the line is the row.
        this.line += 1;
        let end = nl;
        if (end > pos && text.charCodeAt(end - 1) === CR) end -= 1;
        if (end - pos > this.maxRow) {
          this.oversized = { head: text.slice(pos, pos + this.maxRow), line, length: 0 };
          this.endOversized(end - pos);
          pos = nl + 1;
          continue;
        }
        const raw = text.slice(pos, end);
        pos = nl + 1;
        if (raw.length === 0 || isBlank(raw)) continue;
        this.row(raw.split(this.delimiter), line, raw, hasReplacement);
        continue;
      }
      const parsed = this.parseQuotedRow(text, pos, final);
      if (parsed.kind === 'incomplete') {
        if (n - pos > this.maxRow) {
          this.rejectUnbalanced(text, pos, line, this.columnAt(text, pos, nextQuote), true);
          pos = this.afterLine(text, pos);
          continue;
        }
        break;
      }
      if (parsed.kind === 'unterminated') {
        this.rejectUnbalanced(text, pos, line, parsed.column, false);
        pos = this.afterLine(text, pos);
        continue;
      }
      const raw = text.slice(pos, parsed.rawEnd);
      this.line += countLines(text, pos, parsed.end);
      pos = parsed.end;
      if (parsed.kind === 'malformed') {
        this.sink.reject(
          line,
          null,
          'malformed_quotes',
          `column ${parsed.column} has text after its closing quote; a quote inside a quoted field must be doubled ("")`,
          raw,
        );
        continue;
      }
      this.row(parsed.cells, line, raw, hasReplacement);
    }
    this.pending = pos < n ? text.slice(pos) : '';
    if (!this.pending.includes('\n') && this.pending.length > this.maxRow) {
      this.oversized = { head: this.pending.slice(0, this.maxRow), line: this.line, length: this.pending.length };
      this.line += 1;
      this.pending = '';
    }
  }

  /** Index just after the physical line that starts at `pos`. */
  private afterLine(text: string, pos: number): number {
    const nl = text.indexOf('\n', pos);
    this.line += 1;
    return nl === -1 ? text.length : nl + 1;
  }

  private columnAt(text: string, pos: number, quoteAt: number): number {
    let column = 1;
    for (let i = pos; i < quoteAt; i++) if (text.charCodeAt(i) === this.delimiterCode) column += 1;
    return column;
  }

  private rejectUnbalanced(text: string, pos: number, line: number, column: number, capped: boolean): void {
    const nl = text.indexOf('\n', pos);
    let end = nl === -1 ? text.length : nl;
    if (end > pos && text.charCodeAt(end - 1) === CR) end -= 1;
    const why = capped
      ? `is not closed within format.maxRowBytes (${this.maxRow}) characters`
      : 'is never closed before the end of the file';
    this.sink.reject(
      line,
      null,
      'unbalanced_quote',
      `the quote that opens column ${column} on line ${line} ${why}; the row was set aside and reading went on from line ${line + 1}. Remove the stray quote or double it ("")`,
      text.slice(pos, Math.min(end, pos + this.maxRow)),
    );
  }

  endOversized(length: number): void {
    const { head, line } = this.oversized as { head: string; line: number };
    this.oversized = null;
    this.sink.reject(
      line,
      null,
      'row_too_large',
      `the row has ${length} characters, more than format.maxRowBytes (${this.maxRow}); a missing line break, or raise the limit`,
      head,
    );
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
        let value = '';
        let start = i + 1;
        let j = start;
        for (;;) {
          const close = text.indexOf(quote, j);
          if (close === -1) return final ? { kind: 'unterminated', column } : { kind: 'incomplete' };
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
        if (i >= n) return final ? { kind: 'row', cells, end: n, rawEnd: n } : { kind: 'incomplete' };
        const c = text.charCodeAt(i);
        if (c === d) {
          i += 1;
          continue;
        }
        if (c === LF) return { kind: 'row', cells, end: i + 1, rawEnd: i };
        if (c === CR) {
          if (i + 1 >= n && !final) return { kind: 'incomplete' };
          if (i + 1 >= n) return { kind: 'row', cells, end: n, rawEnd: i };
          if (text.charCodeAt(i + 1) === LF) return { kind: 'row', cells, end: i + 2, rawEnd: i };
        }
        // Text after a closing quote: skip to the end of this physical line.
        const nl = text.indexOf('\n', i);
        if (nl === -1 && !final) return { kind: 'incomplete' };
        const end = nl === -1 ? n : nl + 1;
        const rawEnd = nl === -1 ? n : nl > 0 && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        return { kind: 'malformed', column, end, rawEnd };
      }
      // Unquoted field: up to the next delimiter or line end. A quote inside it is literal.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === d || c === LF) break;
        j += 1;
      }
      if (j >= n) {
        if (!final) return { kind: 'incomplete' };
        cells.push(text.slice(i, n));
        return { kind: 'row', cells, end: n, rawEnd: n };
      }
      if (text.charCodeAt(j) === d) {
        cells.push(text.slice(i, j));
        i = j + 1;
        continue;
      }
      const cellEnd = j > i && text.charCodeAt(j - 1) === CR ? j - 1 : j;
      cells.push(text.slice(i, cellEnd));
      return { kind: 'row', cells, end: j + 1, rawEnd: cellEnd };
    }
  }
}

function countLines(text: string, from: number, to: number): number {
  let lines = 0;
  let i = text.indexOf('\n', from);
  while (i !== -1 && i < to) {
    lines += 1;
    i = text.indexOf('\n', i + 1);
  }
  // A row at the very end of the file has no line break but still occupies a line.
  return Math.max(lines, 1);
}

/** States of the JSON array scanner. */
const JsonState = { BeforeArray: 0, BeforeElement: 1, InElement: 2, AfterArray: 3 } as const;
type JsonState = (typeof JsonState)[keyof typeof JsonState];

class JsonArrayParser implements TextParser {
  private state: JsonState = JsonState.BeforeArray;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private partial = '';
  private partialLength = 0;
  private oversized = false;
  private element = 0;
  private trailing = '';

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    private readonly maxRow: number,
    private readonly now: number | undefined,
    private readonly fail: (code: FileReasonCode, message: string) => never,
  ) {}

  feed(text: string, final: boolean, hasReplacement: boolean): void {
    const n = text.length;
    let i = 0;
    let start = 0;
    while (i < n) {
      if (this.state === JsonState.InElement) {
        // Scan to the end of the element, tracking strings and nesting.
        let ended = false;
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (c === 92) this.escaped = true;
            else if (c === 34) this.inString = false;
            continue;
          }
          if (c === 34) this.inString = true;
          else if (c === 123 || c === 91) this.depth += 1;
          else if (c === 125 || c === 93) {
            if (this.depth === 0) {
              ended = true;
              break;
            }
            this.depth -= 1;
          } else if (c === 44 && this.depth === 0) {
            ended = true;
            break;
          }
        }
        this.append(text, start, i);
        if (!ended) break;
        const closesArray = text.charCodeAt(i) === 93;
        this.emit(hasReplacement);
        i += 1;
        this.state = closesArray ? JsonState.AfterArray : JsonState.BeforeElement;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === LF || c === CR || c === 0xfeff) {
        i += 1;
        continue;
      }
      if (this.state === JsonState.BeforeArray) {
        if (c !== 91) {
          const got = c === 123 ? 'an object' : `"${text.slice(i, i + 20)}"`;
          this.fail(
            'not_a_json_array',
            `a JSON file must hold an array of objects at the top level; it starts with ${got} (declare format ndjson for one object per line)`,
          );
        }
        this.state = JsonState.BeforeElement;
        i += 1;
        continue;
      }
      if (this.state === JsonState.BeforeElement) {
        if (c === 93) {
          this.state = JsonState.AfterArray;
          i += 1;
          continue;
        }
        if (c === 44) {
          // An empty element (`[1,,2]`) or a stray comma.
          this.element += 1;
          this.sink.reject(this.element, null, 'invalid_json', 'an empty element between two commas', '');
          i += 1;
          continue;
        }
        this.state = JsonState.InElement;
        this.depth = 0;
        start = i;
        continue;
      }
      // After the array: anything but whitespace is kept as one quarantined row.
      if (this.trailing.length < this.maxRow) this.trailing += text.slice(i, Math.min(n, i + this.maxRow));
      break;
    }
    if (!final) return;
    if (this.state === JsonState.InElement && this.partialLength > 0) {
      this.element += 1;
      this.sink.reject(
        this.element,
        null,
        'truncated_json',
        `the file ends inside element ${this.element} of the array: it was cut off`,
        this.partial,
      );
    } else if (this.state === JsonState.BeforeElement) {
      this.element += 1;
      this.sink.reject(
        this.element,
        null,
        'truncated_json',
        'the array is not closed with "]": the file was cut off',
        '',
      );
    }
    if (this.trailing.length > 0) {
      this.element += 1;
      this.sink.reject(this.element, null, 'invalid_json', 'text after the end of the JSON array', this.trailing);
    }
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.partialLength += to - from;
    if (this.oversized) return;
    if (this.partialLength > this.maxRow) {
      this.oversized = true;
      this.partial = (this.partial + text.slice(from, to)).slice(0, this.maxRow);
      return;
    }
    this.partial += text.slice(from, to);
  }

  private emit(hasReplacement: boolean): void {
    this.element += 1;
    const line = this.element;
    const raw = this.partial;
    const length = this.partialLength;
    const oversized = this.oversized;
    this.partial = '';
    this.partialLength = 0;
    this.oversized = false;
    if (oversized) {
      this.sink.reject(
        line,
        null,
        'row_too_large',
        `element ${line} has ${length} characters, more than format.maxRowBytes (${this.maxRow})`,
        raw,
      );
      return;
    }
    if (hasReplacement && raw.includes('\uFFFD')) {
      this.sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, raw);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      this.sink.reject(
        line,
        null,
        'invalid_json',
        `element ${line} is not valid JSON: ${(error as Error).message}`,
        raw,
      );
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.sink.reject(line, null, 'not_an_object', `element ${line} is ${jsonKind(value)}, not a JSON object`, raw);
      return;
    }
    const record = this.dataset.mapObject(value as Record<string, unknown>, this.now);
    if (record) this.sink.accept(record);
    else this.sink.rejectMapped(line, raw);
  }
}

/** Bytes of the input, gunzipped when they are gzip and the declaration allows it. */
async function* decompressed(
  input: AsyncIterable<Uint8Array>,
  format: DatasetFormat,
  state: { bytesRead: number; compressed: boolean },
  gunzip: Gunzip,
  fail: (code: FileReasonCode, message: string, cause?: unknown) => never,
): AsyncGenerator<Uint8Array> {
  const iterator = input[Symbol.asyncIterator]();
  let first: Uint8Array | undefined;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    state.bytesRead += next.value.byteLength;
    if (next.value.byteLength > 0) {
      first = next.value;
      break;
    }
  }
  if (!first) fail('empty_file', 'the file is empty (0 bytes): was the export interrupted?');
  const head = first as Uint8Array;
  const gzip = head[0] === 0x1f && (head.length < 2 || head[1] === 0x8b);
  if (format.compression === 'gzip' && !gzip) {
    fail('unreadable_compression', 'the declaration says gzip, but the file does not start with the gzip signature');
  }
  if (format.compression !== 'none' && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    fail('unsupported_compression', 'the file is a ZIP archive; unzip it and drop the files it holds');
  }
  // An error of the source itself (a dropped connection) is not a corrupt file: it is rethrown as is.
  let sourceError: { error: unknown } | undefined;
  const rest = (async function* () {
    let done = false;
    try {
      yield head;
      for (;;) {
        const next = await iterator.next().catch((error: unknown) => {
          sourceError = { error };
          throw error;
        });
        if (next.done) {
          done = true;
          return;
        }
        state.bytesRead += next.value.byteLength;
        yield next.value;
      }
    } finally {
      // Stopped early (an unreadable file): let the source close its stream or socket.
      if (!done) await iterator.return?.();
    }
  })();
  if (!gzip || format.compression === 'none') {
    yield* rest;
    return;
  }
  state.compressed = true;
  try {
    yield* gunzip(rest);
  } catch (error) {
    if (error instanceof UnreadableInputError) throw error;
    if (sourceError) throw sourceError.error;
    fail('unreadable_compression', `the gzip data is corrupt or cut off (${(error as Error).message})`, error);
  }
}

/**
 * Reads a dataset from bytes: CSV, NDJSON or a JSON array, gzip detected by its signature, UTF-8
 * (BOM skipped) or Latin-1. Yields a batch every `batchRows` rows or so, and at the end.
 *
 * Rows that fail become `QuarantinedRow`s with a reason; `summary().counts` always satisfy
 * `read = valid + quarantined`. An input that cannot be read at all (empty, corrupt gzip, UTF-16,
 * a header without the required columns, a JSON file that is not an array) throws
 * `UnreadableInputError` with a `FILE_REASONS` code; rows yielded before it (a gzip cut off near
 * its end) belong to a file that must be quarantined whole.
 *
 * @example
 * const read = readDataset(compileDataset(declaration), chunks, { source: 's3://b/k', file: 'k' });
 * for await (const { records, quarantined } of read) { ... }
 * const { counts } = read.summary();
 */
export function readDataset(
  dataset: CompiledDataset,
  input: AsyncIterable<Uint8Array>,
  origin: ReadOrigin,
  options: ReadOptions = {},
): DatasetRead {
  const format = options.format ?? dataset.declaration.format;
  const sink = new RowSink(dataset, origin, options.maxRawChars ?? DEFAULT_MAX_RAW);
  const bytes = { bytesRead: 0, compressed: false };
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const fail = (code: FileReasonCode, message: string, cause?: unknown): never => {
    throw new UnreadableInputError(code, message, sink.counts(), { cause, location: origin.file });
  };

  const parser: TextParser =
    format.type === 'csv'
      ? new CsvParser(dataset, sink, format, format.maxRowBytes, options.now, fail)
      : format.type === 'ndjson'
        ? new NdjsonParser(dataset, sink, format.maxRowBytes, options.now)
        : new JsonArrayParser(dataset, sink, format.maxRowBytes, options.now, fail);

  async function* batches(): AsyncGenerator<RecordBatch> {
    const decoder = new TextDecoder(format.encoding === 'latin1' ? 'latin1' : 'utf-8');
    let checkedEncoding = false;
    // Old Mac files end lines with CR alone; they are read as if they used LF. Which kind a file is
    // shows at its first CR that is not the last character seen: text is held back until then.
    let crOnly: boolean | undefined;
    let held = '';
    const feed = (text: string, final: boolean): void => {
      if (crOnly === undefined) {
        text = held + text;
        held = '';
        const cr = text.indexOf('\r');
        if (text.includes('\n')) crOnly = false;
        else if (cr !== -1 && (cr < text.length - 1 || final)) crOnly = true;
        else if (cr !== -1) {
          held = text;
          return;
        }
      }
      if (crOnly) text = text.replaceAll('\r', '\n');
      parser.feed(text, final, text.includes('\uFFFD'));
    };
    for await (const chunk of decompressed(input, format, bytes, options.gunzip ?? webGunzip, fail)) {
      if (!checkedEncoding) {
        checkedEncoding = true;
        checkEncoding(chunk, format, fail);
      }
      const text = decoder.decode(chunk, { stream: true });
      if (text.length === 0) continue;
      feed(text, false);
      if (sink.records.length + sink.quarantined.length >= batchRows) yield sink.take();
    }
    feed(decoder.decode(), true);
    if (sink.records.length > 0 || sink.quarantined.length > 0) yield sink.take();
  }

  return {
    [Symbol.asyncIterator]: () => batches(),
    summary: () => ({
      counts: sink.counts(),
      newestEventTime: sink.valid > 0 ? sink.newest : null,
      oldestEventTime: sink.valid > 0 ? sink.oldest : null,
      bytesRead: bytes.bytesRead,
      compressed: bytes.compressed,
    }),
  };
}

function checkEncoding(
  head: Uint8Array,
  format: DatasetFormat,
  fail: (code: FileReasonCode, message: string) => never,
): void {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    fail('unsupported_encoding', `the file is UTF-16 (it starts with a UTF-16 byte order mark); export it as UTF-8`);
  }
  if (format.encoding === 'utf-8') {
    const sample = Math.min(head.length, 4096);
    let zeros = 0;
    for (let i = 0; i < sample; i++) if (head[i] === 0) zeros += 1;
    if (sample > 0 && zeros * 8 > sample) {
      fail(
        'unsupported_encoding',
        'the file has many NUL bytes: it is binary, or UTF-16 without a byte order mark; export it as UTF-8 text',
      );
    }
  }
}

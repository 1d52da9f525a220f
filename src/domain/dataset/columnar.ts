// Domain: the NDJSON reader's columnar path. Records that take the fast path go into column batches
// (columns.ts) instead of objects, for consumers that read columns (the KPI engine through the local
// record source); UTF-8 input is then parsed from its bytes: compact ASCII lines of a learned shape
// are checked and typed there (flat-json-bytes.ts, byte-line.ts), without being decoded; every other
// line is decoded alone and parsed as text. A module of its own, passed to the reader as
// `ReadOptions.columns` (`columnarReading`), so that readers of records only (the ingestion
// functions) neither load nor bundle it.
import { ByteRead, byteTextCode, type LinePlan, linePlan, type PlannedField, readLineBytes } from './byte-line';
import { ColumnBatch, ColumnKind, type ColumnLayout, NULL_CODE, NULL_NUMBER, type TextTable } from './columns';
import { type ByteShape, type FlatJsonShapes, type FlatSpans, SpanKind } from './flat-json';
import { scanBytes } from './flat-json-bytes';
import { type CompiledDataset, type CompiledField, isSpaceCode, SpanRead, type SpanRule, sameText } from './mapping';
import { NdjsonParser } from './read/ndjson';
import { CR, type FormatParser, LF, type RowSink } from './read/sink';
import type { IsoTimeColumnParser } from './timestamp';

/** How the reader reads NDJSON into columns: what `ReadOptions.columns` takes. */
export interface ColumnarReading {
  /** The NDJSON parser of one file, delivering fast-path records as column batches. */
  ndjsonParser(
    dataset: CompiledDataset,
    sink: RowSink,
    maxRow: number,
    now: number | undefined,
    file: string,
    encoding: 'utf-8' | 'latin1',
  ): FormatParser;
}

/** The columnar path: pass it as `ReadOptions.columns`. */
export const columnarReading: ColumnarReading = {
  ndjsonParser: (dataset, sink, maxRow, now, file, encoding) =>
    new ColumnarNdjsonParser(dataset, sink, maxRow, now, file, encoding),
};

/** How the one-pass byte path reads a field of each `SpanRead` (null: it does not). */
const BYTE_READS: Record<SpanRead, ByteRead | null> = {
  [SpanRead.General]: null,
  [SpanRead.Number]: ByteRead.Number,
  [SpanRead.IsoTime]: ByteRead.IsoTime,
  [SpanRead.Text]: ByteRead.Text,
  [SpanRead.Boolean]: ByteRead.Boolean,
};

/**
 * A compiled dataset's mapping into columns: the same records, or the same problems, as its row
 * mapping (`CompiledDataset.mapSpans`), written into a column batch.
 */
export class ColumnarMapping {
  /**
   * For `mapBytesInto`: per field, the code of each enum value in the text table `enumTable` (-1:
   * not looked up yet), so that an enum value costs its comparison only.
   */
  private readonly enumCodes: Int32Array[];
  private enumTable: TextTable | null = null;

  constructor(readonly dataset: CompiledDataset) {
    this.enumCodes = dataset.fields.map((f) => new Int32Array(f.rule.allowed?.length ?? 0));
  }

  /**
   * How records of this dataset are held as columns (see columns.ts), or null when they cannot
   * be: a field captured from the path, a constant or a derived field (made by the row path only),
   * or a field read from a nested path.
   */
  columnLayout(): ColumnLayout | null {
    const dataset = this.dataset;
    // Constants and derived fields come after the declared ones in a record.
    if (dataset.recordFields.length > dataset.fields.length || dataset.flatKeys() === null) return null;
    if (dataset.fields.some((f) => f.fromPath)) return null;
    const kinds = dataset.fields.map((f) => {
      const type = dataset.declaration.fields[f.name]?.type;
      return type === 'string' ? ColumnKind.Text : type === 'boolean' ? ColumnKind.Boolean : ColumnKind.Number;
    });
    const fields = dataset.fields.map((f) => f.name);
    return { fields, kinds, eventTime: fields.indexOf(dataset.eventTimeField) };
  }

  /**
   * Like `mapSpans`, but writes the record into row `columns.length` of `columns` (laid out by
   * {@link ColumnarMapping.columnLayout}); the caller commits the row.
   * @returns false with `problem` set when the row fails, as `mapSpans` returns null
   */
  mapSpansInto(text: string, spans: FlatSpans, now: number | undefined, columns: ColumnBatch): boolean {
    const fields = this.dataset.fields;
    const row = columns.length;
    const { numbers, codes } = columns;
    const texts = columns.texts;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as CompiledField;
      const column = codes[i];
      if (column && field.rule.read === SpanRead.Text && spans.kinds[i] === SpanKind.String) {
        // An enum's value found in place needs no copy: its code is that of the enum's own string.
        const code = spanTextCode(field.rule, text, spans.starts[i] as number, spans.ends[i] as number, texts);
        if (code >= 0) {
          column[row] = code;
          continue;
        }
      }
      const value = this.dataset.spanValue(field, i, text, spans);
      if (value === undefined) return false;
      const doubles = numbers[i];
      if (doubles) doubles[row] = value === null ? NULL_NUMBER : (value as number);
      else if (value === null) (column as Int32Array)[row] = NULL_CODE;
      else if (typeof value === 'string') (column as Int32Array)[row] = texts.code(value);
      else (column as Int32Array)[row] = value === true ? 1 : 0;
    }
    const time = (numbers[columns.layout.eventTime] as Float64Array)[row] as number;
    return this.dataset.checkEventTime(Number.isNaN(time) ? null : time, now);
  }

  /**
   * Like `mapSpansInto`, over a line of ASCII bytes scanned by `scanBytes`, for a
   * row whose every value is of the usual kind for its field and passes that field's checks: writes
   * the row (the same values `mapSpansInto` writes) and returns true. Any other row (a value the
   * converters must judge, a row that fails) gives false and no problem: the caller then decodes
   * the line and maps it as text, which gives the value or says what is wrong.
   */
  mapBytesInto(bytes: Uint8Array, spans: FlatSpans, now: number | undefined, columns: ColumnBatch): boolean {
    const fields = this.dataset.fields;
    const row = columns.length;
    const { numbers, codes } = columns;
    const kinds = spans.kinds;
    this.useEnumTable(columns.texts);
    for (let i = 0; i < fields.length; i++) {
      const rule = (fields[i] as CompiledField).rule;
      const kind = kinds[i];
      const doubles = numbers[i];
      if (kind === SpanKind.Null || kind === SpanKind.Absent) {
        if (!rule.orNull) return false;
        if (doubles) doubles[row] = NULL_NUMBER;
        else (codes[i] as Int32Array)[row] = NULL_CODE;
      } else if (rule.read === SpanRead.Number) {
        const number = spans.numbers[i] as number;
        if (kind !== SpanKind.Number || !(number >= rule.low && number <= rule.high)) return false;
        if (rule.integer && !Number.isSafeInteger(number)) return false;
        (doubles as Float64Array)[row] = number;
      } else if (rule.read === SpanRead.Boolean) {
        if (kind !== SpanKind.True && kind !== SpanKind.False) return false;
        (codes[i] as Int32Array)[row] = kind === SpanKind.True ? 1 : 0;
      } else if (kind !== SpanKind.String) return false;
      else if (rule.read === SpanRead.IsoTime) {
        const millis = (rule.iso as IsoTimeColumnParser).parseBytes(
          bytes,
          spans.starts[i] as number,
          spans.ends[i] as number,
        );
        if (typeof millis !== 'number' || !(millis >= rule.low && millis <= rule.high)) return false;
        (doubles as Float64Array)[row] = millis;
      } else if (rule.read === SpanRead.Text) {
        const code = byteTextCode(
          rule,
          bytes,
          spans.starts[i] as number,
          spans.ends[i] as number,
          columns.texts,
          this.enumCodes[i] as Int32Array,
        );
        if (code < 0) return false;
        (codes[i] as Int32Array)[row] = code;
      } else return false;
    }
    return this.timeFits((numbers[columns.layout.eventTime] as Float64Array)[row] as number, now);
  }

  /**
   * How lines of `shape` (a compact shape of the `flatKeys`, slots in field order) are read into
   * columns in one pass by {@link ColumnarMapping.readLineInto}; null when they cannot be (a key
   * whose field only the converters read, a missing key that must not be null).
   */
  linePlan(shape: ByteShape): LinePlan | null {
    const planned = this.dataset.fields.map((field, i): PlannedField | null => {
      const read = BYTE_READS[field.rule.read];
      return read === null ? null : { read, rule: field.rule, enumCodes: this.enumCodes[i] as Int32Array };
    });
    return linePlan(shape, planned);
  }

  /**
   * `scanBytes` then `mapBytesInto` in one pass, for lines of one shape: reads the
   * line of `bytes` (`view`: a DataView of them) at `start` into row `columns.length` by `plan` and
   * checks its event time.
   * @returns where the line's text ends, or -1 for a line `scanBytes` and `mapBytesInto` must see
   *   (another shape, a value the converters judge, a row that fails): -1 sets no problem
   */
  readLineInto(
    plan: LinePlan,
    bytes: Uint8Array,
    view: DataView,
    start: number,
    now: number | undefined,
    columns: ColumnBatch,
  ): number {
    this.useEnumTable(columns.texts);
    const end = readLineBytes(plan, bytes, view, start, columns);
    if (end < 0) return -1;
    const time = (columns.numbers[columns.layout.eventTime] as Float64Array)[columns.length] as number;
    return this.timeFits(time, now) ? end : -1;
  }

  /**
   * Whether a row's event time passes the dataset's checks, as `checkEventTime` decides, without
   * setting a problem: the byte paths leave a failing row to the text path, which says what is wrong.
   */
  private timeFits(time: number, now: number | undefined): boolean {
    if (Number.isNaN(time) || time < this.dataset.notBefore) return false;
    return now === undefined || time <= now + this.dataset.maxFutureMillis;
  }

  /** Forgets the enum codes when `texts` is not the table they were looked up in. */
  private useEnumTable(texts: TextTable): void {
    if (this.enumTable === texts) return;
    this.enumTable = texts;
    for (const codes of this.enumCodes) codes.fill(-1);
  }
}

/** Like {@link spanText}, but the text's code in `texts`; -1 when the converters must judge it. */
function spanTextCode(rule: SpanRule, text: string, start: number, end: number, texts: TextTable): number {
  if (end <= start) return -1;
  if (rule.trim && (isSpaceCode(text.charCodeAt(start)) || isSpaceCode(text.charCodeAt(end - 1)))) return -1;
  const allowed = rule.allowed;
  if (allowed === null) return texts.codeAt(text, start, end);
  const length = end - start;
  for (let a = 0; a < allowed.length; a++) {
    const candidate = allowed[a] as string;
    if (candidate.length === length && sameText(text, start, candidate)) return texts.code(candidate);
  }
  return -1;
}

const NO_BYTES = new Uint8Array(0);

/** Index of `byte` in `bytes` from `from`, or `bytes.length` when absent. */
function byteIndexOr(bytes: Uint8Array, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at === -1 ? bytes.length : at;
}

function joinBytes(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/**
 * The NDJSON parser whose fast-path records go into column batches (when the dataset's records can
 * be held as columns: see `ColumnarMapping.columnLayout`). UTF-8 input is handed to it as bytes
 * (`feedBytes`): lines of ASCII that a learned compact shape checks go from the bytes into the
 * columns without becoming text; any other line is decoded alone and parsed as text.
 */
export class ColumnarNdjsonParser extends NdjsonParser {
  private readonly columnar: ColumnarMapping;
  /** How fast-path records are held as columns; null when this dataset's cannot be. */
  private readonly layout: ColumnLayout | null;
  /** Begins a column batch of the layout (see `RowSink.openColumns`). */
  private readonly begin: (capacity: number) => ColumnBatch;
  /**
   * Whether the reader hands this parser bytes (`feedBytes`) rather than text: UTF-8 input whose
   * records go into columns.
   */
  readonly readsBytes: boolean;
  /** Whether `feedBytes` still parses bytes; false once it has handed the rest of the input to `feed`. */
  private bytesMode: boolean;
  /** The unfinished line of the previous piece of bytes. */
  private pendingBytes: Uint8Array = NO_BYTES;
  private firstBytes = true;
  /** The line plan of each compact shape met first (see `planOf`); null for a shape without one. */
  private readonly plans = new Map<ByteShape, LinePlan | null>();
  private plannedShape: ByteShape | null = null;
  private plan: LinePlan | null = null;
  /** Decodes one whole line (a BOM past the start of the input is a character of its line). */
  private readonly lineDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Decodes the rest of the input once `feedBytes` hands it to `feed`. */
  private readonly restDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(
    dataset: CompiledDataset,
    sink: RowSink,
    maxRow: number,
    now: number | undefined,
    file: string,
    encoding: 'utf-8' | 'latin1' = 'utf-8',
  ) {
    super(dataset, sink, maxRow, now, file);
    this.columnar = new ColumnarMapping(dataset);
    const layout = this.shapes ? this.columnar.columnLayout() : null;
    this.layout = layout;
    this.begin = (capacity) => new ColumnBatch(layout as ColumnLayout, capacity);
    this.readsBytes = layout !== null && encoding !== 'latin1';
    this.bytesMode = this.readsBytes;
  }

  protected override scannedRow(text: string, start: number, end: number, line: number): void {
    const columns = this.layout ? this.sink.openColumns(this.begin) : null;
    if (columns === null) {
      super.scannedRow(text, start, end, line);
      return;
    }
    if (this.columnar.mapSpansInto(text, this.spans, this.now, columns)) this.sink.acceptColumns(columns, end - start);
    else this.sink.rejectMapped(line, text.slice(start, end));
  }

  /**
   * The next piece of the undecoded input (UTF-8, after the reader's encoding check), when
   * `readsBytes`. Lines are cut at LF, CR and CRLF as `parse` cuts text, and counted alike; a line
   * is decoded only when the byte path does not take it (see `bytesLines`). The unfinished line of
   * the previous piece is joined with the first line of this one only. An unfinished line that
   * grows past the row limit hands the rest of the input, decoded, to `feed`.
   */
  feedBytes(chunk: Uint8Array, final: boolean): void {
    if (!this.bytesMode) {
      this.feed(this.restDecoder.decode(chunk, { stream: !final }), final);
      return;
    }
    // A plain Uint8Array view of a Buffer (a subclass): the scan then sees one kind of array only,
    // which V8 reads faster than two.
    let bytes =
      chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.firstBytes && bytes.length > 0) {
      this.firstBytes = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    let from = 0;
    if (this.pendingBytes.length > 0) {
      const lf = bytes.indexOf(LF);
      // A CR after the first LF does not matter: not searched for (the piece may be megabytes).
      const cr = (lf === -1 ? bytes : bytes.subarray(0, lf)).indexOf(CR);
      const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      const after = at === -1 ? -1 : bytes[at] === LF ? at + 1 : bytes[at + 1] === LF ? at + 2 : at + 1;
      if (after === -1 || after === bytes.length) {
        // No whole line break in this piece (or a CR at its end, perhaps half a CRLF): join it all.
        bytes = joinBytes(this.pendingBytes, bytes);
      } else {
        const head = joinBytes(this.pendingBytes, bytes.subarray(0, after));
        this.pendingBytes = NO_BYTES;
        // The head ends with its whole line break: nothing of it waits for the next piece.
        this.bytesLines(head, 0, true);
        from = after;
      }
    }
    this.bytesLines(bytes, from, final);
    if (this.pendingBytes.length > this.maxRow) {
      // The text path sets an oversized line aside (it counts its characters, not bytes).
      const rest = this.pendingBytes;
      this.pendingBytes = NO_BYTES;
      this.bytesMode = false;
      this.feed(this.restDecoder.decode(rest, { stream: true }), false);
    }
    if (final) this.finish();
  }

  /**
   * The lines of `bytes` from `from`; the unfinished last one (unless `whole`) goes to
   * `pendingBytes`. A line of the shape the last line had is read into the columns in one pass by
   * that shape's plan (byte-line.ts); a line the plan refuses is checked against every learned
   * shape, then mapped. A line that passes is found to end where the check ends, on its line
   * break; any other line is cut at its first CR or LF, decoded and parsed as text.
   */
  private bytesLines(bytes: Uint8Array, from: number, whole: boolean): void {
    const shapes = this.shapes as FlatJsonShapes;
    const columnar = this.columnar;
    const n = bytes.length;
    let pos = from;
    let nextLf = -1;
    let nextCr = -1;
    let view: DataView | null = null;
    // Lines that start before the last line break are scanned: the scan stops at that break at the
    // latest, never reading past the array (a read past it would make V8 read every byte slower).
    let scanned = bytes.lastIndexOf(LF);
    if (scanned < 0) scanned = bytes.lastIndexOf(CR);
    while (pos < n) {
      let end = -1;
      // Read in one pass by the plan of the shape the last line had; else scanned, then mapped.
      let read = false;
      let columns: ColumnBatch | null = null;
      if (pos < scanned) {
        const plan = this.planOf(shapes.firstByteShape());
        columns = plan ? this.sink.openColumns(this.begin) : null;
        if (columns) {
          view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          end = columnar.readLineInto(plan as LinePlan, bytes, view, pos, this.now, columns);
          read = end >= 0 && (bytes[end] === LF || bytes[end] === CR) && end - pos <= this.maxRow;
        }
        if (!read) end = scanBytes(shapes, bytes, pos, this.spans);
      }
      const checked = end >= 0 && (bytes[end] === LF || bytes[end] === CR);
      if (!checked) {
        if (nextLf < pos) nextLf = byteIndexOr(bytes, LF, pos);
        if (nextCr < pos) nextCr = byteIndexOr(bytes, CR, pos);
        end = Math.min(nextLf, nextCr);
      }
      // A CR at the very end may be the first half of a CRLF: the line waits for the next piece.
      if ((end === n || (end === n - 1 && bytes[end] === CR)) && !whole) break;
      const line = this.line;
      this.line += 1;
      const start = pos;
      if (end === n) pos = n;
      else if (bytes[end] === LF || bytes[end + 1] === LF) {
        this.ends.lf += 1;
        pos = bytes[end] === LF ? end + 1 : end + 2;
      } else {
        this.ends.cr += 1;
        pos = end + 1;
      }
      if (read) {
        this.sink.acceptColumns(columns as ColumnBatch, end - start);
        continue;
      }
      if (checked && end - start <= this.maxRow) {
        columns = this.sink.openColumns(this.begin);
        if (columns && columnar.mapBytesInto(bytes, this.spans, this.now, columns)) {
          this.sink.acceptColumns(columns, end - start);
          continue;
        }
      }
      this.textLine(bytes, start, end, line);
    }
    this.pendingBytes = pos < n ? bytes.slice(pos) : NO_BYTES;
  }

  /** The line plan of `shape` (made once per shape), or null. */
  private planOf(shape: ByteShape | null): LinePlan | null {
    if (shape === this.plannedShape) return this.plan;
    this.plannedShape = shape;
    if (shape === null) this.plan = null;
    else {
      let plan = this.plans.get(shape);
      if (plan === undefined) {
        plan = this.columnar.linePlan(shape);
        this.plans.set(shape, plan);
      }
      this.plan = plan;
    }
    return this.plan;
  }

  /** A line of bytes off the byte path: decoded and parsed as text. */
  private textLine(bytes: Uint8Array, start: number, end: number, line: number): void {
    // Cut at a CR or LF byte, which no multi-byte character holds: decoded alone, the line gives
    // the characters the whole input decoded at once gives for it.
    const text = this.lineDecoder.decode(bytes.subarray(start, end));
    if (!this.replacement && text.includes('\uFFFD')) this.replacement = true;
    this.complete(text, 0, text.length, line);
  }
}

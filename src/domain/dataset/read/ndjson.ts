// Domain: the NDJSON parser of the streaming reader. One JSON object per line; lines end with LF,
// CRLF or a lone CR. Flat lines of a learned key order take a fast path (flat-json.ts) that gives
// the same records as JSON.parse. When records go into columns, UTF-8 input is parsed from its
// bytes (`feedBytes`): compact ASCII lines of a learned shape are checked and typed there, without
// being decoded; every other line is decoded alone and parsed as text.
import type { LinePlan } from '../byte-line';
import type { ColumnBatch, ColumnLayout } from '../columns';
import { type ByteShape, FlatJsonShapes, FlatSpans } from '../flat-json';
import type { CompiledDataset } from '../mapping';
import { indexOr, LineEnds, type LineParser, lineBreakAt, oversizedRowReason, stitch } from './lines';
import { CR, type FormatParser, INVALID_ENCODING, isBlank, jsonKind, LF, type RowSink } from './sink';
import { KeyTracker } from './warnings';

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

/** A line that grew past the row limit: its first characters, its line, its length so far. */
interface OversizedLine {
  readonly head: string;
  readonly line: number;
  length: number;
}

export class NdjsonParser implements FormatParser, LineParser {
  pending = '';
  private line = 1;
  private oversized: OversizedLine | null = null;
  /** Whether the text so far has had a U+FFFD (a byte the decoder could not read): rows are checked from then on. */
  private replacement = false;
  private readonly ends = new LineEnds();
  private readonly shapes: FlatJsonShapes | null;
  private readonly spans: FlatSpans;
  private readonly keys: KeyTracker;
  /** How fast-path records are held as columns; null when this dataset's cannot be. */
  private readonly layout: ColumnLayout | null;
  /**
   * Whether the reader hands this parser bytes (`feedBytes`) rather than text: UTF-8 input whose
   * records go into columns. Lines of ASCII that a learned compact shape checks go from the bytes
   * into the columns without becoming text; any other line is decoded alone and parsed as text.
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
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    private readonly maxRow: number,
    private readonly now: number | undefined,
    private readonly file: string,
    /** Whether fast-path records may go into column batches (see `ReadOptions.columns`). */
    columns = false,
    encoding: 'utf-8' | 'latin1' = 'utf-8',
  ) {
    const keys = dataset.flatKeys();
    this.shapes = keys ? new FlatJsonShapes(keys) : null;
    this.spans = new FlatSpans(keys?.length ?? 0);
    this.layout = keys && columns ? dataset.columnLayout() : null;
    this.keys = new KeyTracker(dataset.sourceColumns(), dataset.optionalSources());
    this.readsBytes = this.layout !== null && this.shapes !== null && encoding !== 'latin1';
    this.bytesMode = this.readsBytes;
  }

  feed(chunk: string, final: boolean): void {
    if (!this.replacement && chunk.includes('\uFFFD')) this.replacement = true;
    stitch(this, chunk, final);
    if (final) this.finish();
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
        columns = plan ? this.sink.openColumns(this.layout as ColumnLayout) : null;
        if (columns) {
          view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          end = this.dataset.readLineInto(plan as LinePlan, bytes, view, pos, this.now, columns);
          read = end >= 0 && (bytes[end] === LF || bytes[end] === CR) && end - pos <= this.maxRow;
        }
        if (!read) end = shapes.scanBytes(bytes, pos, this.spans);
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
        columns = this.sink.openColumns(this.layout as ColumnLayout);
        if (columns && this.dataset.mapBytesInto(bytes, this.spans, this.now, columns)) {
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
        plan = this.dataset.linePlan(shape);
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

  private finish(): void {
    for (const warning of this.keys.warnings(this.file)) this.sink.warn(warning);
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
    let nextLf = indexOr(text, '\n', pos);
    let nextCr = indexOr(text, '\r', pos);
    while (pos < n) {
      if (nextLf < pos) nextLf = indexOr(text, '\n', pos);
      if (nextCr < pos) nextCr = indexOr(text, '\r', pos);
      const end = Math.min(nextLf, nextCr);
      if (end === n && !final) break;
      const line = this.line;
      this.line += 1;
      const start = pos;
      pos = this.ends.after(text, end, final);
      this.complete(text, start, end, line);
    }
    this.pending = pos < n ? text.slice(pos) : '';
    if (this.pending.length > this.maxRow) {
      this.oversized = { head: this.pending.slice(0, this.maxRow), line: this.line, length: this.pending.length };
      this.line += 1;
      this.pending = '';
    }
  }

  /** A whole line: set aside when over the row limit, else parsed. */
  private complete(text: string, start: number, end: number, line: number): void {
    if (end - start > this.maxRow) {
      this.sink.reject(
        line,
        null,
        'row_too_large',
        oversizedRowReason('line', end - start, 0, this.maxRow),
        text.slice(start, start + this.maxRow),
      );
      return;
    }
    this.row(text, start, end, line);
  }

  private row(text: string, start: number, end: number, line: number): void {
    const dataset = this.dataset;
    const sink = this.sink;
    if (this.shapes && !this.replacement && this.shapes.scan(text, start, end, this.spans)) {
      const columns = this.layout ? sink.openColumns(this.layout) : null;
      if (columns) {
        if (dataset.mapSpansInto(text, this.spans, this.now, columns)) sink.acceptColumns(columns, end - start);
        else sink.rejectMapped(line, text.slice(start, end));
        return;
      }
      const record = dataset.mapSpans(text, this.spans, this.now);
      if (record) sink.accept(record, end - start);
      else sink.rejectMapped(line, text.slice(start, end));
      return;
    }
    const lineText = text.slice(start, end);
    if (isBlank(lineText)) return;
    if (this.replacement && lineText.includes('\uFFFD')) {
      sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, lineText);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (error) {
      sink.reject(line, null, 'invalid_json', `the line is not valid JSON: ${(error as Error).message}`, lineText);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      sink.reject(line, null, 'not_an_object', `the line is ${jsonKind(value)}, not a JSON object`, lineText);
      return;
    }
    const object = value as Record<string, unknown>;
    this.keys.observe(object);
    this.shapes?.learn(object, lineText);
    const record = dataset.mapObject(object, this.now);
    if (record) sink.accept(record, lineText.length);
    else sink.rejectMapped(line, lineText);
  }

  /**
   * Skips what remains of an oversized line at `pos`.
   * @returns where parsing resumes, or -1 when the rest of `text` still belongs to that line
   */
  private skipOversized(text: string, pos: number, final: boolean): number {
    const oversized = this.oversized as OversizedLine;
    const at = lineBreakAt(text, pos);
    if (at === -1 && !final) {
      oversized.length += text.length - pos;
      return -1;
    }
    const end = at === -1 ? text.length : at;
    oversized.length += end - pos;
    this.oversized = null;
    this.sink.reject(
      oversized.line,
      null,
      'row_too_large',
      oversizedRowReason('line', oversized.length, 0, this.maxRow),
      oversized.head,
    );
    return this.ends.after(text, end, final);
  }
}

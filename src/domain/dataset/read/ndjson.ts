// Domain: the NDJSON parser of the streaming reader. One JSON object per line; lines end with LF,
// CRLF or a lone CR. Flat lines of a learned key order take a fast path (flat-json.ts) that gives
// the same records as JSON.parse. Records that go into columns are read by a subclass of this parser
// in a module of its own (columnar.ts), which readers pass in as `ReadOptions.columns`.
import { FlatJsonShapes, FlatSpans } from '../flat-json';
import type { CompiledDataset } from '../mapping';
import { indexOr, LineEnds, type LineParser, lineBreakAt, oversizedRowReason, stitch } from './lines';
import { type FormatParser, INVALID_ENCODING, isBlank, jsonKind, type RowSink } from './sink';
import { KeyTracker } from './warnings';

/** A line that grew past the row limit: its first characters, its line, its length so far. */
interface OversizedLine {
  readonly head: string;
  readonly line: number;
  length: number;
}

export class NdjsonParser implements FormatParser, LineParser {
  pending = '';
  protected line = 1;
  private oversized: OversizedLine | null = null;
  /** Whether the text so far has had a U+FFFD (a byte the decoder could not read): rows are checked from then on. */
  protected replacement = false;
  protected readonly ends = new LineEnds();
  protected readonly shapes: FlatJsonShapes | null;
  protected readonly spans: FlatSpans;
  private readonly keys: KeyTracker;

  constructor(
    protected readonly dataset: CompiledDataset,
    protected readonly sink: RowSink,
    protected readonly maxRow: number,
    protected readonly now: number | undefined,
    private readonly file: string,
  ) {
    const keys = dataset.flatKeys();
    this.shapes = keys ? new FlatJsonShapes(keys) : null;
    this.spans = new FlatSpans(keys?.length ?? 0);
    this.keys = new KeyTracker(dataset.sourceColumns(), dataset.optionalSources());
  }

  feed(chunk: string, final: boolean): void {
    if (!this.replacement && chunk.includes('\uFFFD')) this.replacement = true;
    stitch(this, chunk, final);
    if (final) this.finish();
  }

  protected finish(): void {
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
  protected complete(text: string, start: number, end: number, line: number): void {
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

  /** A line of a learned shape, scanned into `spans`: mapped without JSON.parse. */
  protected scannedRow(text: string, start: number, end: number, line: number): void {
    const record = this.dataset.mapSpans(text, this.spans, this.now);
    if (record) this.sink.accept(record, end - start);
    else this.sink.rejectMapped(line, text.slice(start, end));
  }

  private row(text: string, start: number, end: number, line: number): void {
    const dataset = this.dataset;
    const sink = this.sink;
    if (this.shapes && !this.replacement && this.shapes.scan(text, start, end, this.spans)) {
      this.scannedRow(text, start, end, line);
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

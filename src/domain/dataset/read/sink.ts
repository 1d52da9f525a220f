// Domain: where the format parsers put what they read. Rows become records or quarantined rows,
// gathered into batches closed by rows and by size, so a batch ends where the rows say, never where
// the input happened to be chunked. Keeps the counts, the event-time range and the warnings.
import type { QuarantinedRow, ReadCounts, TypedRecord } from '../../records';
import type { ColumnBatch } from '../columns';
import type { FileReasonCode, ReadWarningCode, RowReasonCode } from '../reasons';

/** Where the bytes come from, copied into every quarantined row. */
export interface ReadOrigin {
  /** `s3://bucket/key`, an HTTP URL, `push:<agent>`, a local path. */
  readonly source: string;
  /** The file (or page) inside the source. */
  readonly file: string;
}

/** What one step of a read produced. Arrays are fresh per batch: the consumer may keep them. */
export interface RecordBatch {
  readonly records: TypedRecord[];
  readonly quarantined: QuarantinedRow[];
  /**
   * The records as columns, when every one of them took the NDJSON fast path; `records` is then
   * made from them when first read.
   */
  readonly columns?: ColumnBatch;
}

/**
 * Something about a whole file that is not wrong enough to set rows aside, but that its owner
 * should hear of: an optional column gone (every record has null there), a likely rename.
 */
export interface ReadWarning {
  readonly code: ReadWarningCode;
  /** The declared field concerned, if any. */
  readonly field: string | null;
  /** The column (CSV) or key (JSON) concerned, if any. */
  readonly column: string | null;
  /** A sentence naming the file and the column, and saying what to do. */
  readonly message: string;
}

/** Throws the file-level error of the read in progress. */
export type FailRead = (code: FileReasonCode, message: string, cause?: unknown) => never;

/** How big a batch may grow, and how many rows a file may have. */
export interface SinkLimits {
  readonly batchRows: number;
  /** Characters of row text gathered in a batch before it is closed. */
  readonly batchBytes: number;
  readonly maxRows: number;
  readonly maxRawChars: number;
}

/** The record a dataset's mapping needs to place a row in time. */
interface SinkDataset {
  readonly id: string;
  readonly eventTimeField: string;
  readonly problem: { readonly field: string | null; readonly code: RowReasonCode; readonly reason: string };
}

/** Collects rows into batches and keeps the counts. */
export class RowSink {
  private records: TypedRecord[] = [];
  /** The records of the batch in progress as columns, while none of them came as an object. */
  private columnBatch: ColumnBatch | null = null;
  private quarantined: QuarantinedRow[] = [];
  private batchSize = 0;
  private readonly closed: RecordBatch[] = [];
  read = 0;
  valid = 0;
  rejected = 0;
  private readonly byReason: Record<string, number> = {};
  newest = Number.NEGATIVE_INFINITY;
  oldest = Number.POSITIVE_INFINITY;
  readonly warnings: ReadWarning[] = [];
  /** The header's columns of a CSV file, kept with each quarantined row (a replay reads the row again). */
  private columns: readonly string[] | undefined;

  constructor(
    private readonly dataset: SinkDataset,
    private readonly origin: ReadOrigin,
    private readonly limits: SinkLimits,
    private readonly fail: FailRead,
    /** How far the read got, for the message of a file with too many rows. */
    private readonly progress: () => string,
  ) {}

  /** A record read from `size` characters of text. */
  accept(record: TypedRecord, size: number): void {
    this.count();
    this.valid += 1;
    // Records keep their order: those gathered as columns so far go first, as objects.
    if (this.columnBatch !== null) {
      for (const earlier of this.columnBatch.records()) this.records.push(earlier);
      this.columnBatch = null;
    }
    this.records.push(record);
    const time = record[this.dataset.eventTimeField] as number;
    if (time > this.newest) this.newest = time;
    if (time < this.oldest) this.oldest = time;
    this.grow(size);
  }

  /**
   * Where the next record goes as columns (at row `length`), or null while the batch in progress
   * holds records as objects. A batch is begun with `begin(capacity)`.
   */
  openColumns(begin: (capacity: number) => ColumnBatch): ColumnBatch | null {
    if (this.records.length > 0) return null;
    if (this.columnBatch === null) this.columnBatch = begin(Math.min(this.limits.batchRows, 1024));
    this.columnBatch.reserve();
    return this.columnBatch;
  }

  /** The record just written into `columns` (see `openColumns`), read from `size` characters of text. */
  acceptColumns(columns: ColumnBatch, size: number): void {
    this.count();
    this.valid += 1;
    const time = (columns.numbers[columns.layout.eventTime] as Float64Array)[columns.length] as number;
    columns.commit();
    if (time > this.newest) this.newest = time;
    if (time < this.oldest) this.oldest = time;
    this.grow(size);
  }

  /** The columns the file's header names; quarantined rows carry them from now on. */
  setColumns(columns: readonly string[]): void {
    this.columns = columns;
  }

  reject(line: number, field: string | null, code: RowReasonCode, reason: string, raw: string): void {
    this.count();
    this.rejected += 1;
    this.byReason[code] = (this.byReason[code] ?? 0) + 1;
    const kept = truncate(raw, this.limits.maxRawChars);
    this.quarantined.push({
      dataset: this.dataset.id,
      source: this.origin.source,
      file: this.origin.file,
      line,
      field,
      reason,
      code,
      raw: kept,
      ...(this.columns ? { columns: this.columns } : {}),
    });
    this.grow(kept.length);
  }

  /** Rejects with the problem the mapper just recorded. */
  rejectMapped(line: number, raw: string): void {
    const { field, code, reason } = this.dataset.problem;
    this.reject(line, field, code, reason, raw);
  }

  warn(warning: ReadWarning): void {
    this.warnings.push(warning);
  }

  /** The batches closed since the last call. */
  *drain(): Generator<RecordBatch> {
    while (this.closed.length > 0) yield this.closed.shift() as RecordBatch;
  }

  /** Closes the batch in progress, if it has anything. */
  flush(): void {
    const columns = this.columnBatch !== null && this.columnBatch.length > 0 ? this.columnBatch : null;
    if (this.records.length === 0 && this.quarantined.length === 0 && columns === null) return;
    this.closed.push(
      columns
        ? columns.recordBatch({ quarantined: this.quarantined })
        : { records: this.records, quarantined: this.quarantined },
    );
    this.columnBatch = null;
    this.records = [];
    this.quarantined = [];
    this.batchSize = 0;
  }

  counts(): ReadCounts {
    return {
      read: this.read,
      valid: this.valid,
      quarantined: this.rejected,
      quarantinedByReason: { ...this.byReason },
    };
  }

  private count(): void {
    if (this.read >= this.limits.maxRows) {
      this.fail(
        'too_large',
        `the file has more than ${this.limits.maxRows} rows; reading stopped at row ${this.read + 1}, ${this.progress()}. Split the file, or raise the limit`,
      );
    }
    this.read += 1;
  }

  private grow(size: number): void {
    this.batchSize += size;
    const rows = this.records.length + this.quarantined.length + (this.columnBatch?.length ?? 0);
    if (rows >= this.limits.batchRows) this.flush();
    else if (this.batchSize >= this.limits.batchBytes) this.flush();
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated: ${text.length} characters in all]`;
}

export const INVALID_ENCODING =
  'the row has bytes that are not valid UTF-8 (shown as �); re-export the file as UTF-8 or declare format.encoding: latin1';

export const LF = 10;
export const CR = 13;

export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== CR && c !== LF) return false;
  }
  return true;
}

export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Parses decoded text incrementally into a sink. */
export interface FormatParser {
  /** The next piece of text; `final` with the last (possibly empty) piece. */
  feed(text: string, final: boolean): void;
  /** Whether the reader hands this parser the undecoded bytes (`feedBytes`) instead of text. */
  readonly readsBytes?: boolean;
  /** The next piece of bytes, when `readsBytes`; `final` with the last (possibly empty) piece. */
  feedBytes?(chunk: Uint8Array, final: boolean): void;
}

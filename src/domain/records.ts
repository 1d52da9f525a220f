// Domain: the shape of data between ingestion and computation.

/** A value of a typed record. Timestamps are epoch milliseconds (UTC). */
export type FieldValue = string | number | boolean | null;

/** One typed record of a dataset, after its source mapping. */
export type TypedRecord = Readonly<Record<string, FieldValue>>;

/** A row that could not become a record: kept with where it came from and why. */
export interface QuarantinedRow {
  /** Dataset id the row was meant for. */
  readonly dataset: string;
  /** Where the batch came from: `s3://bucket/key`, an HTTP URL, `push:<agent>`, a local path. */
  readonly source: string;
  /** File (or page) inside the source the row was read from. */
  readonly file: string;
  /** 1-based line (CSV/NDJSON) or element index (JSON array) of the row. */
  readonly line: number;
  /** The field at fault, or null when the row as a whole is unusable. */
  readonly field: string | null;
  /** A sentence a person can act on, e.g. `timestamp "2024-13-01" is not a valid date`. */
  readonly reason: string;
  /** The stable reason code counted in `ReadCounts.quarantinedByReason`, e.g. `invalid_timestamp`. */
  readonly code?: string;
  /** The row's raw text, as read (possibly truncated for huge rows, with a marker). */
  readonly raw: string;
  /** For a row of a CSV file with a header: the header's columns, so that the row can be read again alone. */
  readonly columns?: readonly string[];
}

/** Counts of one read; always `read = valid + quarantined`. */
export interface ReadCounts {
  readonly read: number;
  readonly valid: number;
  readonly quarantined: number;
  /** Quarantined rows by reason code (e.g. `invalid_timestamp`, `ragged_row`). */
  readonly quarantinedByReason: Readonly<Record<string, number>>;
}

// Port: where typed records come from (local files, raw S3 partitions), one dataset at a time.
import type { ReadWarning } from '../domain/dataset';
import type { ColumnBatch } from '../domain/dataset/columns';
import type { QuarantinedRow, ReadCounts, TypedRecord } from '../domain/records';

/** A batch as a source delivers it: the records, and the rows it had to quarantine. */
export interface SourceBatch {
  readonly records: readonly TypedRecord[];
  readonly quarantined: readonly QuarantinedRow[];
  /** The same records as columns, when the source read them so (`records` is then made from them when asked for). */
  readonly columns?: ColumnBatch;
}

/** What reading one dataset found: `counts.read = counts.valid + counts.quarantined + duplicates`. */
export interface DatasetReadReport {
  readonly dataset: string;
  /** Files (or objects) read, in order. */
  readonly inputs: readonly string[];
  readonly counts: ReadCounts;
  /** Rows of a keyed dataset dropped because their key came before on the same day. */
  readonly duplicates: number;
  /** What the files' owners should hear of although no row failed for it (a likely renamed column). */
  readonly warnings?: readonly ReadWarning[];
}

/** One dataset's batches; `report()` is complete once iteration has ended. */
export interface DatasetBatches extends AsyncIterable<SourceBatch> {
  report(): DatasetReadReport;
}

/** A source of records by dataset id. */
export interface RecordSource {
  read(dataset: string): DatasetBatches;
}

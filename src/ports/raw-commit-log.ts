// Port: the raw store's commit log and the heads of replaced files, kept in the state table (see
// src/domain/ingest/commit-log.ts for the protocol). Reads are strongly consistent: a writer
// deciding what is a duplicate, and a reader deciding what is visible, must see every commit made
// before they asked.
import type { CommitEntry, SourceHead } from '../domain/ingest/commit-log';

export interface RawCommitLog {
  /** Every entry of the dataset's days `fromDate..toDate` (inclusive; null: from the first), by day then version. */
  entries(dataset: string, fromDate: string | null, toDate: string): Promise<CommitEntry[]>;
  /**
   * The version and batch of each entry of one day, by version: what a commit checks (is its batch
   * there) and takes the next version from, without reading the entries' objects.
   */
  versions(dataset: string, date: string): Promise<{ readonly version: number; readonly batchId: string }[]>;
  /** Writes the entry under its version if no entry holds that version yet; false when one does. */
  append(entry: CommitEntry): Promise<boolean>;
  /** The head of a logical file; null before its first batch. */
  readSource(dataset: string, source: string): Promise<SourceHead | null>;
  /** Saves the head if its stamp is still `next.stamp - 1`; false when another writer moved it. */
  writeSource(next: SourceHead): Promise<boolean>;
}

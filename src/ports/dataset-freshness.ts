// Port: what the freshness check reads and keeps. When each dataset last received a committed
// batch (the raw store's commit log), the check's own state per dataset (the level the owner was
// last told of, and a notice being sent), the notices to dataset owners, and the check's records.

import type { FreshnessStatus, FreshnessTransition } from '../domain/dataset/freshness';
import type { FreshnessState } from '../domain/dataset/freshness-state';
import type { TypedRecord } from '../domain/records';

export interface DatasetArrivals {
  /**
   * When the dataset's newest committed batch was committed (epoch ms), among the commits of event
   * days from `notBefore`'s day on; when there are none, the newest commit of any day; null when the
   * dataset has never had a batch committed.
   */
  lastArrival(dataset: string, notBefore: number): Promise<number | null>;
}

export interface FreshnessStateStore {
  /** The state of a dataset; null before the check first saw it. */
  read(dataset: string): Promise<FreshnessState | null>;
  /** Saves the state if the stored one still has stamp `next.stamp - 1` (none, for stamp 1); false otherwise. */
  write(next: FreshnessState): Promise<boolean>;
}

/** A notice to the owner of a dataset. */
export interface DatasetOwnerNotice {
  /** The owner's email address (the declaration's `owner`): their subscription filters on it. */
  readonly owner: string;
  readonly dataset: string;
  readonly status: FreshnessStatus;
  readonly transition: FreshnessTransition;
  /** The same on every attempt to send this notice: a subscriber may drop a repeat by it. */
  readonly noticeId: string;
  readonly subject: string;
  readonly body: string;
}

export interface DatasetOwnerNotifier {
  notifyDatasetOwner(notice: DatasetOwnerNotice): Promise<void>;
}

export interface PipelineRecordWriter {
  /**
   * Writes records of the `pipeline_ingest` dataset as one batch and commits it. A batch id already
   * committed adds nothing: a retry writes the same keys and commits nothing twice.
   */
  commitPipelineRecords(batchId: string, at: number, records: readonly TypedRecord[]): Promise<void>;
}

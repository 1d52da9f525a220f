// Port: the raw store as the compute stage reads it: hour partitions of a dataset, each with the
// objects (batches) it holds, and the records inside them, streamed.
import type { TypedRecord } from '../domain/records';

export interface RawObject {
  readonly key: string;
  /** For one gzip member of an object (an hour of a small day): where it starts in the object, in bytes. */
  readonly offset?: number;
  /** What identifies the object's content: the SHA-256 its commit names (the member's, for a member). */
  readonly etag: string;
  /** The ingestion batch that wrote it. */
  readonly batchId: string;
  /** Records in the object, as committed (what work is planned by). */
  readonly records: number;
  /** Bytes of the object (or member) as stored (compressed). */
  readonly bytes: number;
}

/** One hour of one dataset in the raw store. */
export interface RawPartition {
  readonly dataset: string;
  /** Start of the hour, epoch ms. */
  readonly start: number;
  /** `date=YYYY-MM-DD/hour=HH`. */
  readonly label: string;
  readonly objects: readonly RawObject[];
  /** SHA-256 over the sorted `key:etag` pairs (`key@offset:etag` for a member): changes when a batch lands in the hour. */
  readonly fingerprint: string;
}

/** What the batch manifests say about the batches of a partition. */
export interface PartitionBatchSummary {
  /** Manifest keys of the batches. */
  readonly manifests: readonly string[];
  /** Rows of those batches quarantined, attributed to this hour in proportion to its share of their valid rows. */
  readonly quarantined: number | null;
}

export interface RawPartitionSource {
  /** Hour partitions of `dataset` with `from <= start < to` (from null: from the beginning), oldest first. */
  list(dataset: string, from: number | null, to: number): Promise<RawPartition[]>;
  /**
   * The records of the partition's objects (all of them, or `objects`, a subset), in batches as
   * they are read: memory holds a batch and a read buffer, never an object.
   */
  scan(partition: RawPartition, objects?: readonly RawObject[]): AsyncIterable<readonly TypedRecord[]>;
  /** What the manifests of the partition's batches say (read once per batch). */
  batches(partition: RawPartition): Promise<PartitionBatchSummary>;
}

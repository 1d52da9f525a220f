// Port: what the parts of a fanned-out computation hand to its finalizer. Each part aggregates some
// of a range's stale raw partitions and keeps each partition's state on its own, named by the
// partition and its fingerprint, so that parts never write a shared object (the partial cache's
// index) and the finalizer takes a state only for the objects the partition holds now.
import type { KpiPartialState } from '../domain/engine/state';
import type { CachedPartition } from './partial-cache';

/** A partition's partial state with what the partial cache's index keeps of it. */
export interface PartitionPartial {
  readonly state: KpiPartialState;
  readonly cached: CachedPartition;
}

export interface PartStateStore {
  /** Keeps the state of partition `key` (`<dataset>/date=…/hour=…`), made of `partial.cached.fingerprint`. */
  put(kpiId: string, signature: string, key: string, partial: PartitionPartial): Promise<void>;
  /** Whether a state of partition `key` made of `fingerprint` is kept (a retried part skips it). */
  has(kpiId: string, signature: string, key: string, fingerprint: string): Promise<boolean>;
  /** The state of partition `key` made of `fingerprint`; null when none was kept for exactly that. */
  take(kpiId: string, signature: string, key: string, fingerprint: string): Promise<PartitionPartial | null>;
}

/** One item of a fan-out's item list: part `index` of `of`. */
export interface PartItem {
  readonly index: number;
  readonly of: number;
}

export interface FanOutPlans {
  /** Writes the item list of a fan-out; returns where (the state machine's item reader reads it). */
  put(kpiId: string, name: string, items: readonly PartItem[]): Promise<{ bucket: string; key: string }>;
}

/** What a refresh hands to the fan-out: its range, as of its scheduled time. */
export interface HandedOffRefresh {
  readonly kpiId: string;
  /** ISO instants. */
  readonly from: string;
  readonly to: string;
  readonly scheduledTime: string;
}

export interface FanOutStarter {
  /** Starts the fan-out of a refresh; a second start of the same refresh is a no-op. */
  start(refresh: HandedOffRefresh): Promise<void>;
}

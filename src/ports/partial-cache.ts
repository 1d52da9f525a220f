// Port: the partial aggregates of each raw hour partition and the merged states of periods, per KPI
// calculation (signature), kept between runs so that a refresh recomputes only what changed. Derived
// data: whatever is lost, or overwritten by a concurrent writer, costs a recomputation, never a
// wrong value, because every kept state names what it was made of and is used only for exactly that.
import type { KpiPartialState } from '../domain/engine/state';

/** What is known about one partition without loading its partial state. */
export interface CachedPartition {
  readonly fingerprint: string;
  readonly rows: number;
  readonly quarantined: number | null;
  readonly newestEventAt: string | null;
  readonly manifests: readonly string[];
  readonly objects: number;
  /** Where the cache keeps its state (the cache's own name for it; absent: its default place). */
  readonly location?: string;
}

/** What was last computed for one period: recomputed when any of this changes, or while provisional. */
export interface CachedPeriod {
  readonly inputs: string;
  readonly definitionHash: string;
  readonly codeVersion: string;
  readonly provisional: boolean;
  /** The partitions (key → fingerprint) its merged state was made of. */
  readonly partitions?: Readonly<Record<string, string>>;
  /** Where its list of input partitions is archived (lineage), when it was. */
  readonly inputsRef?: string | null;
  /** Where the cache keeps its merged state (the cache's own name for it; absent: its default place). */
  readonly location?: string;
}

export interface PartialIndex {
  /** `<dataset>/<partition label>` → partition. */
  readonly partitions: Record<string, CachedPartition>;
  /** Period start (ISO) → what it was computed from. */
  readonly periods: Record<string, CachedPeriod>;
}

/** A partition's partial state, with the fingerprint of the objects it was made of. */
export interface KeptPartition {
  readonly fingerprint: string;
  readonly state: KpiPartialState;
}

/** A period's merged state, with the digest of the partitions it was merged from. */
export interface KeptPeriod {
  readonly inputs: string;
  readonly state: KpiPartialState;
}

/** A kept state asked for: what it must have been made of, and where the index says it is. */
export interface WantedState {
  readonly made: string;
  readonly location?: string | undefined;
}

/** What a run keeps, written in one go (each object the cache holds is written once). */
export interface PartialCacheWrite {
  readonly partitions: ReadonlyMap<string, KeptPartition>;
  /** Period start (ISO) → merged state. */
  readonly periods: ReadonlyMap<string, KeptPeriod>;
  /** The index, whole for each of `months`, which it replaces. */
  readonly index: PartialIndex;
  readonly months: readonly string[];
}

export interface PartialCache {
  /** The index entries of partitions and periods in these months (`YYYY-MM`), together. */
  readIndex(kpiId: string, signature: string, months: readonly string[]): Promise<PartialIndex>;
  /**
   * The partial states kept of partitions (`<dataset>/date=…/hour=…`) and periods (`period/<start
   * ISO>`): each wanted with what it must have been made of (a partition's fingerprint, the digest
   * of a period's inputs) and where the index says it is kept. A state kept for something else, or
   * not kept, is absent from the result.
   */
  readStates(
    kpiId: string,
    signature: string,
    wanted: ReadonlyMap<string, WantedState>,
  ): Promise<Map<string, KpiPartialState>>;
  /**
   * Keeps states and index entries, beside what was kept before for other partitions and periods;
   * sets the `location` of the index entries it writes.
   */
  write(kpiId: string, signature: string, write: PartialCacheWrite): Promise<void>;
}

/** The index month of a partition key (`<dataset>/date=YYYY-MM-DD/hour=HH`) or of an ISO instant. */
export function monthOf(keyOrInstant: string): string {
  const date = /date=(\d{4}-\d{2})/.exec(keyOrInstant)?.[1];
  return date ?? keyOrInstant.slice(0, 7);
}

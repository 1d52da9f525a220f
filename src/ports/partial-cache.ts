// Port: the partial aggregates of each raw hour partition, per KPI calculation (signature), kept
// between runs so that a refresh recomputes only the partitions that changed.
import type { KpiPartialState } from '../domain/engine/state';

/** What is known about one partition without loading its partial state. */
export interface CachedPartition {
  readonly fingerprint: string;
  readonly rows: number;
  readonly quarantined: number | null;
  readonly newestEventAt: string | null;
  readonly manifests: readonly string[];
  readonly objects: number;
}

/** What was last computed for one period: recomputed when any of this changes, or while provisional. */
export interface CachedPeriod {
  readonly inputs: string;
  readonly definitionHash: string;
  readonly codeVersion: string;
  readonly provisional: boolean;
  /** The partitions (key → fingerprint) its merged state was made of. */
  readonly partitions?: Readonly<Record<string, string>>;
}

export interface PartialIndex {
  /** `<dataset>/<partition label>` → partition. */
  readonly partitions: Record<string, CachedPartition>;
  /** Period start (ISO) → what it was computed from. */
  readonly periods: Record<string, CachedPeriod>;
}

export interface PartialCache {
  readIndex(kpiId: string, signature: string): Promise<PartialIndex>;
  writeIndex(kpiId: string, signature: string, index: PartialIndex): Promise<void>;
  /**
   * The states kept under `keys`: a partition's partial (`<dataset>/date=…/hour=…`) or a period's
   * merged state (`period/<start>`). Keys with nothing kept are absent from the result.
   */
  readPartials(kpiId: string, signature: string, keys: readonly string[]): Promise<Map<string, KpiPartialState>>;
  /** Keeps states under their keys, replacing what was kept there. */
  writePartials(kpiId: string, signature: string, states: ReadonlyMap<string, KpiPartialState>): Promise<void>;
}

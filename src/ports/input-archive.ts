// Port: where the full list of a value's input partitions is kept. A value's item carries a
// summary and a digest per dataset (src/domain/values/kpi-value.ts); the list itself goes here.
import type { InputPartition } from '../domain/values/kpi-value';

export interface InputArchive {
  /**
   * Stores the input partitions of one KPI period and returns the reference recorded as
   * `lineage.inputsRef`. Content-addressed: the same list always gives the same reference.
   */
  put(kpiId: string, partitions: readonly InputPartition[]): Promise<string>;
  /** The archived list, or null when the reference is unknown. */
  get(ref: string): Promise<InputPartition[] | null>;
}

// Port: where the full list of a value's input partitions is kept. A value's item carries a
// summary and a digest per dataset (src/domain/values/kpi-value.ts); the list itself goes here.
import type { InputPartition } from '../domain/values/kpi-value';

export interface InputArchive {
  /**
   * Stores the input partitions of the periods one run finalizes, as few objects as their size
   * allows, and returns the reference of each list, in order, recorded as `lineage.inputsRef`.
   * Content-addressed: a reference names the list's SHA-256, and the same lists put together give
   * the same references. A list put with other lists is named inside their pack, so the same list
   * can have two references; `inputListIdentity` (src/domain/values/value-fingerprint.ts) names it
   * the same whatever holds it.
   */
  putAll(kpiId: string, lists: readonly (readonly InputPartition[])[]): Promise<string[]>;
  /** The archived list, or null when the reference is unknown. */
  get(ref: string): Promise<InputPartition[] | null>;
}

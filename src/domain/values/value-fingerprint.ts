// Domain (compute): when a recomputed value counts as changed.
import { contentHash } from '../versioning/content-hash';
import type { KpiValue } from './kpi-value';

/**
 * Hash of everything a value says except when it was computed: value, status, reason, sample,
 * provisional flag, confidence, drift, forecast, and the lineage (definition, inputs, code).
 * Recomputing a period from the same inputs with the same definition and code gives the same
 * fingerprint, so the store writes nothing; a late batch, a new definition version or new code
 * changes it. A value without a forecast hashes as values did before forecasts existed, and the
 * reference of its input list counts by the list it names, not by the object that holds it
 * ({@link inputListIdentity}).
 */
export function valueFingerprint(value: KpiValue): string {
  const { computedAt: _computedAt, ...lineage } = value.lineage;
  const { forecast, ...rest } = value;
  const identity = { ...lineage, inputsRef: lineage.inputsRef === null ? null : inputListIdentity(lineage.inputsRef) };
  return contentHash(forecast ? { ...rest, forecast, lineage: identity } : { ...rest, lineage: identity });
}

/**
 * What an input list reference names, whatever object holds the list: a list kept in a pack of a
 * run's lists (`<folder>/pack-<sha256>.json.gz#<list sha256>`) counts as the object it would have
 * on its own (`<folder>/<list sha256>.json.gz`). So the same list archived by two runs that
 * finalized different sets of periods leaves the value unchanged.
 *
 * @example inputListIdentity('s3://b/lineage/kpi=ctr/pack-9f….json.gz#4a…') // 's3://b/lineage/kpi=ctr/4a….json.gz'
 */
export function inputListIdentity(ref: string): string {
  const hash = ref.indexOf('#');
  if (hash < 0) return ref;
  const folder = ref.slice(0, ref.lastIndexOf('/', hash) + 1);
  return `${folder}${ref.slice(hash + 1)}.json.gz`;
}

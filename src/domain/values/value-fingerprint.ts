// Domain (compute): when a recomputed value counts as changed.
import { contentHash } from '../versioning/content-hash';
import type { KpiValue } from './kpi-value';

/**
 * Hash of everything a value says except when it was computed: value, status, reason, sample,
 * provisional flag, confidence, drift, forecast, and the lineage (definition, inputs, code).
 * Recomputing a period from the same inputs with the same definition and code gives the same
 * fingerprint, so the store writes nothing; a late batch, a new definition version or new code
 * changes it. A value without a forecast hashes as values did before forecasts existed.
 */
export function valueFingerprint(value: KpiValue): string {
  const { computedAt: _computedAt, ...lineage } = value.lineage;
  const { forecast, ...rest } = value;
  return contentHash(forecast ? { ...rest, forecast, lineage } : { ...rest, lineage });
}

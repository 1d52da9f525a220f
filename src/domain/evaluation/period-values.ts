// Domain (compute → evaluate): a finalized period's values as stored: the engine's values with the
// period's lineage (definition, input partitions, code) and the confidence its inputs allow, drift
// and forecast still to come; and what the partial cache keeps of the period afterwards.
import type { KpiValue as EngineValue } from '../engine/value';
import { PipelineError } from '../errors';
import { inputConfidence } from '../values/confidence';
import { type InputPartition, type KpiValue, summarizeInputs } from '../values/kpi-value';
import { sha256Hex } from '../versioning/sha256';
import { type KeptPeriodFacts, type PartitionRef, type PeriodPlan, partitionKey } from './due-periods';

/** A partition a period reads, with how many raw objects it held. */
export interface ReadPartition extends PartitionRef {
  readonly objects: readonly unknown[];
}

/** What the partial cache knows of a partition once it has been aggregated. */
export interface PartitionFacts {
  readonly rows: number;
  readonly quarantined: number | null;
  readonly newestEventAt: string | null;
  readonly manifests: readonly string[];
}

/** What every value of a run is computed with. */
export interface ComputedWith {
  readonly definition: { readonly id: string; readonly version: number; readonly hash: string };
  readonly codeVersion: string;
  /** ISO instant the run computed at. */
  readonly computedAt: string;
  /** The instant values are computed as of (epoch ms): how fresh the inputs must be. */
  readonly asOf: number;
}

/** What the partial cache keeps of a finalized period. */
export interface KeptPeriodEntry extends KeptPeriodFacts {
  /** Partition key → fingerprint of the inputs. */
  readonly partitions: Readonly<Record<string, string>>;
  readonly inputsRef: string | null;
}

/**
 * The full list of a period's input partitions, in the plan's order.
 * @throws PipelineError when `facts` does not know a partition (every input is aggregated before finalizing)
 */
export function periodLineage(
  inputs: readonly ReadPartition[],
  facts: (key: string) => PartitionFacts | undefined,
): InputPartition[] {
  return inputs.map((p) => {
    const known = facts(partitionKey(p));
    if (!known) throw new PipelineError(`${partitionKey(p)}: read by the period but never aggregated`);
    return {
      dataset: p.dataset,
      partition: p.label,
      objects: p.objects.length,
      etag: p.fingerprint,
      manifests: [...known.manifests],
      rows: known.rows,
      quarantined: known.quarantined,
      newestEventAt: known.newestEventAt,
    };
  });
}

/** The engine's values of one period as stored: lineage and confidence set, drift and forecast null. */
export function periodValues(
  computed: readonly EngineValue[],
  period: Pick<PeriodPlan, 'start' | 'end'>,
  lineage: readonly InputPartition[],
  inputsRef: string | null,
  run: ComputedWith,
): KpiValue[] {
  const summaries = summarizeInputs(lineage, sha256Hex);
  const confidence = inputConfidence({
    inputs: summaries,
    periodStart: period.start,
    periodEnd: period.end,
    computedAt: run.asOf,
  });
  return computed.map((v) => ({
    kpiId: v.kpiId,
    grain: v.grain,
    periodStart: v.periodStart,
    periodEnd: v.periodEnd,
    dimensions: v.dimensions,
    value: v.value,
    status: v.status,
    reason: v.reason,
    sampleSize: v.sampleSize,
    provisional: v.provisional,
    confidence,
    drift: null,
    forecast: null,
    lineage: {
      definition: { id: run.definition.id, version: run.definition.version, hash: run.definition.hash },
      inputs: summaries,
      inputsRef,
      codeVersion: run.codeVersion,
      computedAt: run.computedAt,
    },
  }));
}

/** What the partial cache keeps of a period finalized into `values`. */
export function keptPeriodEntry(
  plan: Pick<PeriodPlan, 'digest' | 'inputs'>,
  values: readonly Pick<KpiValue, 'provisional'>[],
  inputsRef: string | null,
  run: Pick<ComputedWith, 'definition' | 'codeVersion'>,
): KeptPeriodEntry {
  return {
    inputs: plan.digest,
    definitionHash: run.definition.hash,
    codeVersion: run.codeVersion,
    provisional: values.some((v) => v.provisional),
    partitions: Object.fromEntries(plan.inputs.map((p) => [partitionKey(p), p.fingerprint])),
    inputsRef,
  };
}

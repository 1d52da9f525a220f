// Domain (compute → evaluate): which periods of a range a run finalizes again. Each period reads some
// raw hour partitions; it is due when those changed (a new or late batch), its definition or the
// computing code changed, or it was still provisional when last kept.
import type { KpiDefinition } from '../definition/schema';
import type { CompiledKpi, InputRange } from '../engine/kpi';
import { isoTime, periodEnd } from '../engine/time';
import { sha256Hex } from '../versioning/sha256';

const HOUR = 3_600_000;

/** What planning needs of one raw hour partition of a dataset. */
export interface PartitionRef {
  readonly dataset: string;
  /** Start of the hour, epoch ms. */
  readonly start: number;
  /** `date=YYYY-MM-DD/hour=HH`. */
  readonly label: string;
  /** Changes whenever a batch lands in the hour. */
  readonly fingerprint: string;
}

/** What the last run kept of a period: enough to tell whether it must be finalized again. */
export interface KeptPeriodFacts {
  /** {@link PeriodPlan.digest} of the inputs it was finalized from. */
  readonly inputs: string;
  readonly definitionHash: string;
  readonly codeVersion: string;
  readonly provisional: boolean;
}

/** One period of the range: the partitions it reads, their digest, and whether it is due. */
export interface PeriodPlan<P extends PartitionRef = PartitionRef> {
  readonly start: number;
  readonly end: number;
  readonly inputs: P[];
  /** SHA-256 over the inputs' `key:fingerprint` lines, in input order. */
  readonly digest: string;
  readonly due: boolean;
}

/** What {@link planPeriods} decides from. */
export interface PeriodPlanning<P extends PartitionRef> {
  readonly kpi: Pick<CompiledKpi, 'definition' | 'inputRanges'>;
  /** Period starts of the range, in order. */
  readonly starts: readonly number[];
  /** The partitions listed for the whole range, by dataset. */
  readonly partitions: ReadonlyMap<string, readonly P[]>;
  /** The field a dataset's raw store is partitioned by, when known (see {@link widenRange}). */
  readonly partitionTimeField?: ((dataset: string) => string | undefined) | undefined;
  /** What was kept of each period, by its start (ISO). */
  readonly kept: Readonly<Record<string, KeptPeriodFacts | undefined>>;
  readonly definitionHash: string;
  readonly codeVersion: string;
  /** Every period is due, whatever was kept. */
  readonly force: boolean;
}

/** `<dataset>/date=YYYY-MM-DD/hour=HH`: a partition's name in the partial cache and in a period's inputs. */
export function partitionKey(partition: Pick<PartitionRef, 'dataset' | 'label'>): string {
  return `${partition.dataset}/${partition.label}`;
}

/**
 * The raw hours a KPI's range needs from a dataset: the engine's input range on hour boundaries.
 * When the KPI places records by another field than the one the raw store is partitioned by, any
 * hour may hold records of the period: then every hour up to the range's end is read.
 */
export function widenRange(
  definition: Pick<KpiDefinition, 'datasets'>,
  dataset: string,
  range: InputRange,
  partitionField: string | undefined,
): InputRange {
  const to = Math.ceil(range.to / HOUR) * HOUR;
  const kpiField = definition.datasets.find((d) => d.id === dataset)?.timeField;
  if (partitionField && kpiField && partitionField !== kpiField) return { from: null, to };
  return { from: range.from === null ? null : Math.floor(range.from / HOUR) * HOUR, to };
}

/** The raw hours, per dataset, that the periods in [from, to) read. */
export function inputHours(
  kpi: Pick<CompiledKpi, 'definition' | 'inputRanges'>,
  from: number,
  to: number,
  partitionTimeField?: (dataset: string) => string | undefined,
): [dataset: string, range: InputRange][] {
  return Object.entries(kpi.inputRanges(from, to)).map(([dataset, range]) => [
    dataset,
    widenRange(kpi.definition, dataset, range, partitionTimeField?.(dataset)),
  ]);
}

/** Each period of the range with its inputs, and whether it is due to be finalized again. */
export function planPeriods<P extends PartitionRef>(planning: PeriodPlanning<P>): PeriodPlan<P>[] {
  const grain = planning.kpi.definition.grain;
  return planning.starts.map((start) => {
    const end = periodEnd(grain, start);
    const inputs = inputHours(planning.kpi, start, end, planning.partitionTimeField).flatMap(([dataset, wide]) =>
      (planning.partitions.get(dataset) ?? []).filter(
        (p) => (wide.from === null || p.start >= wide.from) && p.start < wide.to,
      ),
    );
    const digest = sha256Hex(inputs.map((p) => `${partitionKey(p)}:${p.fingerprint}`).join('\n'));
    const previous = planning.kept[isoTime(start)];
    const due =
      planning.force ||
      !previous ||
      previous.provisional ||
      previous.inputs !== digest ||
      previous.definitionHash !== planning.definitionHash ||
      previous.codeVersion !== planning.codeVersion;
    return { start, end, inputs, digest, due };
  });
}

/** The latest period of the range a run leaves as stored (final, since only final periods are skipped). */
export function latestUnchangedPeriod(plans: readonly Pick<PeriodPlan, 'start' | 'due'>[]): string | null {
  const skipped = plans.filter((p) => !p.due).at(-1);
  return skipped ? isoTime(skipped.start) : null;
}

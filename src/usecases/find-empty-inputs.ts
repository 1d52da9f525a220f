// Use case: before computing a KPI over a range on a deployment, find the datasets it reads that have
// no raw partition at all in the range: every period would come out insufficient_data, which
// people should hear about before they read it as a fact about their business.
import type { KpiDefinition } from '../domain/definition/schema';
import { compileKpi } from '../domain/engine/kpi';
import { periodEnd, periodsBetween } from '../domain/engine/time';
import type { RawPartitionSource } from '../ports/raw-partitions';

export interface EmptyInput {
  readonly dataset: string;
  /** The range of event time the KPI's periods read (from null: since the beginning). */
  readonly from: number | null;
  readonly to: number;
}

/** The datasets `definition` reads for its periods starting in `[from, to)` that have no raw partition there. */
export async function findEmptyInputs(
  raw: RawPartitionSource,
  definition: KpiDefinition,
  from: number,
  to: number,
): Promise<EmptyInput[]> {
  const starts = periodsBetween(definition.grain, from, to);
  if (starts.length === 0) return [];
  const first = starts[0] as number;
  const end = periodEnd(definition.grain, starts.at(-1) as number);
  const empty: EmptyInput[] = [];
  for (const [dataset, range] of Object.entries(compileKpi(definition).inputRanges(first, end))) {
    if ((await raw.list(dataset, range.from, range.to)).length === 0) {
      empty.push({ dataset, from: range.from, to: range.to });
    }
  }
  return empty;
}

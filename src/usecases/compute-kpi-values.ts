// Use case: compute KPI values from a record source in one pass per dataset (several KPIs reading the
// same dataset share the pass), through the engine's accumulators.
import type { KpiComputation } from '../domain/engine/finalize';
import { accumulateTogether, type CompiledKpi, type KpiAccumulator } from '../domain/engine/kpi';
import type { QuarantinedRow } from '../domain/records';
import type { DatasetReadReport, RecordSource } from '../ports/record-source';

/** What to compute. */
export interface ComputeKpiValuesRequest {
  readonly kpis: readonly CompiledKpi[];
  readonly source: RecordSource;
  /** Epoch ms the values are computed for (provisional periods); from the caller's clock. */
  readonly asOf: number;
  /** Report periods from this instant (epoch ms). */
  readonly from?: number;
  /** Report periods starting before this instant (epoch ms). */
  readonly to?: number;
  /** Called with every quarantined row, as it is read. */
  readonly onQuarantined?: (row: QuarantinedRow) => void;
}

/** The values of each KPI, and what was read. */
export interface ComputeKpiValuesResult {
  readonly results: readonly { readonly kpi: CompiledKpi; readonly computation: KpiComputation }[];
  readonly reads: readonly DatasetReadReport[];
}

export async function computeKpiValues(request: ComputeKpiValuesRequest): Promise<ComputeKpiValuesResult> {
  // Fed together, KPIs that group a dataset alike place each record once for all of them.
  const together = accumulateTogether(request.kpis);
  const datasets = [...new Set(request.kpis.flatMap((kpi) => kpi.datasets))].sort();
  const reads: DatasetReadReport[] = [];
  for (const dataset of datasets) {
    const batches = request.source.read(dataset);
    for await (const batch of batches) {
      if (batch.columns) together.addColumns(dataset, batch.columns);
      else together.addAll(dataset, batch.records);
      if (request.onQuarantined) for (const row of batch.quarantined) request.onQuarantined(row);
    }
    reads.push(batches.report());
  }
  const range = {
    asOf: request.asOf,
    ...(request.from === undefined ? {} : { from: request.from }),
    ...(request.to === undefined ? {} : { to: request.to }),
  };
  return {
    results: request.kpis.map((kpi, i) => ({
      kpi,
      computation: (together.accumulators[i] as KpiAccumulator).finalize(range),
    })),
    reads,
  };
}

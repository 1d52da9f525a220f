// Domain (publish): what one date's snapshot holds: a row per stored KPI value whose period starts
// that day, in a fixed order, and a manifest that says what the file holds and where it came from.

import { dimensionKey } from '../values/dimension-key';
import type { StoredKpiValue } from '../values/restatement';
import { canonicalJson } from '../versioning/canonical-json';

/** One row of a snapshot; column names as in the Parquet file. */
export interface SnapshotRow {
  readonly kpi_id: string;
  readonly grain: string;
  readonly period_start: number;
  readonly period_end: number;
  readonly dimension_key: string;
  readonly dimensions: string;
  readonly value: number | null;
  readonly status: string;
  readonly reason: string | null;
  readonly sample_size: number | null;
  readonly provisional: boolean;
  readonly confidence: number | null;
  readonly drift_verdict: string | null;
  readonly red_probability: number | null;
  readonly forecast: string | null;
  readonly definition_version: number;
  readonly definition_hash: string;
  readonly code_version: string;
  readonly computed_at: number;
  readonly revision: number;
  readonly restatements: number;
  readonly input_partitions: number;
  readonly lineage: string;
}

/** The rows of a snapshot, ordered by KPI, grain, period and dimensions, so equal values give equal files. */
export function snapshotRows(values: readonly StoredKpiValue[]): SnapshotRow[] {
  const rows = values.map(
    (v): SnapshotRow => ({
      kpi_id: v.kpiId,
      grain: v.grain,
      period_start: Date.parse(v.periodStart),
      period_end: Date.parse(v.periodEnd),
      dimension_key: dimensionKey(v.dimensions),
      dimensions: canonicalJson(v.dimensions),
      value: v.value,
      status: v.status,
      reason: v.reason,
      sample_size: v.sampleSize,
      provisional: v.provisional,
      confidence: v.confidence,
      drift_verdict: v.drift?.verdict ?? null,
      red_probability: v.forecast?.probabilityRed ?? null,
      forecast: v.forecast ? canonicalJson(v.forecast) : null,
      definition_version: v.lineage.definition.version,
      definition_hash: v.lineage.definition.hash,
      code_version: v.lineage.codeVersion,
      computed_at: Date.parse(v.lineage.computedAt),
      revision: v.revision,
      restatements: v.restatements.length,
      input_partitions: v.lineage.inputs.reduce((n, i) => n + i.partitions, 0),
      lineage: canonicalJson(v.lineage),
    }),
  );
  const key = (r: SnapshotRow) => [r.kpi_id, r.grain, String(r.period_start).padStart(16, '0'), r.dimension_key];
  return rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      if ((ka[i] as string) < (kb[i] as string)) return -1;
      if ((ka[i] as string) > (kb[i] as string)) return 1;
    }
    return 0;
  });
}

/** What a snapshot holds, written next to it for data teams and for the exporter's own change check. */
export interface SnapshotManifest {
  readonly format: 1;
  /** The UTC date the snapshot covers (periods starting that day). */
  readonly date: string;
  readonly generatedAt: string;
  readonly object: { readonly key: string; readonly bytes: number; readonly sha256: string };
  readonly rowCount: number;
  /** Per KPI: rows, the definition versions (and hashes) behind them, and provisional rows. */
  readonly kpis: Readonly<
    Record<
      string,
      {
        readonly rows: number;
        readonly provisionalRows: number;
        readonly definitions: readonly { readonly version: number; readonly hash: string }[];
      }
    >
  >;
  /** Code versions that computed the rows. */
  readonly codeVersions: readonly string[];
  /** Raw input partitions behind the rows, by dataset. */
  readonly inputs: Readonly<Record<string, { readonly partitions: number; readonly objects: number }>>;
  /** Restatements of the values in this snapshot (final values that changed), oldest first. */
  readonly restatements: readonly {
    readonly kpiId: string;
    readonly periodStart: string;
    readonly dimensionKey: string;
    readonly revision: number;
    readonly cause: string;
    readonly previousValue: number | null;
    readonly value: number | null;
    readonly restatedAt: string;
  }[];
}

/** The manifest of a date's snapshot. */
export function snapshotManifest(
  date: string,
  values: readonly StoredKpiValue[],
  object: SnapshotManifest['object'],
  generatedAt: string,
): SnapshotManifest {
  const kpis: Record<string, { rows: number; provisionalRows: number; definitions: Map<string, number> }> = {};
  // Each distinct input list counts once: values of one period (its dimension rows) share theirs.
  const inputs: Record<string, { lists: Set<string>; partitions: number; objects: number }> = {};
  const codeVersions = new Set<string>();
  for (const v of values) {
    const entry = kpis[v.kpiId] ?? { rows: 0, provisionalRows: 0, definitions: new Map<string, number>() };
    kpis[v.kpiId] = entry;
    entry.rows += 1;
    if (v.provisional) entry.provisionalRows += 1;
    entry.definitions.set(v.lineage.definition.hash, v.lineage.definition.version);
    codeVersions.add(v.lineage.codeVersion);
    for (const input of v.lineage.inputs) {
      const dataset = inputs[input.dataset] ?? { lists: new Set<string>(), partitions: 0, objects: 0 };
      inputs[input.dataset] = dataset;
      if (!dataset.lists.has(input.digest)) {
        dataset.lists.add(input.digest);
        dataset.partitions += input.partitions;
        dataset.objects += input.objects;
      }
    }
  }
  const sortedEntries = <T>(record: Record<string, T>) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    format: 1,
    date,
    generatedAt,
    object,
    rowCount: values.length,
    kpis: Object.fromEntries(
      sortedEntries(kpis).map(([id, k]) => [
        id,
        {
          rows: k.rows,
          provisionalRows: k.provisionalRows,
          definitions: [...k.definitions]
            .map(([hash, version]) => ({ version, hash }))
            .sort((a, b) => a.version - b.version),
        },
      ]),
    ),
    codeVersions: [...codeVersions].sort(),
    inputs: Object.fromEntries(
      sortedEntries(inputs).map(([id, d]) => [id, { partitions: d.partitions, objects: d.objects }]),
    ),
    restatements: values
      .flatMap((v) =>
        v.restatements.map((r) => ({
          kpiId: r.kpiId,
          periodStart: r.periodStart,
          dimensionKey: dimensionKey(r.dimensions),
          revision: r.revision,
          cause: r.cause,
          previousValue: r.previous.value,
          value: r.current.value,
          restatedAt: r.restatedAt,
        })),
      )
      .sort((a, b) => (a.restatedAt < b.restatedAt ? -1 : a.restatedAt > b.restatedAt ? 1 : 0)),
  };
}

// Domain: the pipeline's own data-quality records. Every batch, whatever its outcome, adds records
// to the `pipeline_ingest` dataset (declared in kpis/datasets/pipeline_ingest.yaml): one `batch` record
// with its totals, and one `quarantine_reason` record per reason code. The data-quality KPIs
// (freshness, schema conformity, validation-failure rate) are computed from them by the same
// engine as every other KPI.
import type { TypedRecord } from '../records';
import type { BatchCounts, BatchOutcome, Connector, ReadWarning } from './manifest';

/** The dataset id of the data-quality records. */
export const PIPELINE_INGEST_DATASET = 'pipeline_ingest';

export interface BatchQualityFacts {
  readonly batchId: string;
  readonly dataset: string;
  readonly connector: Connector;
  /** The source's URI: `s3://bucket/key`, an API URL, `push:<agent>`. */
  readonly source: string;
  readonly outcome: BatchOutcome;
  /** Reason code of an unreadable or rejected batch. */
  readonly problemCode: string | null;
  readonly ingestedAt: number;
  readonly counts: BatchCounts;
  /** File-level warnings (a missing or renamed optional column): the file does not conform to its declaration. */
  readonly warnings: readonly ReadWarning[];
  readonly newestEventTime: number | null;
  readonly oldestEventTime: number | null;
  readonly lateRecords: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/** Fields of a `quarantine_reason` record that only `batch` records fill. */
export const BATCH_ONLY_FIELDS = {
  rows_received: null,
  rows_valid: null,
  rows_duplicate: null,
  warnings: null,
  schema_conformity: null,
  newest_event_time: null,
  oldest_event_time: null,
  freshness_lag_seconds: null,
  late_records: null,
  bytes: null,
  duration_ms: null,
} as const;

/**
 * The `pipeline_ingest` records of one batch.
 *
 * `schema_conformity` is the share of the rows received (duplicates aside) that conform to the
 * declaration: valid rows, none of them when a declared column is missing or renamed (every row
 * lacks it); null when nothing was received. `freshness_lag_seconds`
 * is how far the newest event time trails the ingestion.
 */
export function dataQualityRecords(facts: BatchQualityFacts): TypedRecord[] {
  const { counts } = facts;
  const common = {
    batch_id: facts.batchId,
    dataset: facts.dataset,
    connector: facts.connector,
    source: facts.source,
    outcome: facts.outcome,
    ingested_at: facts.ingestedAt,
  };
  const batch: TypedRecord = {
    record_type: 'batch',
    ...common,
    reason: facts.problemCode,
    rows_received: counts.read,
    rows_valid: counts.valid,
    rows_quarantined: counts.quarantined,
    rows_duplicate: counts.duplicate,
    warnings: facts.warnings.length,
    schema_conformity: conformity(
      counts,
      facts.warnings.some((w) => COLUMN_WARNINGS.has(w.code)),
    ),
    newest_event_time: facts.newestEventTime,
    oldest_event_time: facts.oldestEventTime,
    freshness_lag_seconds:
      facts.newestEventTime === null ? null : Math.max(0, (facts.ingestedAt - facts.newestEventTime) / 1000),
    late_records: facts.lateRecords,
    bytes: facts.bytes,
    duration_ms: facts.durationMs,
  };
  const reasons = Object.entries(counts.quarantinedByReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([reason, rows]): TypedRecord => ({
        record_type: 'quarantine_reason',
        ...common,
        reason,
        ...BATCH_ONLY_FIELDS,
        rows_quarantined: rows,
      }),
    );
  return [batch, ...reasons];
}

/** Warnings that say the file's columns are not the declared ones: no row of it conforms. */
const COLUMN_WARNINGS = new Set(['missing_optional_column', 'unknown_column']);

function conformity(counts: BatchCounts, fileWarned: boolean): number | null {
  const received = counts.read - counts.duplicate;
  if (received <= 0) return null;
  return fileWarned ? 0 : counts.valid / received;
}

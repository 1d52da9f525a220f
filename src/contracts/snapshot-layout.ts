// The layout of the Parquet snapshots, shared by the export function (which writes them) and the
// CDK Glue table (which tells Athena how to read them), so the two cannot drift apart.

/** Key prefix of the snapshot table's data in the snapshots bucket. */
export const SNAPSHOT_TABLE_PREFIX = 'kpi_values/';
/** Key prefix of the manifests, outside the table's prefix so Athena never reads them as data. */
export const SNAPSHOT_MANIFEST_PREFIX = 'manifests/kpi_values/';

/** The Parquet object of one date (Hive-partitioned: `date=YYYY-MM-DD`). */
export function snapshotObjectKey(date: string): string {
  return `${SNAPSHOT_TABLE_PREFIX}date=${date}/values.parquet`;
}

/** The manifest of one date. */
export function snapshotManifestKey(date: string): string {
  return `${SNAPSHOT_MANIFEST_PREFIX}date=${date}/manifest.json`;
}

/** Parquet physical type as hyparquet-writer names it, and the Glue/Athena type of the same column. */
export interface SnapshotColumn {
  readonly name: string;
  readonly parquet: 'STRING' | 'DOUBLE' | 'INT32' | 'INT64' | 'BOOLEAN' | 'TIMESTAMP';
  readonly glue: 'string' | 'double' | 'int' | 'bigint' | 'boolean' | 'timestamp';
  readonly nullable: boolean;
  readonly comment: string;
}

/** Every column of a snapshot row, in file order. The partition column `date` comes from the key. */
export const SNAPSHOT_COLUMNS: readonly SnapshotColumn[] = [
  { name: 'kpi_id', parquet: 'STRING', glue: 'string', nullable: false, comment: 'KPI definition id' },
  {
    name: 'grain',
    parquet: 'STRING',
    glue: 'string',
    nullable: false,
    comment: 'minute, hour, day, week, month, quarter, year, all_time',
  },
  { name: 'period_start', parquet: 'TIMESTAMP', glue: 'timestamp', nullable: false, comment: 'UTC, inclusive' },
  { name: 'period_end', parquet: 'TIMESTAMP', glue: 'timestamp', nullable: false, comment: 'UTC, exclusive' },
  {
    name: 'dimension_key',
    parquet: 'STRING',
    glue: 'string',
    nullable: false,
    comment: '* for the overall row, else sorted key=value pairs joined by &',
  },
  {
    name: 'dimensions',
    parquet: 'STRING',
    glue: 'string',
    nullable: false,
    comment: 'dimension values as canonical JSON text (json_parse in Athena)',
  },
  { name: 'value', parquet: 'DOUBLE', glue: 'double', nullable: true, comment: 'null when not computable' },
  {
    name: 'status',
    parquet: 'STRING',
    glue: 'string',
    nullable: false,
    comment: 'green, yellow, at_risk, red, insufficient_data, not_computable',
  },
  {
    name: 'reason',
    parquet: 'STRING',
    glue: 'string',
    nullable: true,
    comment: 'why the value is null or insufficient',
  },
  { name: 'sample_size', parquet: 'INT64', glue: 'bigint', nullable: true, comment: 'records behind the value' },
  { name: 'provisional', parquet: 'BOOLEAN', glue: 'boolean', nullable: false, comment: 'the period may still change' },
  { name: 'confidence', parquet: 'DOUBLE', glue: 'double', nullable: true, comment: 'data-quality confidence, 0-1' },
  {
    name: 'drift_verdict',
    parquet: 'STRING',
    glue: 'string',
    nullable: true,
    comment: 'normal, drift, suppressed, ...',
  },
  {
    name: 'red_probability',
    parquet: 'DOUBLE',
    glue: 'double',
    nullable: true,
    comment: 'probability of red at the forecast horizon (at_risk above the KPI level); null without a forecast',
  },
  {
    name: 'forecast',
    parquet: 'STRING',
    glue: 'string',
    nullable: true,
    comment: 'the forecast from this value (steps with 80 and 95 % bands, model) as canonical JSON text',
  },
  { name: 'definition_version', parquet: 'INT32', glue: 'int', nullable: false, comment: 'definition version' },
  { name: 'definition_hash', parquet: 'STRING', glue: 'string', nullable: false, comment: 'content hash of it' },
  { name: 'code_version', parquet: 'STRING', glue: 'string', nullable: false, comment: 'code that computed it' },
  { name: 'computed_at', parquet: 'TIMESTAMP', glue: 'timestamp', nullable: false, comment: 'when it was computed' },
  { name: 'revision', parquet: 'INT32', glue: 'int', nullable: false, comment: '1, +1 at each change' },
  { name: 'restatements', parquet: 'INT32', glue: 'int', nullable: false, comment: 'times a final value changed' },
  { name: 'input_partitions', parquet: 'INT32', glue: 'int', nullable: false, comment: 'raw partitions read' },
  {
    name: 'lineage',
    parquet: 'STRING',
    glue: 'string',
    nullable: false,
    comment: 'full lineage as canonical JSON text',
  },
];

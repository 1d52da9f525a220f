// Adapter: snapshot rows to a Parquet file with hyparquet-writer, column by column as
// src/contracts/snapshot-layout.ts declares them. Deterministic: the same rows give the same bytes.
import { ByteWriter, type ColumnSource, parquetWrite } from 'hyparquet-writer';
import { SNAPSHOT_COLUMNS } from '../../contracts/snapshot-layout';
import type { SnapshotRow } from '../../domain/snapshots/snapshot';

/** Encodes rows as one Parquet file (Snappy, statistics on), with the date in the key-value metadata. */
export function encodeSnapshot(rows: readonly SnapshotRow[], date: string): Uint8Array {
  const columnData: ColumnSource[] = SNAPSHOT_COLUMNS.map((column) => {
    const values = rows.map((row) => row[column.name as keyof SnapshotRow]);
    const data =
      column.parquet === 'TIMESTAMP'
        ? values.map((v) => new Date(v as number))
        : column.parquet === 'INT64'
          ? values.map((v) => (v === null ? null : BigInt(v as number)))
          : values;
    return { name: column.name, data, type: column.parquet, nullable: column.nullable };
  });
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
    createdBy: 'agent-kpi-pipeline',
    kvMetadata: [
      { key: 'agent_kpi.snapshot_date', value: date },
      { key: 'agent_kpi.rows', value: String(rows.length) },
    ],
  });
  return new Uint8Array(writer.getBuffer());
}

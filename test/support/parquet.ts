// Test support: Parquet read back with independent readers (hyparquet, DuckDB), never with the writer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';

/** Rows of a Parquet file as hyparquet decodes them. */
export async function readParquet(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Record<string, unknown>[];
}

/** Runs `sql` in an in-memory DuckDB where `snapshot` is a view over the given Parquet bytes. */
export async function queryParquetWithDuckDb(bytes: Uint8Array, sql: string): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-parquet-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const file = path.join(dir, 'snapshot.parquet');
    writeFileSync(file, bytes);
    await connection.run(`CREATE VIEW snapshot AS SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

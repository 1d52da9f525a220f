// Use case: export the KPI values of one date as a Parquet snapshot with its manifest. Exporting a
// date again rewrites nothing unless its values changed (late data, restatements, new versions).

import { snapshotObjectKey } from '../contracts/snapshot-layout';
import type { Grain } from '../domain/definition/schema';
import { isoTime, periodStart } from '../domain/engine/time';
import { type SnapshotManifest, snapshotManifest, snapshotRows } from '../domain/snapshots/snapshot';
import { sha256Hex } from '../domain/versioning/sha256';
import type { Clock } from '../ports/clock';
import type { KpiValueStore } from '../ports/kpi-value-store';
import type { SnapshotStore } from '../ports/snapshot-store';

export interface SnapshotExport {
  readonly date: string;
  /** `written`: new or changed; `unchanged`: the stored snapshot already holds these rows; `empty`: no values. */
  readonly outcome: 'written' | 'unchanged' | 'empty';
  readonly rows: number;
  readonly manifest: SnapshotManifest | null;
}

export interface ExportSnapshotDependencies {
  readonly values: Pick<KpiValueStore, 'forDate'>;
  readonly snapshots: SnapshotStore;
  /** Rows to Parquet bytes (deterministic). */
  readonly encode: (rows: ReturnType<typeof snapshotRows>, date: string) => Uint8Array;
  readonly clock: Clock;
}

export async function exportSnapshot(deps: ExportSnapshotDependencies, date: string): Promise<SnapshotExport> {
  const values = await deps.values.forDate(date);
  if (values.length === 0) return { date, outcome: 'empty', rows: 0, manifest: null };
  const parquet = deps.encode(snapshotRows(values), date);
  const object = { key: snapshotObjectKey(date), bytes: parquet.byteLength, sha256: sha256Hex(parquet) };
  const previous = await deps.snapshots.readManifest(date);
  if (previous?.object.sha256 === object.sha256) {
    return { date, outcome: 'unchanged', rows: values.length, manifest: previous };
  }
  const manifest = snapshotManifest(date, values, object, new Date(deps.clock.now()).toISOString());
  await deps.snapshots.write(date, parquet, manifest);
  return { date, outcome: 'written', rows: values.length, manifest };
}

/**
 * The dates a scheduled export covers: the `lookbackDays` days before `scheduledTime`'s day, and that
 * day; then the dates the still-open longer periods are filed under (values are filed by the date
 * their period starts): the current week's Monday, month's, quarter's and year's first day, and
 * 1970-01-01 for all_time values.
 */
export function exportDates(scheduledTime: number, lookbackDays: number): string[] {
  const day = Math.floor(scheduledTime / 86_400_000) * 86_400_000;
  const recent = Array.from({ length: lookbackDays + 1 }, (_, i) =>
    new Date(day - (lookbackDays - i) * 86_400_000).toISOString().slice(0, 10),
  );
  const open = LONG_GRAINS.map((grain) => isoTime(periodStart(grain, scheduledTime)).slice(0, 10));
  return [...new Set([...recent, ...open.filter((date) => !recent.includes(date)).sort()])];
}

const LONG_GRAINS: readonly Grain[] = ['week', 'month', 'quarter', 'year', 'all_time'];

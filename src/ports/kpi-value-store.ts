// Port: where KPI values live, with their lineage and restatements.
import type { KpiValue, ValueGrain } from '../domain/values/kpi-value';
import type { Restatement, StoredKpiValue } from '../domain/values/restatement';

export interface ValueWriteReport {
  /** Values stored for the first time. */
  readonly created: number;
  /** Values whose content changed and were overwritten (a new revision). */
  readonly updated: number;
  /** Values identical to what was stored (same fingerprint): nothing written. */
  readonly unchanged: number;
  /** The values created or updated, in the order given. */
  readonly written: readonly KpiValue[];
  /** Restatements recorded (final values that changed); each also stays on its value. */
  readonly restatements: readonly Restatement[];
}

/** One point of a KPI series. */
export type SeriesPoint = Pick<KpiValue, 'periodStart' | 'periodEnd' | 'value'>;

/** One KPI and dimension combination, periods with `from <= periodStart < to` (ISO instants). */
export interface SeriesQuery {
  readonly kpiId: string;
  readonly dimensions: KpiValue['dimensions'];
  readonly grain: ValueGrain;
  readonly from: string;
  readonly to: string;
}

export interface KpiValueStore {
  /** Stores values, writing only those whose content changed; records restatements. */
  write(values: readonly KpiValue[]): Promise<ValueWriteReport>;
  /** The series of one KPI and dimension combination with `from <= periodStart < to`, oldest first. */
  history(query: SeriesQuery): Promise<StoredKpiValue[]>;
  /** The same series as `history`, with only period and value (what drift detection reads). */
  series(query: SeriesQuery): Promise<SeriesPoint[]>;
  /** Every value of every KPI whose period starts on this UTC date (`YYYY-MM-DD`). */
  forDate(date: string): Promise<StoredKpiValue[]>;
  /** Every value of every KPI for one period (grain and start). */
  forPeriod(grain: ValueGrain, periodStart: string): Promise<StoredKpiValue[]>;
}

// Adapters in memory: a KPI value store and a partial cache that live as long as one command, for
// computations whose results must not be stored (`kpi diff --impact` compares two versions).
import type { KpiPartialState } from '../../domain/engine/state';
import { dimensionKey } from '../../domain/values/dimension-key';
import type { KpiValue, ValueGrain } from '../../domain/values/kpi-value';
import type { StoredKpiValue } from '../../domain/values/restatement';
import { valueFingerprint } from '../../domain/values/value-fingerprint';
import type { KpiValueStore, SeriesPoint, SeriesQuery, ValueWriteReport } from '../../ports/kpi-value-store';
import type { PartialCache, PartialCacheWrite, PartialIndex, WantedState } from '../../ports/partial-cache';

export class MemoryKpiValueStore implements KpiValueStore {
  private readonly values = new Map<string, StoredKpiValue>();

  async write(values: readonly KpiValue[]): Promise<ValueWriteReport> {
    let created = 0;
    let updated = 0;
    const written: KpiValue[] = [];
    for (const value of values) {
      const key = `${value.kpiId}|${dimensionKey(value.dimensions)}|${value.grain}|${value.periodStart}`;
      const previous = this.values.get(key);
      const fingerprint = valueFingerprint(value);
      if (previous?.fingerprint === fingerprint) continue;
      if (previous) updated += 1;
      else created += 1;
      written.push(value);
      this.values.set(key, { ...value, fingerprint, revision: (previous?.revision ?? 0) + 1, restatements: [] });
    }
    return { created, updated, unchanged: values.length - created - updated, written, restatements: [] };
  }

  async history(query: SeriesQuery): Promise<StoredKpiValue[]> {
    const key = dimensionKey(query.dimensions);
    return this.all().filter(
      (v) =>
        v.kpiId === query.kpiId &&
        v.grain === query.grain &&
        dimensionKey(v.dimensions) === key &&
        v.periodStart >= query.from &&
        v.periodStart < query.to,
    );
  }

  async series(query: Parameters<KpiValueStore['history']>[0]): Promise<SeriesPoint[]> {
    return (await this.history(query)).map((v) => ({
      periodStart: v.periodStart,
      periodEnd: v.periodEnd,
      value: v.value,
    }));
  }

  async forDate(date: string): Promise<StoredKpiValue[]> {
    return this.all().filter((v) => v.periodStart.startsWith(date));
  }

  async forPeriod(grain: ValueGrain, periodStart: string): Promise<StoredKpiValue[]> {
    return this.all().filter((v) => v.grain === grain && v.periodStart === periodStart);
  }

  private all(): StoredKpiValue[] {
    return [...this.values.values()].sort((a, b) => (a.periodStart < b.periodStart ? -1 : 1));
  }
}

export class MemoryPartialCache implements PartialCache {
  private readonly indexes = new Map<string, PartialIndex>();
  /** `<kpi>|<signature>|<key>` → what it was made of (a fingerprint or a digest) and the state. */
  private readonly states = new Map<string, { made: string; state: KpiPartialState }>();

  async readIndex(kpiId: string, signature: string): Promise<PartialIndex> {
    return structuredClone(this.indexes.get(`${kpiId}|${signature}`) ?? { partitions: {}, periods: {} });
  }

  async readStates(
    kpiId: string,
    signature: string,
    wanted: ReadonlyMap<string, WantedState>,
  ): Promise<Map<string, KpiPartialState>> {
    const found = new Map<string, KpiPartialState>();
    for (const [key, { made }] of wanted) {
      const kept = this.states.get(`${kpiId}|${signature}|${key}`);
      if (kept?.made === made) found.set(key, kept.state);
    }
    return found;
  }

  async write(kpiId: string, signature: string, write: PartialCacheWrite): Promise<void> {
    for (const [key, kept] of write.partitions) {
      this.states.set(`${kpiId}|${signature}|${key}`, { made: kept.fingerprint, state: kept.state });
    }
    for (const [start, kept] of write.periods) {
      this.states.set(`${kpiId}|${signature}|period/${start}`, { made: kept.inputs, state: kept.state });
    }
    this.indexes.set(`${kpiId}|${signature}`, structuredClone(write.index));
  }
}

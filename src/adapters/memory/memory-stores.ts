// Adapters in memory: a KPI value store and a partial cache that live as long as one command, for
// computations whose results must not be stored (`kpi diff --impact` compares two versions).
import type { KpiPartialState } from '../../domain/engine/state';
import { dimensionKey } from '../../domain/values/dimension-key';
import type { KpiValue, ValueGrain } from '../../domain/values/kpi-value';
import type { StoredKpiValue } from '../../domain/values/restatement';
import { valueFingerprint } from '../../domain/values/value-fingerprint';
import type { KpiValueStore, SeriesPoint, SeriesQuery, ValueWriteReport } from '../../ports/kpi-value-store';
import type { PartialCache, PartialIndex } from '../../ports/partial-cache';

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
  private readonly partials = new Map<string, KpiPartialState>();

  async readIndex(kpiId: string, signature: string): Promise<PartialIndex> {
    return structuredClone(this.indexes.get(`${kpiId}|${signature}`) ?? { partitions: {}, periods: {} });
  }

  async writeIndex(kpiId: string, signature: string, index: PartialIndex): Promise<void> {
    this.indexes.set(`${kpiId}|${signature}`, structuredClone(index));
  }

  async readPartials(kpiId: string, signature: string, keys: readonly string[]): Promise<Map<string, KpiPartialState>> {
    const found = new Map<string, KpiPartialState>();
    for (const key of keys) {
      const state = this.partials.get(`${kpiId}|${signature}|${key}`);
      if (state) found.set(key, state);
    }
    return found;
  }

  async writePartials(kpiId: string, signature: string, states: ReadonlyMap<string, KpiPartialState>): Promise<void> {
    for (const [key, state] of states) this.partials.set(`${kpiId}|${signature}|${key}`, state);
  }
}

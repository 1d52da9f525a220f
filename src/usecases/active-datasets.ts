// Use case support: the dataset declarations ingestion reads with, resolved at run time. A
// declaration published to the definitions table (`kpi dataset publish`) is in force from its next
// resolution on, with no redeploy; the declaration the deployment ships is the fallback for a dataset
// never published. A retired dataset is not served. Resolutions are cached briefly (one query of the
// definitions table per minute and function instance at most) and compiled once per content.
import { type CompiledDataset, compileDataset, type DatasetDeclaration } from '../domain/dataset';
import type { Clock } from '../ports/clock';
import type { DefinitionStore } from '../ports/definition-store';

/** A dataset as ingestion reads it now. */
export interface ResolvedDataset {
  readonly declaration: DatasetDeclaration;
  readonly dataset: CompiledDataset;
  /** The published version in force; null for the declaration the deployment ships (never published). */
  readonly version: number | null;
}

export interface ActiveDatasetsOptions {
  /** The published declarations; absent: only the deployed ones. */
  readonly store?: Pick<DefinitionStore<DatasetDeclaration>, 'list'>;
  /** The declarations the deployment ships, by id. */
  readonly deployed: ReadonlyMap<
    string,
    { readonly declaration: DatasetDeclaration; readonly dataset: CompiledDataset }
  >;
  readonly clock: Clock;
  /** How long a resolution is reused. @default 60 s */
  readonly ttlMillis?: number;
}

export class ActiveDatasets {
  private cached: { readonly at: number; readonly datasets: Map<string, ResolvedDataset> } | null = null;
  private readonly compiled = new Map<string, CompiledDataset>();

  constructor(private readonly options: ActiveDatasetsOptions) {}

  /**
   * Every dataset served now, by id.
   * @param fresh ask the store even when a recent resolution is cached (an operator's replay)
   */
  async resolve(fresh = false): Promise<Map<string, ResolvedDataset>> {
    const now = this.options.clock.now();
    const ttl = this.options.ttlMillis ?? 60_000;
    if (!fresh && this.cached && now - this.cached.at < ttl) return this.cached.datasets;
    const datasets = new Map<string, ResolvedDataset>();
    const store = this.options.store;
    const [active, retired] = store ? await Promise.all([store.list('active'), store.list('retired')]) : [[], []];
    const retiredIds = new Set(retired.map((state) => state.id));
    for (const [id, deployed] of this.options.deployed) {
      if (retiredIds.has(id)) continue;
      datasets.set(id, { ...deployed, version: null });
    }
    for (const state of active) {
      let dataset = this.compiled.get(state.hash);
      if (!dataset) {
        dataset = compileDataset(state.definition);
        this.compiled.set(state.hash, dataset);
      }
      datasets.set(state.id, { declaration: state.definition, dataset, version: state.version });
    }
    this.cached = { at: now, datasets };
    return datasets;
  }
}

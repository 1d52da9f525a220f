// AWS adapter: partial aggregates in the work bucket under `partials/kpi=<id>/sig=<signature>/`:
// one object per dataset and day holding the partials of its hours (24 partitions, one request),
// one object per period's merged state, and an index. Derived data: losing it costs a recompute,
// never a wrong value (a partial belongs to exactly one partition fingerprint, checked by the index).
import type { S3Client } from '@aws-sdk/client-s3';
import { PARTIALS_PREFIX } from '../../contracts/work-layout';
import type { KpiPartialState } from '../../domain/engine/state';
import type { PartialCache, PartialIndex } from '../../ports/partial-cache';
import { getGzipText, putGzipText } from './s3-gzip-text';

export class S3PartialCache implements PartialCache {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async readIndex(kpiId: string, signature: string): Promise<PartialIndex> {
    const body = await this.get(`${base(kpiId, signature)}index.json.gz`);
    return body ? (JSON.parse(body) as PartialIndex) : { partitions: {}, periods: {} };
  }

  async writeIndex(kpiId: string, signature: string, index: PartialIndex): Promise<void> {
    await this.put(`${base(kpiId, signature)}index.json.gz`, JSON.stringify(index));
  }

  async readPartials(kpiId: string, signature: string, keys: readonly string[]): Promise<Map<string, KpiPartialState>> {
    const found = new Map<string, KpiPartialState>();
    const groups = groupByObject(keys);
    await forEachConcurrently([...groups.keys()], 8, async (group) => {
      const stored = await this.readGroup(kpiId, signature, group);
      for (const key of groups.get(group) ?? []) {
        const state = stored[key];
        if (state) found.set(key, state);
      }
    });
    return found;
  }

  async writePartials(kpiId: string, signature: string, states: ReadonlyMap<string, KpiPartialState>): Promise<void> {
    const groups = groupByObject([...states.keys()]);
    await forEachConcurrently([...groups.keys()], 8, async (group) => {
      // A day object may hold hours this run did not touch: keep them.
      const kept = group.startsWith(PERIOD_KEY_PREFIX) ? {} : await this.readGroup(kpiId, signature, group);
      for (const key of groups.get(group) ?? []) kept[key] = states.get(key) as KpiPartialState;
      await this.put(`${base(kpiId, signature)}${group}.json.gz`, JSON.stringify(kept));
    });
  }

  private async readGroup(kpiId: string, signature: string, group: string): Promise<Record<string, KpiPartialState>> {
    const body = await this.get(`${base(kpiId, signature)}${group}.json.gz`);
    return body ? (JSON.parse(body) as Record<string, KpiPartialState>) : {};
  }

  private get(key: string): Promise<string | null> {
    return getGzipText(this.s3, this.bucket, key);
  }

  private put(key: string, body: string): Promise<void> {
    // Fast compression: these objects are rewritten on every refresh.
    return putGzipText(this.s3, this.bucket, key, body, 1);
  }
}

const PERIOD_KEY_PREFIX = 'period/';

/** The object a key is kept in: its dataset's day for an hour partition, itself for a period. */
function groupByObject(keys: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const group = key.startsWith(PERIOD_KEY_PREFIX) ? key : key.replace(/\/hour=\d\d$/, '');
    groups.set(group, [...(groups.get(group) ?? []), key]);
  }
  return groups;
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function base(kpiId: string, signature: string): string {
  return `${PARTIALS_PREFIX}kpi=${kpiId}/sig=${signature}/`;
}

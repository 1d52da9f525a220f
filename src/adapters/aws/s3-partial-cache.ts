// AWS adapter: partial aggregates in the work bucket under `partials/kpi=<id>/sig=<signature>/`:
//
//   day=<YYYY-MM-DD>.json.gz     the partial states of that day's hour partitions (every dataset the
//                                KPI reads) and the merged states of the periods starting that day
//   index/<YYYY-MM>.json.gz      what is known of that month's partitions and periods
//
// A run reads the index months it needs and the day objects whose states it reuses, and writes each
// day object it changed once (read first only when it holds states the run did not recompute), then
// the index months that changed: a refresh of a daily KPI reads and writes one day object, a 42-day
// history writes 42. Derived data: losing it costs a recomputation, never a wrong value, since each
// state is stored with the fingerprint (or digest) of what it was made of and is used only for that.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KpiPartialState } from '../../domain/engine/state';
import {
  type KeptPartition,
  type KeptPeriod,
  monthOf,
  type PartialCache,
  type PartialCacheWrite,
  type PartialIndex,
} from '../../ports/partial-cache';
import { getGzipText, putGzipText } from './s3-gzip-text';

/** Key prefix of everything this cache writes in the work bucket. */
export const PARTIALS_PREFIX = 'partials/';

const PERIOD_KEY_PREFIX = 'period/';

interface DayObject {
  partitions: Record<string, KeptPartition>;
  periods: Record<string, KeptPeriod>;
}

export class S3PartialCache implements PartialCache {
  /** SHA-256 of each index month as last read or written, so an unchanged month is not written again. */
  private readonly indexDigests = new Map<string, string>();

  /** @param concurrency requests in flight at once */
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly concurrency = 8,
  ) {}

  async readIndex(kpiId: string, signature: string, months: readonly string[]): Promise<PartialIndex> {
    const index: PartialIndex = { partitions: {}, periods: {} };
    const parts = new Map<string, PartialIndex>();
    await forEachConcurrently([...new Set(months)], this.concurrency, async (month) => {
      const key = `${base(kpiId, signature)}index/${month}.json.gz`;
      const body = await getGzipText(this.s3, this.bucket, key);
      if (body !== null) this.indexDigests.set(key, digest(body));
      parts.set(month, body ? (JSON.parse(body) as PartialIndex) : { partitions: {}, periods: {} });
    });
    for (const month of [...parts.keys()].sort()) {
      const part = parts.get(month) as PartialIndex;
      Object.assign(index.partitions, part.partitions);
      Object.assign(index.periods, part.periods);
    }
    return index;
  }

  async readStates(
    kpiId: string,
    signature: string,
    wanted: ReadonlyMap<string, string>,
  ): Promise<Map<string, KpiPartialState>> {
    const found = new Map<string, KpiPartialState>();
    const byDay = groupByDay([...wanted.keys()]);
    await forEachConcurrently([...byDay.keys()], this.concurrency, async (day) => {
      const stored = await this.readDay(kpiId, signature, day);
      if (!stored) return;
      for (const key of byDay.get(day) ?? []) {
        const want = wanted.get(key);
        if (key.startsWith(PERIOD_KEY_PREFIX)) {
          const period = stored.periods[key.slice(PERIOD_KEY_PREFIX.length)];
          if (period && period.inputs === want) found.set(key, period.state);
        } else {
          const partition = stored.partitions[key];
          if (partition && partition.fingerprint === want) found.set(key, partition.state);
        }
      }
    });
    return found;
  }

  async write(kpiId: string, signature: string, write: PartialCacheWrite): Promise<void> {
    const days = new Map<string, DayObject>();
    const dayOf = (key: string) => {
      const day = dayKey(key);
      let object = days.get(day);
      if (!object) {
        object = { partitions: {}, periods: {} };
        days.set(day, object);
      }
      return object;
    };
    for (const [key, kept] of write.partitions) dayOf(key).partitions[key] = kept;
    for (const [start, kept] of write.periods) dayOf(`${PERIOD_KEY_PREFIX}${start}`).periods[start] = kept;
    // A day object also holds states this run did not recompute (the index knows them): keep them.
    const keptBefore = new Set<string>();
    for (const key of Object.keys(write.index.partitions)) if (!write.partitions.has(key)) keptBefore.add(dayKey(key));
    for (const start of Object.keys(write.index.periods))
      if (!write.periods.has(start)) keptBefore.add(start.slice(0, 10));
    await forEachConcurrently([...days.keys()], this.concurrency, async (day) => {
      const fresh = days.get(day) as DayObject;
      const before = keptBefore.has(day) ? await this.readDay(kpiId, signature, day) : null;
      const merged: DayObject = {
        partitions: { ...before?.partitions, ...fresh.partitions },
        periods: { ...before?.periods, ...fresh.periods },
      };
      // Fast compression: today's object is rewritten on every refresh.
      await putGzipText(this.s3, this.bucket, dayObjectKey(kpiId, signature, day), JSON.stringify(merged), 1);
    });
    await forEachConcurrently([...new Set(write.months)], this.concurrency, async (month) => {
      const part: PartialIndex = { partitions: {}, periods: {} };
      for (const [key, entry] of Object.entries(write.index.partitions))
        if (monthOf(key) === month) part.partitions[key] = entry;
      for (const [start, entry] of Object.entries(write.index.periods))
        if (monthOf(start) === month) part.periods[start] = entry;
      const key = `${base(kpiId, signature)}index/${month}.json.gz`;
      const body = JSON.stringify(part);
      const hash = digest(body);
      if (this.indexDigests.get(key) === hash) return;
      if (
        Object.keys(part.partitions).length === 0 &&
        Object.keys(part.periods).length === 0 &&
        !this.indexDigests.has(key)
      ) {
        return;
      }
      await putGzipText(this.s3, this.bucket, key, body, 1);
      this.indexDigests.set(key, hash);
    });
  }

  private async readDay(kpiId: string, signature: string, day: string): Promise<DayObject | null> {
    const body = await getGzipText(this.s3, this.bucket, dayObjectKey(kpiId, signature, day));
    return body ? (JSON.parse(body) as DayObject) : null;
  }
}

/** The day object a key is kept in: the date of a partition, the start date of a period. */
function dayKey(key: string): string {
  if (key.startsWith(PERIOD_KEY_PREFIX)) return key.slice(PERIOD_KEY_PREFIX.length, PERIOD_KEY_PREFIX.length + 10);
  const date = /date=(\d{4}-\d{2}-\d{2})/.exec(key)?.[1];
  if (!date) throw new Error(`not a partition key: ${key}`);
  return date;
}

function groupByDay(keys: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const day = dayKey(key);
    groups.set(day, [...(groups.get(day) ?? []), key]);
  }
  return groups;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

function dayObjectKey(kpiId: string, signature: string, day: string): string {
  return `${base(kpiId, signature)}day=${day}.json.gz`;
}

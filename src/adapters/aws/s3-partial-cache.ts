// AWS adapter: partial aggregates in the work bucket under `partials/kpi=<id>/sig=<signature>/`:
//
//   day=<YYYY-MM-DD>.json.gz     partial states of that day's hour partitions (every dataset the KPI
//                                reads) and merged states of the periods starting that day
//   month=<YYYY-MM>.json.gz      the same for a whole month, when a run writes most of one at once
//   index/<YYYY-MM>.json.gz      what is known of that month's partitions and periods, and where
//                                each state is kept
//
// A run reads the index months it needs and the objects holding the states it reuses, and writes
// each object it changes once (read first only when it holds states the run did not recompute),
// then the index months that changed. A refresh of a daily KPI reads and writes one day object; a
// history or a backfill writes one object per month instead of one per day. Derived data: losing it
// costs a recomputation, never a wrong value, since each state is stored with the fingerprint (or
// digest) of what it was made of and is used only for that.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { PARTIALS_PREFIX } from '../../contracts/work-layout';
import { forEachConcurrently } from '../../domain/concurrency';
import type { KpiPartialState } from '../../domain/engine/state';
import {
  type KeptPartition,
  type KeptPeriod,
  monthOf,
  type PartialCache,
  type PartialCacheWrite,
  type PartialIndex,
  type WantedState,
} from '../../ports/partial-cache';
import { getGzipText, putGzipText } from './s3-gzip-text';

const PERIOD_KEY_PREFIX = 'period/';
/** A run that writes states of more days than this in one month writes them in one month object. */
const DAYS_FOR_A_MONTH_OBJECT = 3;
/** … unless they come to more than this, as JSON. */
const MONTH_OBJECT_MAX_CHARS = 32 * 1024 * 1024;

interface StoredObject {
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
      // A month gone since it was last seen (the work bucket is derived data) must be written again.
      if (body !== null) this.indexDigests.set(key, digest(body));
      else this.indexDigests.delete(key);
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
    wanted: ReadonlyMap<string, WantedState>,
  ): Promise<Map<string, KpiPartialState>> {
    const found = new Map<string, KpiPartialState>();
    const byObject = new Map<string, string[]>();
    for (const [key, want] of wanted) {
      const object = want.location ?? dayLocation(key);
      byObject.set(object, [...(byObject.get(object) ?? []), key]);
    }
    await forEachConcurrently([...byObject.keys()], this.concurrency, async (object) => {
      const stored = await this.readObject(kpiId, signature, object);
      if (!stored) return;
      for (const key of byObject.get(object) ?? []) {
        const made = wanted.get(key)?.made;
        if (key.startsWith(PERIOD_KEY_PREFIX)) {
          const period = stored.periods[key.slice(PERIOD_KEY_PREFIX.length)];
          if (period && period.inputs === made) found.set(key, period.state);
        } else {
          const partition = stored.partitions[key];
          if (partition && partition.fingerprint === made) found.set(key, partition.state);
        }
      }
    });
    return found;
  }

  async write(kpiId: string, signature: string, write: PartialCacheWrite): Promise<void> {
    // Each state as JSON once: its size decides between day and month objects, and the objects are
    // assembled from these pieces. In key order, so that the same states make the same bytes
    // whatever order they were computed in.
    const pieces: Piece[] = [];
    for (const [key, kept] of write.partitions)
      pieces.push({ key, id: key, kind: 'partitions', json: JSON.stringify(kept) });
    for (const [start, kept] of write.periods) {
      pieces.push({ key: `${PERIOD_KEY_PREFIX}${start}`, id: start, kind: 'periods', json: JSON.stringify(kept) });
    }
    pieces.sort((a, b) => compare(a.key, b.key));
    const locationOf = objectLocations(pieces);
    const objects = new Map<string, Piece[]>();
    for (const piece of pieces) {
      const location = locationOf(piece.key);
      objects.set(location, [...(objects.get(location) ?? []), piece]);
    }
    const keptIn = statesKeptBeside(write);
    await forEachConcurrently([...objects.keys()], this.concurrency, async (location) => {
      const kept = keptIn.get(location);
      const before = kept ? await this.readObject(kpiId, signature, location) : null;
      const body = objectBody(objects.get(location) ?? [], before, kept);
      // Fast compression: today's object is rewritten on every refresh.
      await putGzipText(this.s3, this.bucket, objectKey(kpiId, signature, location), body, 1);
    });
    for (const key of write.partitions.keys()) {
      const entry = write.index.partitions[key];
      if (entry) write.index.partitions[key] = { ...entry, location: locationOf(key) };
    }
    for (const start of write.periods.keys()) {
      const entry = write.index.periods[start];
      if (entry) write.index.periods[start] = { ...entry, location: locationOf(`${PERIOD_KEY_PREFIX}${start}`) };
    }
    await forEachConcurrently([...new Set(write.months)], this.concurrency, (month) =>
      this.writeIndexMonth(kpiId, signature, write.index, month),
    );
  }

  /** Writes the index entries of one month, unless they are what was last read or written. */
  private async writeIndexMonth(kpiId: string, signature: string, index: PartialIndex, month: string): Promise<void> {
    const part: PartialIndex = { partitions: {}, periods: {} };
    for (const [key, entry] of sortedEntries(index.partitions))
      if (monthOf(key) === month) part.partitions[key] = entry;
    for (const [start, entry] of sortedEntries(index.periods))
      if (monthOf(start) === month) part.periods[start] = entry;
    const key = `${base(kpiId, signature)}index/${month}.json.gz`;
    const body = JSON.stringify(part);
    const hash = digest(body);
    if (this.indexDigests.get(key) === hash) return;
    const empty = Object.keys(part.partitions).length === 0 && Object.keys(part.periods).length === 0;
    if (empty && !this.indexDigests.has(key)) return;
    await putGzipText(this.s3, this.bucket, key, body, 1);
    this.indexDigests.set(key, hash);
  }

  private async readObject(kpiId: string, signature: string, location: string): Promise<StoredObject | null> {
    const body = await getGzipText(this.s3, this.bucket, objectKey(kpiId, signature, location));
    return body ? (JSON.parse(body) as StoredObject) : null;
  }
}

interface Piece {
  readonly key: string;
  readonly id: string;
  readonly kind: 'partitions' | 'periods';
  readonly json: string;
}

type KeptIds = { partitions: Set<string>; periods: Set<string> };

/**
 * Where each written state goes: its day object, or its month's object when the run writes states
 * of more than a few days of that month and they are not too large together.
 */
function objectLocations(pieces: readonly Piece[]): (key: string) => string {
  const monthly = new Map<string, { days: Set<string>; chars: number }>();
  for (const piece of pieces) {
    const day = dayLocation(piece.key).slice('day='.length);
    const month = monthly.get(day.slice(0, 7)) ?? { days: new Set(), chars: 0 };
    month.days.add(day);
    month.chars += piece.json.length;
    monthly.set(day.slice(0, 7), month);
  }
  return (key) => {
    const day = dayLocation(key);
    const month = monthly.get(day.slice('day='.length, 'day='.length + 7));
    return month && month.days.size > DAYS_FOR_A_MONTH_OBJECT && month.chars <= MONTH_OBJECT_MAX_CHARS
      ? `month=${day.slice('day='.length, 'day='.length + 7)}`
      : day;
  };
}

/** Per object, the states it holds that this run did not recompute and the index still points at. */
function statesKeptBeside(write: PartialCacheWrite): Map<string, KeptIds> {
  const keptIn = new Map<string, KeptIds>();
  const keep = (location: string, kind: 'partitions' | 'periods', id: string) => {
    const entry = keptIn.get(location) ?? { partitions: new Set<string>(), periods: new Set<string>() };
    entry[kind].add(id);
    keptIn.set(location, entry);
  };
  for (const [key, entry] of Object.entries(write.index.partitions)) {
    if (!write.partitions.has(key)) keep(entry.location ?? dayLocation(key), 'partitions', key);
  }
  for (const [start, entry] of Object.entries(write.index.periods)) {
    if (!write.periods.has(start))
      keep(entry.location ?? dayLocation(`${PERIOD_KEY_PREFIX}${start}`), 'periods', start);
  }
  return keptIn;
}

/** An object's JSON: the run's states and those kept from the object as it was, in key order. */
function objectBody(pieces: readonly Piece[], before: StoredObject | null, kept: KeptIds | undefined): string {
  const parts = { partitions: [] as [string, string][], periods: [] as [string, string][] };
  for (const piece of pieces) parts[piece.kind].push([piece.id, piece.json]);
  if (before && kept) {
    for (const id of kept.partitions) {
      const state = before.partitions[id];
      if (state) parts.partitions.push([id, JSON.stringify(state)]);
    }
    for (const id of kept.periods) {
      const state = before.periods[id];
      if (state) parts.periods.push([id, JSON.stringify(state)]);
    }
  }
  const members = (list: [string, string][]) =>
    list
      .sort(([a], [b]) => compare(a, b))
      .map(([id, json]) => `${JSON.stringify(id)}:${json}`)
      .join(',');
  return `{"partitions":{${members(parts.partitions)}},"periods":{${members(parts.periods)}}}`;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => compare(a, b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The day object of a key: the date of a partition, the start date of a period. */
function dayLocation(key: string): string {
  if (key.startsWith(PERIOD_KEY_PREFIX)) {
    return `day=${key.slice(PERIOD_KEY_PREFIX.length, PERIOD_KEY_PREFIX.length + 10)}`;
  }
  const date = /date=(\d{4}-\d{2}-\d{2})/.exec(key)?.[1];
  if (!date) throw new Error(`not a partition key: ${key}`);
  return `day=${date}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function base(kpiId: string, signature: string): string {
  return `${PARTIALS_PREFIX}kpi=${kpiId}/sig=${signature}/`;
}

/** `day=YYYY-MM-DD` or `month=YYYY-MM` → its object's key. */
function objectKey(kpiId: string, signature: string, location: string): string {
  if (!/^(day=\d{4}-\d{2}-\d{2}|month=\d{4}-\d{2})$/.test(location))
    throw new Error(`not a cache location: ${location}`);
  return `${base(kpiId, signature)}${location}.json.gz`;
}

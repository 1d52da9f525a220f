// Use case support, second step of a batch: write the records gathered in hour lanes to raw, day by
// day of event time. A small day (at most DAY_OBJECT_CHARS of lines) becomes one object whose gzip
// members are its hours, in order; the hours of a larger day become one gzip NDJSON object each (more
// parts only past PART_BYTES). Keys are a function of the batch, the day or hour and the data alone,
// and whether a day is small depends on its records only, so a retry writes the same keys. For a
// keyed dataset, each day first loads the keys that the day's visible batches added (their key
// indexes, as the commit log names them), drops rows whose key is among them or earlier in this
// batch, and writes the keys it added as the batch's key index of that day. Nothing written here is
// visible until the commit log names it.
import { createHash } from 'node:crypto';
import { hourPartition, keyIndexKey, rawDayObjectKey, rawObjectKey } from '../../contracts/raw-layout';
import { InFlightWindow } from '../../domain/concurrency';
import { type CommitEntry, type CommittedObject, dayOf, visibleEntries } from '../../domain/ingest/commit-log';
import { KEY_BYTES, KeySet } from '../../domain/ingest/key-set';
import type { BatchDay, WrittenObject } from '../../domain/ingest/manifest';
import type {
  IngestObjectStore,
  StagedLines,
  StagedMembers,
  StagedObject,
  StoredLines,
} from '../../ports/object-store';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { forEachLine, type HourRuns } from './hour-runs';

/** Uncompressed bytes of one raw object before the hour continues in a next part. */
export const PART_BYTES = 256 * 1024 * 1024;

/**
 * Characters of lines (before duplicates are dropped) up to which a day of a batch is written as one
 * object of hour members: one request to write and one to read instead of one per hour, and small
 * enough (about 1 MiB compressed, 8 MiB at worst) for a reader to fetch whole.
 */
export const DAY_OBJECT_CHARS = 8 * 1024 * 1024;

/**
 * Raw objects of a day whose writes may be in flight while the next hours are prepared. Each waits in
 * the object store's memory budget until written (four parts of 8 MiB at most: half the default
 * budget); the day is described only once all are written.
 */
export const OBJECT_WRITES_IN_FLIGHT = 4;

/**
 * Small days of a batch written at once. Each day's requests (its log's key indexes, its object, its
 * key index) wait on each other; days do not, so a few in flight keep the stores busy while the next
 * day is compressed, for at most this many small day objects in memory (8 MiB of lines each at
 * worst). Large days are written one after the other, their hours `OBJECT_WRITES_IN_FLIGHT` at once.
 */
export const DAY_WRITES_IN_FLIGHT = 4;

export interface WriteDaysContext {
  readonly dataset: string;
  readonly batchId: string;
  readonly keyed: boolean;
  readonly records: HourRuns;
  readonly store: IngestObjectStore;
  readonly log: RawCommitLog;
  /** Batches whose rows do not count (those this batch supersedes, and itself on a rerun). */
  readonly ignore: ReadonlySet<string>;
  /** @default PART_BYTES */
  readonly partBytes?: number;
  /** @default DAY_OBJECT_CHARS */
  readonly dayObjectChars?: number;
}

/** Whether a day's lines (before duplicates are dropped) make one object of hour members. */
export function isSmallDay(
  context: Pick<WriteDaysContext, 'records' | 'dayObjectChars'>,
  hours: readonly number[],
): boolean {
  const chars = hours.reduce((n, hour) => n + context.records.statsOf(hour).chars, 0);
  return chars <= (context.dayObjectChars ?? DAY_OBJECT_CHARS);
}

/** A day written: what the manifest says of it, its objects, and what its commit names. */
export interface WrittenDay {
  readonly day: BatchDay;
  readonly objects: WrittenObject[];
  /** The raw objects as the commit log names them. */
  readonly committed: CommittedObject[];
  /** Keys the day's key index holds. */
  readonly keys: number;
  /** Records kept per hour start. */
  readonly recordsPerHour: Map<number, number>;
  /** An earlier attempt of the batch committed this day already: nothing was written again. */
  readonly alreadyCommitted: boolean;
  /** The day's commit log as read before writing (absent when it was committed already). */
  readonly snapshot?: readonly CommitEntry[];
}

/**
 * Waits for both; when either fails, runs `cleanUp` once both have settled and throws the first
 * failure (nothing is left running behind a failure).
 */
async function settledBoth<A, B>(a: Promise<A> | A, b: Promise<B> | B, cleanUp: () => Promise<void>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'fulfilled' && second.status === 'fulfilled') return [first.value, second.value];
  await cleanUp();
  throw first.status === 'rejected' ? first.reason : (second as PromiseRejectedResult).reason;
}

/**
 * The commit logs of the days a batch writes, read at once (one range query instead of one a day),
 * by day. Each day's entries are its snapshot as `writeDay` would read it: anything committed
 * after the read is checked at the commit (commit-days.ts), as for a snapshot read a moment later.
 */
export async function dayLogs(
  context: Pick<WriteDaysContext, 'dataset' | 'log'>,
  dates: readonly string[],
): Promise<Map<string, CommitEntry[]>> {
  const logs = new Map<string, CommitEntry[]>(dates.map((date) => [date, []]));
  if (dates.length === 0) return logs;
  const sorted = [...dates].sort();
  for (const entry of await context.log.entries(context.dataset, sorted[0] as string, sorted.at(-1) as string)) {
    logs.get(entry.date)?.push(entry);
  }
  return logs;
}

/** The days the batch's records fall on, oldest first, with their hours. */
export function daysOf(records: HourRuns): Map<string, number[]> {
  const days = new Map<string, number[]>();
  for (const hour of records.lanes()) {
    const date = dayOf(hour);
    days.set(date, [...(days.get(date) ?? []), hour]);
  }
  return days;
}

/**
 * The keys the visible batches of a day added (but those to ignore), and the version of the log read.
 * @param entries the day's commit log as just read (read here when absent)
 */
export async function loadDayKeys(
  context: Pick<WriteDaysContext, 'dataset' | 'store' | 'log' | 'ignore'>,
  date: string,
  adding: number,
  entries?: CommitEntry[],
): Promise<{ keys: KeySet; snapshotVersion: number; entries: CommitEntry[] }> {
  entries ??= await context.log.entries(context.dataset, date, date);
  const snapshotVersion = entries.reduce((max, entry) => Math.max(max, entry.version), 0);
  const visible = visibleEntries(entries).filter((entry) => !context.ignore.has(entry.batchId));
  // Sized once for the keys there and the rows this batch brings to the day.
  const keys = new KeySet(visible.reduce((n, entry) => n + entry.keys, adding));
  for (const entry of visible) {
    if (!entry.keysKey || entry.keys === 0) continue;
    const index = await context.store.get({ area: 'raw', key: entry.keysKey });
    if (!index) throw new Error(`the key index ${entry.keysKey} named by the commit log is missing`);
    keys.addAll(index);
  }
  return { keys, snapshotVersion, entries };
}

/**
 * Writes one day's hours; for a keyed dataset, against the keys visible now. A day an earlier attempt
 * of the batch committed is described from its commit and not written again: committed objects never
 * change.
 */
export async function writeDay(
  context: WriteDaysContext,
  date: string,
  hours: readonly number[],
  /** The day's commit log as just read (read here when absent). */
  read?: readonly CommitEntry[],
): Promise<WrittenDay> {
  const entries = read ? [...read] : await context.log.entries(context.dataset, date, date);
  const mine = entries.find((entry) => entry.batchId === context.batchId);
  if (mine) return fromCommit(context, mine, hours);
  const adding = hours.reduce((n, hour) => n + context.records.statsOf(hour).records, 0);
  // The keys as of the log just read: the commit checks what was committed since (commit-days.ts).
  const loaded = context.keyed ? await loadDayKeys(context, date, adding, entries) : null;
  const snapshotVersion = (loaded?.entries ?? entries).reduce((max, entry) => Math.max(max, entry.version), 0);
  const known = loaded?.keys ?? null;
  const added = context.keyed ? new KeyIndexWriter(context, keyIndexKey(context.dataset, date, context.batchId)) : null;
  const objects: WrittenObject[] = [];
  const committed: CommittedObject[] = [];
  const recordsPerHour = new Map<number, number>();
  const members = isSmallDay(context, hours)
    ? context.store.stageMembers({ area: 'raw', key: rawDayObjectKey(context.dataset, date, context.batchId) })
    : null;
  // Hours are read, checked against the keys and compressed in order; their objects are written
  // behind, a few at once (a small day's object once whole). Keys and contents do not depend on
  // when a write finishes.
  const writes = new InFlightWindow(OBJECT_WRITES_IN_FLIGHT);
  let records = 0;
  let duplicates = 0;
  try {
    for (const hour of hours) {
      const kept = new KeptSegments(context, hour, known, added);
      const written = members
        ? await writeMember(context, hour, kept, members)
        : await writeHour(context, hour, kept, writes);
      objects.push(...written);
      committed.push(...written.map((o) => committedObject(o, hour)));
      recordsPerHour.set(hour, kept.records);
      records += kept.records;
      duplicates += kept.duplicates;
    }
    await writes.drain();
  } catch (error) {
    await writes.settle();
    await members?.abort();
    await added?.abort();
    throw error;
  }
  // The day's object and its key index go up side by side (both stay invisible until the commit).
  const [, index] = await settledBoth(
    members && members.bytes > 0 ? members.end().then(() => members.commit()) : members?.abort(),
    added ? added.end() : null,
    async () => {
      await members?.abort();
      await added?.abort();
    },
  );
  if (index) objects.push(index);
  return {
    day: { date, snapshotVersion, records, duplicates, keysKey: index?.key ?? null },
    objects,
    committed,
    keys: index?.records ?? 0,
    recordsPerHour,
    alreadyCommitted: false,
    snapshot: loaded?.entries ?? entries,
  };
}

function fromCommit(context: WriteDaysContext, entry: CommitEntry, hours: readonly number[]): WrittenDay {
  const recordsPerHour = new Map<number, number>();
  for (const object of entry.objects)
    recordsPerHour.set(object.hour, (recordsPerHour.get(object.hour) ?? 0) + object.records);
  const records = entry.objects.reduce((n, o) => n + o.records, 0);
  const read = hours.reduce((n, hour) => n + context.records.statsOf(hour).records, 0);
  const bucket = context.store.bucket('raw');
  const objects: WrittenObject[] = entry.objects.map((o) => ({
    kind: 'raw',
    bucket,
    key: o.key,
    ...(o.offset === undefined ? {} : { offset: o.offset, hour: o.hour }),
    dataset: context.dataset,
    records: o.records,
    bytes: o.bytes,
    sha256: o.sha256,
    minEventTime: o.minEventTime,
    maxEventTime: o.maxEventTime,
  }));
  return {
    day: {
      date: entry.date,
      snapshotVersion: entry.version - 1,
      records,
      duplicates: Math.max(0, read - records),
      keysKey: entry.keysKey,
    },
    objects,
    committed: [...entry.objects],
    keys: entry.keys,
    recordsPerHour,
    alreadyCommitted: true,
  };
}

function committedObject(object: WrittenObject, hour: number): CommittedObject {
  return {
    key: object.key,
    ...(object.offset === undefined ? {} : { offset: object.offset }),
    hour,
    records: object.records,
    bytes: object.bytes,
    sha256: object.sha256,
    minEventTime: object.minEventTime,
    maxEventTime: object.maxEventTime,
  };
}

/**
 * The lines of an hour a batch keeps, segment by segment: for a keyed dataset, those whose key is
 * not visible yet (the keys kept go to the day's key index). Tallies what it kept and dropped.
 */
class KeptSegments {
  records = 0;
  duplicates = 0;

  constructor(
    private readonly context: WriteDaysContext,
    private readonly hour: number,
    private readonly known: KeySet | null,
    private readonly added: KeyIndexWriter | null,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<{ lines: Uint8Array; records: number }> {
    for await (const segment of this.context.records.segmentsOf(this.hour)) {
      let lines = segment.lines;
      let records = segment.records;
      if (this.known && segment.keys) {
        const kept = keepFresh(segment.lines, segment.keys, this.known);
        this.duplicates += segment.records - kept.records;
        await this.added?.write(kept.keys);
        lines = kept.lines;
        records = kept.records;
      }
      if (records === 0) continue;
      this.records += records;
      yield { lines, records };
    }
  }
}

/** An hour of a large day: its own object, or parts past the part size. */
async function writeHour(
  context: WriteDaysContext,
  hour: number,
  kept: KeptSegments,
  writes: InFlightWindow,
): Promise<WrittenObject[]> {
  const limit = context.partBytes ?? PART_BYTES;
  const stats = context.records.statsOf(hour);
  const objects: WrittenObject[] = [];
  let part = 0;
  let object: StagedLines | undefined;
  const open = (): StagedLines => {
    const key = rawObjectKey(context.dataset, hourPartition(hour), context.batchId, part);
    part += 1;
    return context.store.stageLines({ area: 'raw', key });
  };
  const finish = async (current: StagedLines): Promise<void> => {
    objects.push(writtenObject('raw', context.dataset, await current.end()));
    try {
      await writes.add(() => current.commit());
    } catch (error) {
      await current.abort().catch(() => undefined);
      throw error;
    }
  };
  for await (const segment of kept) {
    // Parts are cut at segment boundaries, which depend on the data and the budget alone.
    if (object && object.uncompressedBytes >= limit) {
      await finish(object);
      object = undefined;
    }
    object ??= open();
    await object.append(segment.lines, segment.records, stats.minEventTime, stats.maxEventTime);
  }
  if (object) await finish(object);
  return objects;
}

/** An hour of a small day: one gzip member of the day's object (none when it keeps no record). */
async function writeMember(
  context: WriteDaysContext,
  hour: number,
  kept: KeptSegments,
  members: StagedMembers,
): Promise<WrittenObject[]> {
  const stats = context.records.statsOf(hour);
  const lines: Uint8Array[] = [];
  for await (const segment of kept) lines.push(segment.lines);
  if (kept.records === 0) return [];
  const stored = await members.add(lines, kept.records, stats.minEventTime, stats.maxEventTime);
  return [{ ...writtenObject('raw', context.dataset, stored), offset: stored.offset, hour }];
}

/**
 * The lines of a segment whose key `known` did not hold yet (adding them to it), and their keys, in
 * order. Copied into two buffers, runs of kept lines at once: no object per row, so a segment of a
 * million rows costs its bytes, not a million views.
 */
function keepFresh(
  lines: Uint8Array,
  keys: Uint8Array,
  known: KeySet,
): { lines: Uint8Array; keys: Uint8Array; records: number } {
  const keptLines = Buffer.allocUnsafe(lines.byteLength);
  const keptKeys = new Uint8Array(keys.byteLength);
  let lineBytes = 0;
  let records = 0;
  // The run of consecutive kept lines not copied yet: [runStart, runEnd).
  let runStart = 0;
  let runEnd = 0;
  const copyRun = () => {
    if (runEnd > runStart) keptLines.set(lines.subarray(runStart, runEnd), lineBytes);
    lineBytes += runEnd - runStart;
  };
  forEachLine(lines, (start, end, index) => {
    const offset = index * KEY_BYTES;
    if (!known.add(keys, offset)) return;
    for (let i = 0; i < KEY_BYTES; i++) keptKeys[records * KEY_BYTES + i] = keys[offset + i] as number;
    records += 1;
    if (start !== runEnd) {
      copyRun();
      runStart = start;
    }
    runEnd = end + 1;
  });
  copyRun();
  return { lines: keptLines.subarray(0, lineBytes), keys: keptKeys.subarray(0, records * KEY_BYTES), records };
}

/**
 * The key index of a batch's day, streamed to its object as keys are added: memory holds one part of
 * it at most, whatever the number of keys. Nothing is written when the day adds no key.
 */
class KeyIndexWriter {
  private readonly staged: StagedObject;
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(
    private readonly context: WriteDaysContext,
    readonly key: string,
  ) {
    this.staged = context.store.stage({ area: 'raw', key }, 'application/octet-stream');
  }

  async write(keys: Uint8Array): Promise<void> {
    if (keys.byteLength === 0) return;
    this.hash.update(keys);
    this.bytes += keys.byteLength;
    await this.staged.write(keys);
  }

  /** Finishes the index; null when no key was added (nothing is left behind). */
  async end(): Promise<WrittenObject | null> {
    if (this.bytes === 0) {
      await this.staged.abort();
      return null;
    }
    await this.staged.end();
    await this.staged.commit();
    return {
      kind: 'key_index',
      bucket: this.context.store.bucket('raw'),
      key: this.key,
      dataset: this.context.dataset,
      records: this.bytes / KEY_BYTES,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
      minEventTime: null,
      maxEventTime: null,
    };
  }

  async abort(): Promise<void> {
    await this.staged.abort();
  }
}

/** A stored NDJSON object as the manifest lists it. */
export function writtenObject(kind: WrittenObject['kind'], dataset: string, stored: StoredLines): WrittenObject {
  const { bucket, key, records, bytes, sha256, minEventTime, maxEventTime } = stored;
  return { kind, bucket, key, dataset, records, bytes, sha256, minEventTime, maxEventTime };
}

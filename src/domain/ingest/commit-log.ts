// Domain: the raw store's table of contents. Raw objects are only data; what a reader may see is
// what the commit log says, day by day of event time (UTC). Each dataset-day has a log of entries,
// numbered 1, 2, 3…: an entry is written once, under the next free number, with a put-if-absent
// (the way Delta Lake's log or an Iceberg catalog commits), so two writers never both take the
// same number and a commit is one atomic write. An entry adds a batch's objects of that day and
// may name batches it supersedes on that day. The visible state of a day is a pure function of its
// entries: the objects of every batch that no entry supersedes.
import * as z from 'zod';

const HOUR = 3_600_000;

/**
 * One raw object a commit makes visible: a whole object, or one gzip member of a day's object (the
 * hours of a small day of a batch are members of one object), named by its key and byte offset.
 */
export const committedObjectSchema = z.object({
  key: z.string(),
  /** Where the member starts in the object, in bytes; absent for a whole object. */
  offset: z.number().int().min(0).optional(),
  /** Start of its event hour, epoch ms. */
  hour: z.number(),
  records: z.number().int().min(0),
  /** Bytes stored (compressed): of the member, for a member. */
  bytes: z.number().int().min(0),
  /** SHA-256 of the bytes as stored (compressed): of the member's bytes, for a member. */
  sha256: z.string(),
  minEventTime: z.number().nullable(),
  maxEventTime: z.number().nullable(),
});
export type CommittedObject = z.infer<typeof committedObjectSchema>;

/**
 * What names a committed object among the others: its key, and for a member its offset too
 * (`key@offset`). Members of one object share the key.
 */
export function objectIdOf(object: { readonly key: string; readonly offset?: number | undefined }): string {
  return object.offset === undefined ? object.key : `${object.key}@${object.offset}`;
}

/** A commit of one batch on one day of one dataset. */
export const commitEntrySchema = z.object({
  dataset: z.string(),
  /** `YYYY-MM-DD` (UTC) of the event times of the objects. */
  date: z.string(),
  /** Position in the day's log: 1 for the first commit of the day. */
  version: z.number().int().min(1),
  batchId: z.string(),
  /** The logical file a `replace` dataset's batch stands for; the batch id for an appended batch. */
  source: z.string(),
  /** Batches whose objects of this day stop counting from this entry on (a corrected export). */
  supersedes: z.array(z.string()),
  objects: z.array(committedObjectSchema),
  /** The batch's key index of the day (raw/_keys/…), when the dataset declares a key. */
  keysKey: z.string().nullable(),
  /** Keys in that index: the rows the batch added this day. */
  keys: z.number().int().min(0),
  manifestKey: z.string(),
  committedAt: z.number(),
});
export type CommitEntry = z.infer<typeof commitEntrySchema>;
/** What a writer proposes; the log gives it its version. */
export type CommitProposal = Omit<CommitEntry, 'version'>;

/** The visible state of a day: the entries of the batches nothing supersedes, oldest first. */
export function visibleEntries(entries: readonly CommitEntry[]): CommitEntry[] {
  const superseded = new Set(entries.flatMap((entry) => entry.supersedes));
  const seen = new Set<string>();
  const visible: CommitEntry[] = [];
  for (const entry of [...entries].sort((a, b) => a.version - b.version)) {
    // A batch commits a day once; a second entry of the same batch (never written by the protocol)
    // would only repeat it.
    if (superseded.has(entry.batchId) || seen.has(entry.batchId)) continue;
    seen.add(entry.batchId);
    visible.push(entry);
  }
  return visible;
}

/** One hour of a dataset as the log makes it visible. */
export interface VisibleHour {
  /** Start of the hour, epoch ms. */
  readonly start: number;
  /** Objects with the batch and manifest of each, in key order (then offset). */
  readonly objects: readonly (CommittedObject & { readonly batchId: string; readonly manifestKey: string })[];
}

/** The visible objects of some days, by event hour, oldest first, keeping hours in `[from, to)`. */
export function visibleHours(entries: readonly CommitEntry[], from: number | null, to: number): VisibleHour[] {
  const byDay = new Map<string, CommitEntry[]>();
  for (const entry of entries) byDay.set(entry.date, [...(byDay.get(entry.date) ?? []), entry]);
  const byHour = new Map<number, (CommittedObject & { batchId: string; manifestKey: string })[]>();
  for (const day of byDay.values()) {
    for (const entry of visibleEntries(day)) {
      for (const object of entry.objects) {
        if ((from !== null && object.hour < from) || object.hour >= to) continue;
        const list = byHour.get(object.hour) ?? [];
        list.push({ ...object, batchId: entry.batchId, manifestKey: entry.manifestKey });
        byHour.set(object.hour, list);
      }
    }
  }
  return [...byHour.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, objects]) => ({ start, objects: objects.sort(byObjectId) }));
}

/** Orders objects by key, then members of one object by offset. */
export function byObjectId(a: { key: string; offset?: number }, b: { key: string; offset?: number }): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return (a.offset ?? -1) - (b.offset ?? -1);
}

/** `YYYY-MM-DD` of an instant (UTC). */
export function dayOf(epochMillis: number): string {
  return new Date(Math.floor(epochMillis / HOUR) * HOUR).toISOString().slice(0, 10);
}

/** The days `[from, to)` spans, as `YYYY-MM-DD`, oldest first. */
export function daysBetween(from: number, to: number): string[] {
  const days: string[] = [];
  for (let day = Date.parse(`${dayOf(from)}T00:00:00Z`); day < to; day += 24 * HOUR) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/** A batch a logical file's head names: the one in force, or the one being committed. */
export const sourceRevisionSchema = z.object({
  batchId: z.string(),
  /** SHA-256 of the content (decompressed bytes) the batch was read from. */
  contentSha256: z.string(),
  /** 1 for the first file of the source, +1 for each correction. */
  revision: z.number().int().min(1),
  /** Days (UTC) the batch has objects on: where a successor must supersede it. */
  days: z.array(z.string()),
});
export type SourceRevision = z.infer<typeof sourceRevisionSchema>;

/**
 * The head of a logical file of a `replace` dataset: which batch is in force, and which one is
 * being committed (with a lease, so that two corrections of one file never interleave). Written
 * with optimistic locking on `stamp`.
 */
export const sourceHeadSchema = z.object({
  dataset: z.string(),
  source: z.string(),
  current: sourceRevisionSchema.nullable(),
  committing: sourceRevisionSchema.extend({ owner: z.string(), leaseUntil: z.number() }).nullable(),
  /** Optimistic-locking counter: 0 before the first write. */
  stamp: z.number().int().min(0),
});
export type SourceHead = z.infer<typeof sourceHeadSchema>;

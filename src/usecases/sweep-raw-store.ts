// Use case: the raw store's garbage collector, run on a schedule. Readers only ever read what the
// commit log names, so anything else in the buckets is garbage once no run can still be writing it:
// the objects, key indexes, manifests and quarantined rows of a batch that died before its commit
// (older than the grace period), and the objects of batches a correction superseded (after the
// retention period, which leaves time to look at what was replaced). It is idempotent (a second run
// deletes nothing more) and audited: each run writes a report of what it deleted, by dataset and
// kind, under `raw/_sweeps/`. Batches written before the commit log existed (manifest version 1) are
// adopted into the log first, so an upgrade loses nothing.
import * as z from 'zod';
import { PIPELINE_DATASET_OWNERS } from '../contracts/dataset-ownership';
import { MANIFEST_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX, SWEEP_REPORTS_PREFIX } from '../contracts/raw-layout';
import { ConflictError } from '../domain/errors';
import { type CommitEntry, dayOf, visibleEntries } from '../domain/ingest/commit-log';
import { PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import { batchManifestSchema } from '../domain/ingest/manifest';
import type { Clock } from '../ports/clock';
import type { IngestObjectStore } from '../ports/object-store';
import type { RawCommitLog } from '../ports/raw-commit-log';
import type { RawStoreMaintenance, StoredObject } from '../ports/raw-store-maintenance';
import { commitDays, type DayCommit } from './ingest/commit-days';

const DAY = 86_400_000;

export interface SweepDependencies {
  readonly maintenance: RawStoreMaintenance;
  readonly store: Pick<IngestObjectStore, 'get' | 'bucket'>;
  readonly log: RawCommitLog;
  readonly clock: Clock;
}

export interface SweepOptions {
  /** Objects younger than this are left alone: a run may still be writing them. @default 2 days */
  readonly graceMillis?: number;
  /** Objects of superseded batches are kept this long after the correction. @default 30 days */
  readonly supersededRetentionMillis?: number;
  /** Says what it would delete, deletes nothing. */
  readonly dryRun?: boolean;
}

interface Tally {
  objects: number;
  bytes: number;
}

export interface SweepReport {
  readonly startedAt: string;
  readonly dryRun: boolean;
  /** Per dataset: objects of batches never committed, and of batches superseded long enough ago. */
  readonly datasets: Record<string, { uncommitted: Tally; superseded: Tally }>;
  readonly manifests: Tally;
  readonly quarantine: Tally;
  /** Batches written before the commit log, adopted into it. */
  readonly adopted: number;
  /** Batches whose run died during their commit, whose commit the sweep finished from their manifest. */
  readonly rolledForward: number;
  readonly deleted: number;
  readonly reportKey: string;
}

const legacyManifestSchema = z.object({
  manifestVersion: z.literal(1),
  batchId: z.string(),
  dataset: z.string(),
  outcome: z.string(),
  ingestedAt: z.number(),
  objects: z.array(
    z.object({
      kind: z.string(),
      key: z.string(),
      dataset: z.string(),
      records: z.number(),
      bytes: z.number(),
      sha256: z.string(),
      minEventTime: z.number().nullable(),
      maxEventTime: z.number().nullable(),
    }),
  ),
});

const DATASET_OF = /(?:^|\/)dataset=([^/]+)\//;
const HOUR_OF = /date=(\d{4}-\d\d-\d\d)\/hour=(\d\d)\//;

/** What the commit logs name: the objects readers may see, and what superseded batches left past the retention. */
interface LogNames {
  readonly referenced: ReadonlySet<string>;
  readonly expired: ReadonlySet<string>;
  readonly committedManifests: ReadonlySet<string>;
}

/** Objects to delete, and their tally. */
interface Doomed<T> {
  readonly keys: string[];
  readonly tally: T;
}

export async function sweepRawStore(deps: SweepDependencies, options: SweepOptions = {}): Promise<SweepReport> {
  const now = deps.clock.now();
  const grace = options.graceMillis ?? 2 * DAY;
  const old = (object: StoredObject) => object.lastModified < now - grace;

  const raw = await collect(deps.maintenance.list('raw', RAW_PREFIX));
  const { logs, adopted, rolledForward } = await settledLogs(deps, raw, old);
  const names = namesOf(logs, now - (options.supersededRetentionMillis ?? 30 * DAY));
  const rawDoomed = doomedRaw(raw, names, old);
  const committedBatches = new Set([...names.committedManifests].map(batchOfManifest));
  const quarantineDoomed = await doomedQuarantine(deps, committedBatches, old);

  if (!options.dryRun) {
    await deps.maintenance.delete('raw', rawDoomed.keys);
    await deps.maintenance.delete('quarantine', quarantineDoomed.keys);
  }
  const startedAt = new Date(now).toISOString();
  const reportKey = `${SWEEP_REPORTS_PREFIX}date=${startedAt.slice(0, 10)}/${startedAt.replace(/[:.]/g, '-')}.json`;
  const report: SweepReport = {
    startedAt,
    dryRun: options.dryRun === true,
    datasets: rawDoomed.tally.datasets,
    manifests: rawDoomed.tally.manifests,
    quarantine: quarantineDoomed.tally,
    adopted,
    rolledForward,
    deleted: options.dryRun ? 0 : rawDoomed.keys.length + quarantineDoomed.keys.length,
    reportKey,
  };
  await deps.maintenance.writeJson('raw', reportKey, report);
  return report;
}

/**
 * The commit log of every dataset with raw objects, once batches written before the log existed
 * are adopted and commits a dead run left half done are rolled forward.
 */
async function settledLogs(
  deps: SweepDependencies,
  raw: readonly StoredObject[],
  old: (object: StoredObject) => boolean,
): Promise<{ logs: Map<string, CommitEntry[]>; adopted: number; rolledForward: number }> {
  const datasets = new Set<string>();
  for (const object of raw) {
    const dataset = DATASET_OF.exec(object.key)?.[1];
    if (dataset && !object.key.startsWith(SWEEP_REPORTS_PREFIX)) datasets.add(dataset);
  }
  const logs = await readLogs(deps.log, datasets);
  const adopted = await adoptLegacyBatches(deps, raw, logs, old);
  const rolledForward = await rollForward(deps, logs, old, raw);
  if (adopted + rolledForward === 0) return { logs, adopted, rolledForward };
  return { logs: await readLogs(deps.log, datasets), adopted, rolledForward };
}

/** What the logs name; a superseded batch's objects expire once its successor is older than `expiredBefore`. */
function namesOf(logs: ReadonlyMap<string, readonly CommitEntry[]>, expiredBefore: number): LogNames {
  const referenced = new Set<string>();
  const expired = new Set<string>();
  const committedManifests = new Set<string>();
  for (const entries of logs.values()) {
    for (const entry of entries) {
      committedManifests.add(entry.manifestKey);
      for (const object of entry.objects) referenced.add(object.key);
      if (entry.keysKey) referenced.add(entry.keysKey);
    }
    for (const day of groupByDay(entries)) {
      const visible = new Set(visibleEntries(day).map((entry) => entry.batchId));
      for (const entry of day) {
        if (visible.has(entry.batchId)) continue;
        const by = day.find((other) => other.supersedes.includes(entry.batchId));
        if (!by || by.committedAt >= expiredBefore) continue;
        for (const object of entry.objects) expired.add(object.key);
        if (entry.keysKey) expired.add(entry.keysKey);
      }
    }
  }
  return { referenced, expired, committedManifests };
}

/** Raw objects past the grace period that no commit names, or that only an expired superseded batch does. */
function doomedRaw(
  raw: readonly StoredObject[],
  names: LogNames,
  old: (object: StoredObject) => boolean,
): Doomed<{ datasets: SweepReport['datasets']; manifests: Tally }> {
  const datasets: SweepReport['datasets'] = {};
  const tallyOf = (dataset: string) => {
    datasets[dataset] ??= { uncommitted: { objects: 0, bytes: 0 }, superseded: { objects: 0, bytes: 0 } };
    return datasets[dataset];
  };
  const manifests: Tally = { objects: 0, bytes: 0 };
  const keys: string[] = [];
  for (const object of raw) {
    if (object.key.startsWith(SWEEP_REPORTS_PREFIX)) continue;
    const dataset = DATASET_OF.exec(object.key)?.[1] ?? '?';
    if (object.key.startsWith(MANIFEST_PREFIX)) {
      if (names.committedManifests.has(object.key) || !old(object)) continue;
      add(manifests, object);
      keys.push(object.key);
    } else if (names.expired.has(object.key)) {
      if (!old(object)) continue;
      add(tallyOf(dataset).superseded, object);
      keys.push(object.key);
    } else if (!names.referenced.has(object.key) && old(object)) {
      add(tallyOf(dataset).uncommitted, object);
      keys.push(object.key);
    }
  }
  return { keys, tally: { datasets, manifests } };
}

/** Quarantine objects past the grace period of batches that never committed. */
async function doomedQuarantine(
  deps: SweepDependencies,
  committedBatches: ReadonlySet<string>,
  old: (object: StoredObject) => boolean,
): Promise<Doomed<Tally>> {
  const tally: Tally = { objects: 0, bytes: 0 };
  const keys: string[] = [];
  for await (const object of deps.maintenance.list('quarantine', QUARANTINE_PREFIX)) {
    const batchId = batchOfQuarantined(object.key);
    if (!batchId || committedBatches.has(batchId) || !old(object)) continue;
    add(tally, object);
    keys.push(object.key);
  }
  return { keys, tally };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function readLogs(log: RawCommitLog, datasets: ReadonlySet<string>): Promise<Map<string, CommitEntry[]>> {
  const logs = new Map<string, CommitEntry[]>();
  for (const dataset of [...datasets].sort()) logs.set(dataset, await log.entries(dataset, null, '9999-12-31'));
  return logs;
}

function groupByDay(entries: readonly CommitEntry[]): CommitEntry[][] {
  const days = new Map<string, CommitEntry[]>();
  for (const entry of entries) days.set(entry.date, [...(days.get(entry.date) ?? []), entry]);
  return [...days.values()];
}

function add(tally: Tally, object: StoredObject): void {
  tally.objects += 1;
  tally.bytes += object.size;
}

/** `raw/_manifests/dataset=<id>/date=<d>/<batchId>.json` → batchId. */
function batchOfManifest(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, '');
}

/** The batch of a quarantined rows object or of a quarantined file. */
function batchOfQuarantined(key: string): string | undefined {
  return (
    /^quarantine\/_files\/dataset=[^/]+\/date=[^/]+\/([0-9a-f]{32})\//.exec(key)?.[1] ??
    /^quarantine\/dataset=[^/]+\/date=[^/]+\/hour=\d\d\/([0-9a-f]{32})\.ndjson\.gz$/.exec(key)?.[1]
  );
}

/**
 * Finishes the commit of batches whose run died after committing some of their days and never came
 * back (a pushed batch its agent did not resend): their manifest lists every object, all in place
 * before the first day was committed. A day whose keys a later batch took meanwhile is left as it is.
 */
async function rollForward(
  deps: SweepDependencies,
  logs: ReadonlyMap<string, readonly CommitEntry[]>,
  old: (object: StoredObject) => boolean,
  raw: readonly StoredObject[],
): Promise<number> {
  const finished = new Set((logs.get(PIPELINE_INGEST_DATASET) ?? []).map((entry) => entry.manifestKey));
  const started = new Map<string, Set<string>>();
  for (const [dataset, entries] of logs) {
    // The pipeline's own datasets commit without data-quality records (data quality itself, and
    // governance records, which are committed as they are written): nothing of theirs to finish.
    if (PIPELINE_DATASET_OWNERS[dataset]) continue;
    for (const entry of entries) {
      if (finished.has(entry.manifestKey)) continue;
      started.set(entry.manifestKey, new Set([...(started.get(entry.manifestKey) ?? []), entry.date]));
    }
  }
  const ages = new Map(raw.map((object) => [object.key, object]));
  let count = 0;
  for (const [manifestKey] of started) {
    const stored = ages.get(manifestKey);
    if (!stored || !old(stored)) continue;
    const parsed = batchManifestSchema.safeParse(await deps.maintenance.readJson('raw', manifestKey));
    if (!parsed.success) continue;
    const manifest = parsed.data;
    const days = manifest.days.map((day): DayCommit => {
      const objects = manifest.objects.filter((o) => o.kind === 'raw' && hourOfObject(o)?.date === day.date);
      const index = manifest.objects.find((o) => o.key === day.keysKey);
      return {
        date: day.date,
        objects: objects.map((o) => ({ ...pick(o), hour: hourOfObject(o)?.start ?? 0 })),
        keysKey: day.keysKey,
        keys: index?.records ?? 0,
        snapshotVersion: day.snapshotVersion,
      };
    });
    try {
      await commitDays({
        log: deps.log,
        store: deps.store as IngestObjectStore,
        dataset: manifest.dataset,
        batchId: manifest.batchId,
        source: manifest.replaces?.source ?? manifest.batchId,
        supersedes: manifest.replaces?.supersedes ?? [],
        days,
        manifestKey,
        committedAt: deps.clock.now(),
      });
      const dq = manifest.objects.find((o) => o.kind === 'data_quality');
      const dqHour = dq ? hourOf(dq.key) : undefined;
      if (dq && dqHour) {
        await commitDays({
          log: deps.log,
          store: deps.store as IngestObjectStore,
          dataset: PIPELINE_INGEST_DATASET,
          batchId: `dq-${manifest.batchId}`,
          source: `dq-${manifest.batchId}`,
          supersedes: [],
          days: [
            {
              date: dqHour.date,
              objects: [{ ...pick(dq), hour: dqHour.start }],
              keysKey: null,
              keys: 0,
              snapshotVersion: 0,
            },
          ],
          manifestKey,
          committedAt: deps.clock.now(),
        });
      }
      count += 1;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return count;
}

/** The event hour of an object a manifest lists: a member names it, a whole object's key does. */
function hourOfObject(o: { key: string; hour?: number | undefined }): { date: string; start: number } | undefined {
  return o.hour === undefined ? hourOf(o.key) : { date: dayOf(o.hour), start: o.hour };
}

function hourOf(key: string): { date: string; start: number } | undefined {
  const match = HOUR_OF.exec(key);
  return match ? { date: match[1] as string, start: Date.parse(`${match[1]}T${match[2]}:00:00Z`) } : undefined;
}

function pick(o: {
  key: string;
  offset?: number | undefined;
  records: number;
  bytes: number;
  sha256: string;
  minEventTime: number | null;
  maxEventTime: number | null;
}) {
  return {
    key: o.key,
    ...(o.offset === undefined ? {} : { offset: o.offset }),
    records: o.records,
    bytes: o.bytes,
    sha256: o.sha256,
    minEventTime: o.minEventTime,
    maxEventTime: o.maxEventTime,
  };
}

/**
 * Commits the batches a version without the commit log wrote (their manifest, version 1, was written
 * once every object was in place: they were complete), one entry per day as ingestion would.
 */
async function adoptLegacyBatches(
  deps: SweepDependencies,
  raw: readonly StoredObject[],
  logs: ReadonlyMap<string, readonly CommitEntry[]>,
  old: (object: StoredObject) => boolean,
): Promise<number> {
  const named = new Set([...logs.values()].flatMap((entries) => entries.map((entry) => entry.manifestKey)));
  let adopted = 0;
  for (const object of raw) {
    if (!object.key.startsWith(MANIFEST_PREFIX) || named.has(object.key) || !old(object)) continue;
    const parsed = legacyManifestSchema.safeParse(await deps.maintenance.readJson('raw', object.key));
    if (!parsed.success || parsed.data.outcome !== 'ingested') continue;
    const manifest = parsed.data;
    const byDataset = new Map<string, Map<string, DayCommit>>();
    for (const written of manifest.objects) {
      if (written.kind !== 'raw' && written.kind !== 'data_quality') continue;
      const hour = HOUR_OF.exec(written.key);
      if (!hour) continue;
      const start = Date.parse(`${hour[1]}T${hour[2]}:00:00Z`);
      const days = byDataset.get(written.dataset) ?? new Map<string, DayCommit>();
      const day = days.get(hour[1] as string) ?? {
        date: hour[1] as string,
        objects: [],
        keysKey: null,
        keys: 0,
        snapshotVersion: 0,
      };
      days.set(day.date, {
        ...day,
        objects: [
          ...day.objects,
          {
            key: written.key,
            hour: start,
            records: written.records,
            bytes: written.bytes,
            sha256: written.sha256,
            minEventTime: written.minEventTime,
            maxEventTime: written.maxEventTime,
          },
        ],
      });
      byDataset.set(written.dataset, days);
    }
    for (const [dataset, days] of byDataset) {
      const batchId = dataset === manifest.dataset ? manifest.batchId : `dq-${manifest.batchId}`;
      await commitDays({
        log: deps.log,
        store: deps.store as IngestObjectStore,
        dataset,
        batchId,
        source: batchId,
        supersedes: [],
        days: [...days.values()],
        manifestKey: object.key,
        committedAt: manifest.ingestedAt,
      });
    }
    adopted += 1;
  }
  return adopted;
}

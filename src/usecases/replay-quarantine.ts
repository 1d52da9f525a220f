// Use case: read the quarantined rows of some days again under the declaration in force, once it has
// been fixed (`kpi replay`). The quarantine keeps each row's raw text (and, for a CSV row, its
// header's columns), so a day's rows are one input read like a dropped file; the batch goes through
// the same five steps as any other (read, claim, write, commit, complete), so the rows that now pass
// land in raw exactly once, their hours are marked late and the next refresh restates the values.
//
// Which rows are still in quarantine is decided by a log, as for raw: the quarantine log of the
// dataset (commit-log entries under `quarantine:<dataset>`, one per replay and day, put-if-absent).
// A day's quarantine is the quarantined rows of the batches ingested that day, minus those of batches
// a replay entry supersedes, plus the rows each replay left (their new reason). A replay's batch id is
// derived from the rows it reads (the SHA-256 of the quarantine objects in force) and the declaration
// version, and its log entry is written last, when every row it moved is committed in raw: a run
// that dies anywhere is rerun with the same id and finishes; a day whose quarantine was last
// replayed under the same declaration is left alone, so a second replay adds nothing.
import { createHash } from 'node:crypto';
import { hourPartition, MANIFEST_PREFIX, QUARANTINE_PREFIX, quarantineLogOf } from '../contracts/raw-layout';
import { type CompiledDataset, type DatasetFormat, ingestionOf, webGunzip } from '../domain/dataset';
import { ValidationError } from '../domain/errors';
import { type CommitEntry, daysBetween, visibleEntries } from '../domain/ingest/commit-log';
import { PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import { type BatchManifest, batchManifestSchema } from '../domain/ingest/manifest';
import type { QuarantinedRow } from '../domain/records';
import { commitDays } from './ingest/commit-days';
import { batchIdOf, declarationSha256, type IngestDependencies, type IngestPart, ingestBatch } from './ingest-batch';

const DAY = 86_400_000;

export { quarantineLogOf };

export interface ReplayRequest {
  /** The dataset, compiled from the declaration in force. */
  readonly dataset: CompiledDataset;
  /** Its published version: recorded in the manifest and the lineage. */
  readonly declarationVersion: number;
  /** Days of ingestion (UTC) `[from, to)`, epoch ms: the days the rows were quarantined on. */
  readonly from: number;
  readonly to: number;
}

/** What a replay did on one day of quarantine. */
export interface ReplayDay {
  readonly date: string;
  /**
   * `replayed`: the rows were read again; `up_to_date`: last replayed under this same declaration;
   * `empty`: nothing quarantined; `busy`: another run is replaying it (try again later).
   */
  readonly status: 'replayed' | 'up_to_date' | 'empty' | 'busy';
  readonly batchId: string | null;
  /** Rows in quarantine before. */
  readonly before: number;
  /** Rows still in quarantine after (with their new reason), kept ones included. */
  readonly after: number;
  /** Rows that passed and are now in raw. */
  readonly moved: number;
  /** Rows that passed but whose key was ingested meanwhile: dropped as duplicates, counted. */
  readonly duplicate: number;
  /** Rows that cannot be read again (cut at the quarantine's size limit, or a CSV row kept without its header). */
  readonly kept: number;
  /** Rows still quarantined, by reason code. */
  readonly stillQuarantinedByReason: Readonly<Record<string, number>>;
  /** Rows moved, by the reason they had been quarantined for. */
  readonly movedByPreviousReason: Readonly<Record<string, number>>;
  /** Hours marked for recomputation (`YYYY-MM-DDTHH`). */
  readonly lateHours: readonly string[];
}

export interface ReplayReport {
  readonly dataset: string;
  readonly declarationVersion: number;
  readonly days: ReplayDay[];
  readonly totals: {
    readonly before: number;
    readonly after: number;
    readonly moved: number;
    readonly duplicate: number;
  };
}

/** A quarantine object in force on a day, and the batch it belongs to. */
export interface QuarantineObject {
  readonly batchId: string;
  readonly key: string;
  readonly sha256: string;
  readonly records: number;
  /** When the rows were (first) read: the read time they are judged against again. */
  readonly ingestedAt: number;
}

/**
 * Replays the quarantine of `[from, to)`, day by day. Each day is a batch of its own, committed
 * atomically; a failure stops the replay with the days before it done (a rerun does the rest).
 */
export async function replayQuarantine(request: ReplayRequest, deps: IngestDependencies): Promise<ReplayReport> {
  if (!(request.from < request.to)) throw new ValidationError('the replay range is empty: --from must be before --to');
  if (request.to - request.from > 92 * DAY) {
    throw new ValidationError('replay at most 92 days at once; split the range');
  }
  const days: ReplayDay[] = [];
  for (const date of daysBetween(request.from, request.to)) days.push(await replayDay(request, date, deps));
  const sum = (pick: (d: ReplayDay) => number) => days.reduce((n, d) => n + pick(d), 0);
  return {
    dataset: request.dataset.id,
    declarationVersion: request.declarationVersion,
    days,
    totals: {
      before: sum((d) => d.before),
      after: sum((d) => d.after),
      moved: sum((d) => d.moved),
      duplicate: sum((d) => d.duplicate),
    },
  };
}

/** The quarantine in force on one day of ingestion: its objects, and the replay entries that made part of it. */
export async function quarantineOfDay(
  datasetId: string,
  date: string,
  deps: Pick<IngestDependencies, 'log' | 'store'>,
): Promise<{ objects: QuarantineObject[]; fresh: number; replays: CommitEntry[] }> {
  const entries = await deps.log.entries(quarantineLogOf(datasetId), date, date);
  const superseded = new Set(entries.flatMap((entry) => entry.supersedes));
  const replays = visibleEntries(entries).filter((entry) => !superseded.has(entry.batchId));
  const objects: QuarantineObject[] = [];
  for (const manifest of await ingestedOn(datasetId, date, deps)) {
    // A rejected batch (a push refused whole) stored nothing: its sender resends it, fixed.
    if (superseded.has(manifest.batchId) || manifest.outcome !== 'ingested') continue;
    for (const object of manifest.objects) {
      if (object.kind !== 'quarantine' || object.records === 0) continue;
      objects.push({
        batchId: manifest.batchId,
        key: object.key,
        sha256: object.sha256,
        records: object.records,
        ingestedAt: manifest.ingestedAt,
      });
    }
  }
  const fresh = objects.length;
  for (const entry of replays) {
    const manifest = await readManifest(entry.manifestKey, deps);
    for (const object of entry.objects) {
      if (object.records === 0) continue;
      objects.push({
        batchId: entry.batchId,
        key: object.key,
        sha256: object.sha256,
        records: object.records,
        ingestedAt: manifest.ingestedAt,
      });
    }
  }
  return { objects, fresh, replays };
}

async function replayDay(request: ReplayRequest, date: string, deps: IngestDependencies): Promise<ReplayDay> {
  const { dataset } = request;
  const declaration = declarationSha256(dataset.declaration);
  const replaySource = `replay@${declaration}`;
  const { objects, fresh, replays } = await quarantineOfDay(dataset.id, date, deps);
  const before = objects.reduce((n, o) => n + o.records, 0);
  if (before === 0) return unchangedDay(date, before, 'empty');
  // Every row in force was left by a replay under this very declaration: reading them again changes nothing.
  if (fresh === 0 && replays.length > 0 && replays.every((entry) => entry.source === replaySource)) {
    return unchangedDay(date, before, 'up_to_date');
  }

  const ordered = [...objects].sort((a, b) => (a.key < b.key ? -1 : 1));
  const batchId = replayBatchId(request, date, declaration, ordered);
  const tally: ReplayTally = { kept: [], replayed: {}, stillFailing: {} };
  const replayed = [...new Set(ordered.map((o) => o.batchId))].sort();
  const result = await ingestBatch(
    {
      dataset,
      declarationVersion: request.declarationVersion,
      replayOf: replayed,
      connector: 'replay',
      source: `replay:${quarantineLogOf(dataset.id)}/${date}`,
      parts: partsOf(dataset, ordered, deps, tally),
      mode: 'partial',
      lateAfterMinutes: ingestionOf(dataset.declaration).lateAfterMinutes,
      identity: { batchId },
      // Rows are judged against the time they were first read, as then (future event times included).
      readTime: Math.max(...ordered.map((o) => o.ingestedAt)),
      beforeComplete: (manifest) =>
        commitQuarantineDay(deps, manifest, { date, batchId, replaySource, replayed, kept: tally.kept }),
    },
    deps,
  );
  if (result.status === 'busy') return unchangedDay(date, before, 'busy', batchId);
  if (result.status === 'deferred') return unchangedDay(date, before, 'busy', batchId);
  if (result.status === 'duplicate') return unchangedDay(date, before, 'up_to_date', batchId);
  return replayedDay(date, batchId, before, result.manifest, tally);
}

function unchangedDay(
  date: string,
  before: number,
  status: ReplayDay['status'],
  batchId: string | null = null,
): ReplayDay {
  return {
    date,
    status,
    batchId,
    before,
    after: before,
    moved: 0,
    duplicate: 0,
    kept: 0,
    stillQuarantinedByReason: {},
    movedByPreviousReason: {},
    lateHours: [],
  };
}

/** The replay's batch id: the day, the declaration it reads under, and the quarantine objects it reads. */
function replayBatchId(
  request: ReplayRequest,
  date: string,
  declaration: string,
  ordered: readonly QuarantineObject[],
): string {
  const identity = createHash('sha256');
  for (const object of ordered) identity.update(`${object.key}\n${object.sha256}\n`);
  const digest = identity.digest('hex');
  return batchIdOf('replay', request.dataset.id, date, String(request.declarationVersion), declaration, digest);
}

/**
 * The quarantine log entry of a replayed day, once its records are committed: from here on the
 * replayed batches' rows are out of quarantine, and this batch's residual (with the rows that could
 * not be read again, written here) is in.
 */
async function commitQuarantineDay(
  deps: IngestDependencies,
  manifest: BatchManifest,
  replay: {
    readonly date: string;
    readonly batchId: string;
    readonly replaySource: string;
    readonly replayed: readonly string[];
    readonly kept: readonly QuarantinedRow[];
  },
): Promise<void> {
  const { date, batchId, kept } = replay;
  const dataset = manifest.dataset;
  const keptKey = `${QUARANTINE_PREFIX}dataset=${dataset}/date=${date}/replays/${batchId}-kept.ndjson.gz`;
  const keptWritten = kept.length > 0 ? await writeKept(deps, keptKey, kept) : null;
  const residual = manifest.objects.filter((o) => o.kind === 'quarantine');
  const hour = hourPartition(manifest.ingestedAt).start;
  await commitDays({
    log: deps.log,
    store: deps.store,
    dataset: quarantineLogOf(dataset),
    batchId,
    source: replay.replaySource,
    supersedes: [...replay.replayed],
    days: [
      {
        date,
        objects: [
          ...residual.map((o) => ({
            key: o.key,
            hour,
            records: o.records,
            bytes: o.bytes,
            sha256: o.sha256,
            minEventTime: null,
            maxEventTime: null,
          })),
          ...(keptWritten ? [{ ...keptWritten, hour, minEventTime: null, maxEventTime: null }] : []),
        ],
        keysKey: null,
        keys: 0,
        snapshotVersion: 0,
      },
    ],
    manifestKey: manifestKeyOf(manifest),
    committedAt: deps.clock.now(),
  });
}

function replayedDay(
  date: string,
  batchId: string,
  before: number,
  manifest: BatchManifest,
  tally: ReplayTally,
): ReplayDay {
  const { kept } = tally;
  const stillQuarantinedByReason: Record<string, number> = { ...manifest.counts.quarantinedByReason };
  for (const row of kept)
    stillQuarantinedByReason[row.code ?? 'unknown'] = (stillQuarantinedByReason[row.code ?? 'unknown'] ?? 0) + 1;
  return {
    date,
    status: 'replayed',
    batchId,
    before,
    after: manifest.counts.quarantined + kept.length,
    moved: manifest.counts.valid,
    duplicate: manifest.counts.duplicate,
    kept: kept.length,
    stillQuarantinedByReason,
    movedByPreviousReason: subtractReasons(tally.replayed, tally.stillFailing),
    lateHours: manifest.latePartitions.map((p) => `${p.date}T${p.hour}`),
  };
}

function subtractReasons(all: Record<string, number>, still: Record<string, number>): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [code, n] of Object.entries(all)) {
    const left = n - (still[code] ?? 0);
    if (left > 0) moved[code] = left;
  }
  return moved;
}

function manifestKeyOf(manifest: BatchManifest): string {
  const hour = hourPartition(manifest.ingestedAt);
  return `${MANIFEST_PREFIX}dataset=${manifest.dataset}/date=${hour.date}/${manifest.batchId}.json`;
}

/** The manifests of the batches of `dataset` ingested (and committed) on `date`, replays excluded. */
async function ingestedOn(
  dataset: string,
  date: string,
  deps: Pick<IngestDependencies, 'log' | 'store'>,
): Promise<BatchManifest[]> {
  const prefix = `${MANIFEST_PREFIX}dataset=${dataset}/`;
  const manifests: BatchManifest[] = [];
  for (const entry of await deps.log.entries(PIPELINE_INGEST_DATASET, date, date)) {
    if (!entry.manifestKey.startsWith(prefix)) continue;
    const manifest = await readManifest(entry.manifestKey, deps);
    if (manifest.connector !== 'replay') manifests.push(manifest);
  }
  return manifests;
}

async function readManifest(key: string, deps: Pick<IngestDependencies, 'store'>): Promise<BatchManifest> {
  const bytes = await deps.store.get({ area: 'raw', key });
  if (!bytes) throw new Error(`the manifest ${key} named by the commit log is missing`);
  return batchManifestSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** The rows of one quarantine object, in order. */
async function rowsOf(
  object: QuarantineObject,
  deps: Pick<IngestDependencies, 'store' | 'gunzip'>,
): Promise<QuarantinedRow[]> {
  const bytes = await deps.store.get({ area: 'quarantine', key: object.key });
  if (!bytes) throw new Error(`the quarantine object ${object.key} is missing`);
  // The bytes its manifest or replay commit names (SHA-256 of the gzip bytes), or nothing is replayed.
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== object.sha256) {
    throw new Error(
      `s3://${deps.store.bucket('quarantine')}/${object.key}: the bytes read have SHA-256 ${actual}, ` +
        `its commit names ${object.sha256}; the object changed after its commit (overwritten or corrupted)`,
    );
  }
  const gunzip = deps.gunzip ?? webGunzip;
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of gunzip(
    (async function* () {
      yield bytes;
    })(),
  ))
    text += decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as QuarantinedRow);
}

const TRUNCATED = /…\[truncated: \d+ characters in all\]$/;

/** An input part of a replay, with the quarantined rows it reads again. */
export type ReplayPart = IngestPart & { readonly rows: readonly QuarantinedRow[] };

/** What the parts of a replay saw: rows kept as they were, and the previous reasons of the rows read again. */
export interface ReplayTally {
  readonly kept: QuarantinedRow[];
  /** Previous reason codes of the rows read again. */
  readonly replayed: Record<string, number>;
  /** Previous reason codes of the rows read again that failed again. */
  readonly stillFailing: Record<string, number>;
}

const bump = (counts: Record<string, number>, code: string | undefined) => {
  counts[code ?? 'unknown'] = (counts[code ?? 'unknown'] ?? 0) + 1;
};

/**
 * One input part per group of rows that read alike (same file and, for CSV, same header): each row's
 * raw text again, one per line, under a header made from the columns it was read with. Rows that
 * cannot be read again go to `kept`, unchanged.
 */
export async function* partsOf(
  dataset: CompiledDataset,
  objects: readonly QuarantineObject[],
  deps: Pick<IngestDependencies, 'store' | 'gunzip'>,
  tally: ReplayTally,
): AsyncGenerator<ReplayPart> {
  const format = dataset.declaration.format;
  for (const object of objects) {
    const groups = new Map<string, QuarantinedRow[]>();
    for (const row of await rowsOf(object, deps)) {
      const csvHeader = format.type === 'csv' && format.header;
      if (TRUNCATED.test(row.raw) || (csvHeader && !row.columns)) {
        tally.kept.push(row);
        continue;
      }
      const group = `${row.source}\n${row.file}\n${JSON.stringify(row.columns ?? null)}`;
      const rows = groups.get(group);
      if (rows) rows.push(row);
      else groups.set(group, [row]);
    }
    for (const rows of groups.values()) {
      for (const row of rows) bump(tally.replayed, row.code);
      yield replayPart(format, rows, object, (previous) => bump(tally.stillFailing, previous.code));
    }
  }
}

function replayPart(
  format: DatasetFormat,
  rows: readonly QuarantinedRow[],
  object: QuarantineObject,
  failedAgain: (previous: QuarantinedRow) => void,
): ReplayPart {
  const first = rows[0] as QuarantinedRow;
  const lines: string[] = [];
  // Where each row starts in the text made here, to give a row read again its own file line back.
  const original = new Map<number, QuarantinedRow>();
  let line = 1;
  let partFormat: DatasetFormat = format;
  if (format.type === 'csv') {
    if (format.header) {
      lines.push(
        (first.columns ?? []).map((column) => csvCell(column, format.delimiter, format.quote)).join(format.delimiter),
      );
      line += 1;
    }
    for (const row of rows) {
      original.set(line, row);
      lines.push(row.raw);
      line += lineBreaks(row.raw) + 1;
    }
    partFormat = { ...format, compression: 'none', encoding: 'utf-8' };
  } else {
    // NDJSON, or elements of a JSON array: one object per line.
    for (const row of rows) {
      original.set(line, row);
      lines.push(oneLine(row.raw));
      line += 1;
    }
    partFormat = {
      type: 'ndjson',
      compression: 'none',
      encoding: 'utf-8',
      maxRowBytes: format.maxRowBytes,
    } as DatasetFormat;
  }
  const text = `${lines.join('\n')}\n`;
  return {
    rows,
    origin: { source: first.source, file: first.file },
    bytes: (async function* () {
      yield new TextEncoder().encode(text);
    })(),
    format: partFormat,
    uri: `${object.key}#${first.file}`,
    version: object.sha256,
    relocate: (row) => {
      const from = original.get(row.line);
      if (!from) return row;
      failedAgain(from);
      return { ...row, line: from.line };
    },
  };
}

function oneLine(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw));
  } catch {
    return raw.replace(/\r\n|\r|\n/g, ' ');
  }
}

function lineBreaks(text: string): number {
  return (text.match(/\r\n|\r|\n/g) ?? []).length;
}

function csvCell(value: string, delimiter: string, quote: string): string {
  if (!value.includes(delimiter) && !value.includes(quote) && !/[\r\n]/.test(value)) return value;
  return `${quote}${value.split(quote).join(quote + quote)}${quote}`;
}

async function writeKept(
  deps: IngestDependencies,
  key: string,
  rows: readonly QuarantinedRow[],
): Promise<{ key: string; records: number; bytes: number; sha256: string }> {
  const object = deps.store.stageLines({ area: 'quarantine', key });
  try {
    await object.append(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`, rows.length, 0, 0);
    const written = await object.end();
    await object.commit();
    return { key: written.key, records: written.records, bytes: written.bytes, sha256: written.sha256 };
  } catch (error) {
    await object.abort().catch(() => undefined);
    throw error;
  }
}

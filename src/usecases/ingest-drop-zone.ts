// Use case: one run of the S3 drop zone. For each dataset whose declaration keeps a drop zone, every
// file under `landing/<dataset>/` not seen yet is read as one batch, identified by its content: the
// same bytes under another name or uploaded another way (plain or multipart: other ETags) add
// nothing. A file already handled is skipped without being read (its key, ETag and upload time are
// remembered as an alias of its batch). In a `replace` dataset, a file is a version of a logical file
// (its key, or the `replaceBy` capture) and supersedes the version before it. Files start largest
// first, so a big file gets a run of its own; a run stops starting files at its deadline, and the
// next run picks up the rest.

import { LANDING_PREFIX, landingPrefix } from '../contracts/raw-layout';
import { type CompiledDataset, filePatternsOf, ingestionOf, pathValuesOf } from '../domain/dataset';
import { describeError } from '../domain/errors';
import type { LandingObject, LandingZone } from '../ports/landing-zone';
import {
  batchIdOf,
  type IngestBatchRequest,
  type IngestDependencies,
  type IngestResult,
  ingestBatch,
} from './ingest-batch';

export interface DatasetDropReport {
  readonly dataset: string;
  readonly files: number;
  readonly ingested: number;
  /** Files whose content was ingested before (under any name), or that were handled before. */
  readonly duplicates: number;
  readonly unreadable: number;
  /** Files refused for their size (expanded bytes, rows, or too slow to read in one run). */
  readonly tooLarge: number;
  readonly busy: number;
  readonly failed: number;
  /** Files left for the next run because the deadline came. */
  readonly deferred: number;
  readonly rowsRead: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  /** Rows dropped because their key was ingested before. */
  readonly rowsDuplicate: number;
  readonly failures: { readonly key: string; readonly error: string }[];
}

export interface DropZoneReport {
  readonly datasets: DatasetDropReport[];
}

export interface DropZoneDependencies extends IngestDependencies {
  readonly landing: LandingZone;
}

/** The id a dropped file is remembered by: dataset, key, ETag and upload time. */
export function dropZoneFileId(dataset: string, object: LandingObject): string {
  return batchIdOf('drop_zone', dataset, object.key, object.etag, String(object.lastModified));
}

/** The logical file a dropped file is a version of, in a `replace` dataset. */
export function logicalFileOf(dataset: CompiledDataset, key: string): string {
  const path = key.slice(landingPrefix(dataset.id).length);
  const pattern = ingestionOf(dataset.declaration).replaceBy;
  const captured = pattern ? new RegExp(pattern).exec(path)?.[1] : undefined;
  return `${LANDING_PREFIX}${dataset.id}/${captured ?? path}`;
}

/**
 * The dataset bound to one dropped file: its key below `landing/<dataset>/` gives the fields the
 * declaration's `files` capture (`{field}`), as a local path does. Those values are part of the
 * batch's identity: the same bytes under another campaign's folder are other records.
 */
export function droppedFileDataset(
  dataset: CompiledDataset,
  key: string,
): { readonly dataset: CompiledDataset; readonly scope: readonly string[] } {
  if (dataset.capturedFields.length === 0) return { dataset, scope: [] };
  const path = key.slice(landingPrefix(dataset.id).length);
  const { values } = pathValuesOf(filePatternsOf(dataset.declaration.files), path);
  const scope = dataset.capturedFields.map((name) => `path:${name}=${values[name] ?? ''}`);
  return { dataset: dataset.forFile({ path, values }), scope };
}

type Counters = { -readonly [K in keyof Omit<DatasetDropReport, 'dataset' | 'failures'>]: DatasetDropReport[K] };

/** Files started in this run: only the first has the run to itself (see `wholeRun`). */
interface RunProgress {
  started: number;
}

/**
 * Ingests what waits in the drop zone for `datasets` (those with `ingestion.dropZone` off are
 * skipped). A file that fails for a reason other than its content (a network error) is reported
 * and left for the next run; the other files go on.
 */
export async function ingestDropZone(
  datasets: readonly CompiledDataset[],
  deadline: number,
  deps: DropZoneDependencies,
  /** The published version each dataset's declaration is (recorded in the manifests); none: the deployed one. */
  versionOf: (dataset: string) => number | null = () => null,
): Promise<DropZoneReport> {
  const reports: DatasetDropReport[] = [];
  const run: RunProgress = { started: 0 };
  for (const dataset of datasets) {
    if (!ingestionOf(dataset.declaration).dropZone) continue;
    reports.push(await ingestDatasetDrops(dataset, deadline, deps, versionOf, run));
  }
  return { datasets: reports };
}

async function ingestDatasetDrops(
  dataset: CompiledDataset,
  deadline: number,
  deps: DropZoneDependencies,
  versionOf: (dataset: string) => number | null,
  run: RunProgress,
): Promise<DatasetDropReport> {
  const { files, ids, pending } = await waitingFiles(dataset, deps);
  const counters = emptyCounters(files);
  const failures: { key: string; error: string }[] = [];
  counters.duplicates += files - pending.length;
  for (const object of pending) {
    if (deps.clock.now() >= deadline) {
      counters.deferred += 1;
      continue;
    }
    const dropped = droppedFileDataset(dataset, object.key);
    try {
      const request = droppedFileBatch(dataset, dropped, object, deps, {
        deadline,
        declarationVersion: versionOf(dataset.id),
        wholeRun: run.started === 0,
      });
      const result = await ingestBatch(request, deps);
      run.started += 1;
      count(counters, result);
      await recordFileOutcome(dataset, ids.get(object) as string, result, deps);
    } catch (error) {
      run.started += 1;
      counters.failed += 1;
      failures.push({ key: object.key, error: describeError(error) });
    }
  }
  return { dataset: dataset.id, ...counters, failures };
}

/** The dataset's landing files, their ids, and those not handled before, largest first. */
async function waitingFiles(
  dataset: CompiledDataset,
  deps: DropZoneDependencies,
): Promise<{ files: number; ids: Map<LandingObject, string>; pending: LandingObject[] }> {
  const objects: LandingObject[] = [];
  for await (const object of deps.landing.list(landingPrefix(dataset.id))) objects.push(object);
  const ids = new Map(objects.map((object) => [object, dropZoneFileId(dataset.id, object)]));
  const seen = await deps.ledger.completed(dataset.id, [...ids.values()]);
  const pending = objects.filter((object) => !seen.has(ids.get(object) as string));
  // Largest first: the file most likely to need a whole run gets one.
  pending.sort((a, b) => b.size - a.size || (a.key < b.key ? -1 : 1));
  return { files: objects.length, ids, pending };
}

function droppedFileBatch(
  dataset: CompiledDataset,
  dropped: ReturnType<typeof droppedFileDataset>,
  object: LandingObject,
  deps: DropZoneDependencies,
  run: { deadline: number; declarationVersion: number | null; wholeRun: boolean },
): IngestBatchRequest {
  const ingestion = ingestionOf(dataset.declaration);
  const uri = `s3://${deps.landing.bucket}/${object.key}`;
  return {
    dataset: dropped.dataset,
    declarationVersion: run.declarationVersion,
    ...(dropped.scope.length > 0 ? { identity: { scope: dropped.scope } } : {}),
    connector: 'drop_zone',
    source: uri,
    parts: [
      {
        origin: { source: `s3://${deps.landing.bucket}`, file: object.key },
        bytes: deps.landing.open(object),
        uri,
        version: object.etag,
      },
    ],
    mode: 'partial',
    lateAfterMinutes: ingestion.lateAfterMinutes,
    ...(ingestion.files === 'replace' ? { replaces: logicalFileOf(dataset, object.key) } : {}),
    readTime: object.lastModified || deps.clock.now(),
    deadline: run.deadline,
    wholeRun: run.wholeRun,
    preserveUnreadable: (target) => deps.landing.copyTo(object, target),
  };
}

/** Records the landing file as handled (its key, ETag and upload time), so it is not read again. */
async function recordFileOutcome(
  dataset: CompiledDataset,
  aliasId: string,
  result: IngestResult,
  deps: DropZoneDependencies,
): Promise<void> {
  if (result.status === 'busy' || result.status === 'deferred') return;
  await deps.ledger.alias({
    dataset: dataset.id,
    aliasId,
    batchId: result.batchId,
    outcome: result.status === 'duplicate' ? result.outcome : result.status,
    completedAt: deps.clock.now(),
  });
}

function emptyCounters(files: number): Counters {
  return {
    files,
    ingested: 0,
    duplicates: 0,
    unreadable: 0,
    tooLarge: 0,
    busy: 0,
    failed: 0,
    deferred: 0,
    rowsRead: 0,
    rowsValid: 0,
    rowsQuarantined: 0,
    rowsDuplicate: 0,
  };
}

function count(counters: Counters, result: IngestResult): void {
  switch (result.status) {
    case 'duplicate':
      counters.duplicates += 1;
      return;
    case 'busy':
      counters.busy += 1;
      return;
    case 'deferred':
      counters.deferred += 1;
      return;
    case 'unreadable':
      counters.unreadable += 1;
      return;
    case 'too_large':
      counters.tooLarge += 1;
      return;
    default:
      counters.ingested += 1;
      counters.rowsRead += result.manifest.counts.read;
      counters.rowsValid += result.manifest.counts.valid;
      counters.rowsQuarantined += result.manifest.counts.quarantined;
      counters.rowsDuplicate += result.manifest.counts.duplicate;
  }
}

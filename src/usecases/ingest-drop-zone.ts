// Use case: one run of the S3 drop zone. For each dataset whose declaration keeps a drop zone,
// every file under `landing/<dataset>/` not ingested yet becomes one batch, identified by its key
// and ETag: dropping the same file again writes nothing, dropping a changed file is a new batch.
// A run stops starting files at its deadline; the next run picks up the rest.
import { type CompiledDataset, ingestionOf } from '../domain/dataset';
import { describeError } from '../domain/errors';
import { landingPrefix } from '../domain/ingest/layout';
import type { LandingObject, LandingZone } from '../ports/landing-zone';
import { batchIdOf, type IngestDependencies, ingestBatch } from './ingest-batch';

export interface DatasetDropReport {
  readonly dataset: string;
  readonly files: number;
  readonly ingested: number;
  readonly duplicates: number;
  readonly unreadable: number;
  readonly busy: number;
  readonly failed: number;
  /** Files left for the next run because the deadline came. */
  readonly deferred: number;
  readonly rowsRead: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  readonly failures: { readonly key: string; readonly error: string }[];
}

export interface DropZoneReport {
  readonly datasets: DatasetDropReport[];
}

export interface DropZoneDependencies extends IngestDependencies {
  readonly landing: LandingZone;
}

/** The batch id of a dropped file: dataset, key and content (ETag). */
export function dropZoneBatchId(dataset: string, object: LandingObject): string {
  return batchIdOf('drop_zone', dataset, object.key, object.etag);
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
): Promise<DropZoneReport> {
  const reports: DatasetDropReport[] = [];
  for (const dataset of datasets) {
    const ingestion = ingestionOf(dataset.declaration);
    if (!ingestion.dropZone) continue;
    const objects: LandingObject[] = [];
    for await (const object of deps.landing.list(landingPrefix(dataset.id))) objects.push(object);
    const ids = objects.map((object) => dropZoneBatchId(dataset.id, object));
    const done = await deps.ledger.completed(dataset.id, ids);
    const report = {
      dataset: dataset.id,
      files: objects.length,
      ingested: 0,
      duplicates: 0,
      unreadable: 0,
      busy: 0,
      failed: 0,
      deferred: 0,
      rowsRead: 0,
      rowsValid: 0,
      rowsQuarantined: 0,
      failures: [] as { key: string; error: string }[],
    };
    for (const [i, object] of objects.entries()) {
      const batchId = ids[i] as string;
      if (done.has(batchId)) {
        report.duplicates += 1;
        continue;
      }
      if (deps.clock.now() >= deadline) {
        report.deferred += 1;
        continue;
      }
      const uri = `s3://${deps.landing.bucket}/${object.key}`;
      try {
        const result = await ingestBatch(
          {
            dataset,
            connector: 'drop_zone',
            batchId,
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
            preserveUnreadable: (target) => deps.landing.copyTo(object, target),
          },
          deps,
        );
        if (result.status === 'duplicate') report.duplicates += 1;
        else if (result.status === 'busy') report.busy += 1;
        else {
          if (result.status === 'unreadable') report.unreadable += 1;
          else report.ingested += 1;
          report.rowsRead += result.manifest.counts.read;
          report.rowsValid += result.manifest.counts.valid;
          report.rowsQuarantined += result.manifest.counts.quarantined;
        }
      } catch (error) {
        report.failed += 1;
        report.failures.push({ key: object.key, error: describeError(error) });
      }
    }
    reports.push(report);
  }
  return { datasets: reports };
}

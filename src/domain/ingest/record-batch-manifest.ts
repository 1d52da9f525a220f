// Domain: the manifest of a batch the pipeline writes itself (its governance records, an import):
// every record valid, nothing read from a file. Kept apart from manifest.ts, whose schemas only the
// readers of manifests need: a function that writes such batches builds none of them.
import type { BatchManifest, WrittenObject } from './manifest';

/** A batch of records that was not read from a file: the pipeline's own records, all valid. */
export interface RecordBatch {
  readonly dataset: string;
  readonly batchId: string;
  /** What identifies the records (the batch's identity): equal for the same records. */
  readonly contentSha256: string;
  readonly ingestedAt: number;
  readonly codeVersion: string;
  /** Its raw objects, one per event hour, with the UTC day each belongs to. */
  readonly objects: readonly (WrittenObject & { readonly date: string })[];
  /** Rows left out as invalid (an import's). @default 0 */
  readonly quarantined?: number;
}

/** The manifest of a {@link RecordBatch}: ingested, every record valid (or counted as quarantined). */
export function recordBatchManifest(batch: RecordBatch): BatchManifest {
  const valid = batch.objects.reduce((n, o) => n + o.records, 0);
  const quarantined = batch.quarantined ?? 0;
  const times = batch.objects.flatMap((o) => [o.minEventTime, o.maxEventTime]).filter((t): t is number => t !== null);
  const days = new Map<string, number>();
  for (const object of batch.objects) days.set(object.date, (days.get(object.date) ?? 0) + object.records);
  return {
    manifestVersion: 2,
    batchId: batch.batchId,
    dataset: batch.dataset,
    connector: 'pipeline',
    outcome: 'ingested',
    problem: null,
    declarationVersion: null,
    replayOf: [],
    contentSha256: batch.contentSha256,
    replaces: null,
    ingestedAt: batch.ingestedAt,
    completedAt: batch.ingestedAt,
    attempt: 1,
    codeVersion: batch.codeVersion,
    // No declaration mapped these records: the pipeline wrote them in the dataset's shape.
    declarationSha256: '',
    sources: [],
    counts: {
      read: valid + quarantined,
      valid,
      quarantined,
      duplicate: 0,
      quarantinedByReason: quarantined ? { invalid_value: quarantined } : {},
    },
    warnings: [],
    newestEventTime: times.length > 0 ? Math.max(...times) : null,
    oldestEventTime: times.length > 0 ? Math.min(...times) : null,
    latePartitions: [],
    days: [...days].map(([date, records]) => ({ date, snapshotVersion: 0, records, duplicates: 0, keysKey: null })),
    objects: batch.objects.map(({ date: _date, ...object }) => object),
  };
}

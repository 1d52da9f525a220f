// Adapter (local files): a RecordSource over dataset declarations and their files.
import { randomBytes } from 'node:crypto';
import { columnarReading } from '../../domain/dataset/columnar';
import { declaredFieldsOf } from '../../domain/dataset/declared-fields';
import type { DatasetFields } from '../../domain/definition/check-fields';
import { ValidationError } from '../../domain/errors';
import { DayKeyFilter, KeyEncoder } from '../../domain/ingest/key-table';
import type { DatasetBatches, DatasetReadReport, RecordSource, SourceBatch } from '../../ports/record-source';
import {
  type LoadedDataset,
  type ReadDatasetFilesOptions,
  readDatasetFiles,
  resolveDatasetFiles,
} from './dataset-files';

/**
 * Reads datasets from the files their declarations name, or from `overrides` (dataset id → paths or
 * globs, relative to the working folder). `readOptions` tune the reads: NDJSON records come as
 * columns unless `columns` is false (objects only: the path the columns are checked against).
 */
export function fileRecordSource(
  catalog: ReadonlyMap<string, LoadedDataset>,
  overrides: ReadonlyMap<string, readonly string[]> = new Map(),
  now?: number,
  readOptions: Pick<ReadDatasetFilesOptions, 'batchRows' | 'chunkBytes'> & { readonly columns?: boolean } = {},
): RecordSource {
  return {
    read(dataset: string): DatasetBatches {
      const loaded = catalog.get(dataset);
      if (loaded === undefined) throw new ValidationError(`dataset ${dataset} is not declared`);
      let report: DatasetReadReport | undefined;
      async function* batches(): AsyncGenerator<SourceBatch> {
        const files = await resolveDatasetFiles(loaded as LoadedDataset, overrides.get(dataset));
        const patterns = overrides.get(dataset);
        const { columns = true, ...options } = readOptions;
        const read = readDatasetFiles(loaded as LoadedDataset, files, {
          ...(columns ? { columns: columnarReading } : {}),
          ...options,
          ...(now === undefined ? {} : { now }),
          ...(patterns?.length ? { patterns } : {}),
        });
        // A keyed dataset counts a key once per day of event time, as ingestion does.
        const unique = keyFilter(loaded as LoadedDataset);
        for await (const batch of read) {
          if (!unique) yield batch;
          else if (batch.columns) {
            yield unique.keepColumns(batch.columns).recordBatch({ quarantined: batch.quarantined });
          } else yield { ...batch, records: unique.keep(batch.records) };
        }
        const summaries = read.summaries();
        const byReason: Record<string, number> = {};
        let total = 0;
        let valid = 0;
        let quarantined = 0;
        for (const summary of summaries) {
          total += summary.counts.read;
          valid += summary.counts.valid;
          quarantined += summary.counts.quarantined;
          for (const [reason, count] of Object.entries(summary.counts.quarantinedByReason)) {
            byReason[reason] = (byReason[reason] ?? 0) + count;
          }
        }
        const duplicates = unique?.duplicates ?? 0;
        report = {
          dataset,
          inputs: summaries.map((s) => s.file),
          counts: { read: total, valid: valid - duplicates, quarantined, quarantinedByReason: byReason },
          duplicates,
          warnings: summaries.flatMap((summary) => summary.warnings),
        };
      }
      return {
        [Symbol.asyncIterator]: () => batches(),
        report: () => {
          if (report === undefined) throw new Error(`dataset ${dataset} has not been read yet`);
          return report;
        },
      };
    },
  };
}

/**
 * Drops records whose key was seen before on the same day of event time (UTC, as ingestion counts
 * days); counts them. The sets live only as long as the read, so they hold the key values
 * themselves, exactly (see key-table.ts), rather than the SHA-256 of stored key indexes: the same
 * verdicts at a fraction of the cost.
 */
function keyFilter(loaded: LoadedDataset): DayKeyFilter | null {
  const fields = loaded.declaration.key;
  if (!fields) return null;
  const secret = randomBytes(16);
  return new DayKeyFilter(new KeyEncoder(fields, secret), secret, loaded.dataset.eventTimeField);
}

/**
 * The fields of a declared dataset's records, with their kinds: declared, constants and derived;
 * with their values where they are known (an `enum`, a text constant).
 */
export function datasetFieldsOf(loaded: Pick<LoadedDataset, 'declaration'>): DatasetFields {
  return declaredFieldsOf(loaded.declaration);
}

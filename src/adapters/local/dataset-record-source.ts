// Adapter (local files): a RecordSource over dataset declarations and their files.
import type { DatasetFields, FieldKind } from '../../domain/definition/check-fields';
import { ValidationError } from '../../domain/errors';
import type { DatasetBatches, DatasetReadReport, RecordSource, SourceBatch } from '../../ports/record-source';
import { type LoadedDataset, readDatasetFiles, resolveDatasetFiles } from './dataset-files';

/**
 * Reads datasets from the files their declarations name, or from `overrides` (dataset id → paths or
 * globs, relative to the working folder).
 */
export function fileRecordSource(
  catalog: ReadonlyMap<string, LoadedDataset>,
  overrides: ReadonlyMap<string, readonly string[]> = new Map(),
  now?: number,
): RecordSource {
  return {
    read(dataset: string): DatasetBatches {
      const loaded = catalog.get(dataset);
      if (loaded === undefined) throw new ValidationError(`dataset ${dataset} is not declared`);
      let report: DatasetReadReport | undefined;
      async function* batches(): AsyncGenerator<SourceBatch> {
        const files = await resolveDatasetFiles(loaded as LoadedDataset, overrides.get(dataset));
        const read = readDatasetFiles(loaded as LoadedDataset, files, now === undefined ? {} : { now });
        for await (const batch of read) yield batch;
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
        report = {
          dataset,
          inputs: summaries.map((s) => s.file),
          counts: { read: total, valid, quarantined, quarantinedByReason: byReason },
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

/** The fields of a declared dataset's records, with their kinds: declared, constants and derived. */
export function datasetFieldsOf(loaded: LoadedDataset): DatasetFields {
  const fields: Record<string, FieldKind> = {};
  const declaration = loaded.declaration;
  for (const [name, field] of Object.entries(declaration.fields)) fields[name] = field.type;
  for (const [name, value] of Object.entries(declaration.constants ?? {})) {
    fields[name] =
      value === null
        ? 'unknown'
        : typeof value === 'string'
          ? 'string'
          : typeof value === 'number'
            ? 'number'
            : 'boolean';
  }
  for (const [name, derived] of Object.entries(declaration.derived ?? {})) {
    fields[name] =
      derived.kind === 'equals' || derived.kind === 'in' ? 'boolean' : derived.kind === 'concat' ? 'string' : 'unknown';
  }
  return fields;
}

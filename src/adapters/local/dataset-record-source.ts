// Adapter (local files): a RecordSource over dataset declarations and their files.
import { randomBytes } from 'node:crypto';
import { declaredFieldsOf } from '../../domain/dataset/declared-fields';
import type { DatasetFields } from '../../domain/definition/check-fields';
import { ValidationError } from '../../domain/errors';
import { RecordKeyHasher } from '../../domain/ingest/key-hash';
import { KeySet } from '../../domain/ingest/key-set';
import type { TypedRecord } from '../../domain/records';
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
        const patterns = overrides.get(dataset);
        const read = readDatasetFiles(loaded as LoadedDataset, files, {
          ...(now === undefined ? {} : { now }),
          ...(patterns?.length ? { patterns } : {}),
        });
        // A keyed dataset counts a key once per day of event time, as ingestion does.
        const unique = keyFilter(loaded as LoadedDataset);
        for await (const batch of read) yield unique ? { ...batch, records: unique.keep(batch.records) } : batch;
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
 * days); counts them. The set lives only as long as the read, so its keys are hashed with a keyed
 * hash under a key drawn for this read (see key-hash.ts) rather than the SHA-256 of stored key
 * indexes: the same verdicts at a fraction of the cost.
 */
function keyFilter(
  loaded: LoadedDataset,
): { keep(records: readonly TypedRecord[]): TypedRecord[]; duplicates: number } | null {
  const fields = loaded.declaration.key;
  if (!fields) return null;
  const days = new Map<number, KeySet>();
  const eventTime = loaded.dataset.eventTimeField;
  const hasher = new RecordKeyHasher(fields, randomBytes(16));
  const words = new Uint32Array(4);
  const hash = new Uint8Array(words.buffer);
  let currentDay = Number.NaN;
  let currentKeys: KeySet | undefined;
  const filter = {
    duplicates: 0,
    keep(records: readonly TypedRecord[]): TypedRecord[] {
      const kept: TypedRecord[] = [];
      for (const record of records) {
        const day = Math.floor((record[eventTime] as number) / DAY_MILLIS);
        let keys = day === currentDay ? currentKeys : days.get(day);
        if (!keys) {
          // Sized for a quarter more keys than the day before had (days of one source are alike in
          // size), so that a day somewhat larger does not grow its table, copying every key.
          keys = new KeySet(Math.ceil((currentKeys?.size ?? 0) * 1.25));
          days.set(day, keys);
        }
        currentDay = day;
        currentKeys = keys;
        hasher.hash(record, words);
        if (keys.add(hash)) kept.push(record);
        else filter.duplicates += 1;
      }
      return kept;
    },
  };
  return filter;
}

const DAY_MILLIS = 86_400_000;

/**
 * The fields of a declared dataset's records, with their kinds: declared, constants and derived;
 * with their values where they are known (an `enum`, a text constant).
 */
export function datasetFieldsOf(loaded: Pick<LoadedDataset, 'declaration'>): DatasetFields {
  return declaredFieldsOf(loaded.declaration);
}

// Adapter (local files): a RecordSource over dataset declarations and their files.
import { randomBytes } from 'node:crypto';
import { type ColumnBatch, ColumnKind, NULL_CODE, withColumns } from '../../domain/dataset/columns';
import { declaredFieldsOf } from '../../domain/dataset/declared-fields';
import type { DatasetFields } from '../../domain/definition/check-fields';
import { ValidationError } from '../../domain/errors';
import { ExactKeySet, KEY_FIELD_WORDS, KeyEncoder, keyMultipliers } from '../../domain/ingest/key-table';
import type { TypedRecord } from '../../domain/records';
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
  readOptions: Pick<ReadDatasetFilesOptions, 'columns' | 'batchRows' | 'chunkBytes'> = {},
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
          columns: true,
          ...readOptions,
          ...(now === undefined ? {} : { now }),
          ...(patterns?.length ? { patterns } : {}),
        });
        // A keyed dataset counts a key once per day of event time, as ingestion does.
        const unique = keyFilter(loaded as LoadedDataset);
        for await (const batch of read) {
          if (!unique) yield batch;
          else if (batch.columns) {
            yield withColumns({ quarantined: batch.quarantined }, unique.keepColumns(batch.columns));
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
function keyFilter(loaded: LoadedDataset): KeyFilter | null {
  const fields = loaded.declaration.key;
  if (!fields) return null;
  const secret = randomBytes(16);
  return new KeyFilter(
    new KeyEncoder(fields, secret),
    keyMultipliers(fields.length * KEY_FIELD_WORDS, secret),
    loaded.dataset.eventTimeField,
  );
}

class KeyFilter {
  duplicates = 0;
  private readonly days = new Map<number, ExactKeySet>();
  private readonly key: Int32Array;
  /** The keys of a batch of columns, `encoder.width` words a row. */
  private keys = new Int32Array(0);
  private currentDay = Number.NaN;
  private currentKeys: ExactKeySet | undefined;

  constructor(
    private readonly encoder: KeyEncoder,
    private readonly multipliers: Int32Array,
    private readonly eventTime: string,
  ) {
    this.key = new Int32Array(encoder.width);
  }

  keep(records: readonly TypedRecord[]): TypedRecord[] {
    const kept: TypedRecord[] = [];
    for (const record of records) {
      this.encoder.record(record, this.key);
      if (this.daySet(record[this.eventTime] as number).add(this.key)) kept.push(record);
      else this.duplicates += 1;
    }
    return kept;
  }

  /** The rows of `columns` to keep: the same batch when all are, else a batch of those. */
  keepColumns(columns: ColumnBatch): ColumnBatch {
    const width = this.encoder.width;
    // The keys of the whole batch, row after row, written field by field (a tight loop a column).
    if (this.keys.length < columns.length * width) this.keys = new Int32Array(columns.length * width);
    const keys = this.keys;
    const fields = this.encoder.fields;
    for (let k = 0; k < fields.length; k++) this.encodeColumn(columns, fields[k] as string, keys, k * KEY_FIELD_WORDS);
    const times = columns.numbers[columns.layout.eventTime] as Float64Array;
    const keep = new Uint8Array(columns.length);
    let dropped = 0;
    for (let row = 0; row < columns.length; row++) {
      if (this.daySet(times[row] as number).add(keys, row * width)) keep[row] = 1;
      else dropped += 1;
    }
    this.duplicates += dropped;
    return dropped === 0 ? columns : columns.select(keep);
  }

  /** Writes the words of key field `field` of every row of `columns` at `offset` of each row's key in `keys`. */
  private encodeColumn(columns: ColumnBatch, field: string, keys: Int32Array, offset: number): void {
    const encoder = this.encoder;
    const width = encoder.width;
    const f = columns.layout.fields.indexOf(field);
    const numbers = f < 0 ? null : (columns.numbers[f] ?? null);
    const codes = f < 0 ? null : (columns.codes[f] ?? null);
    const boolean = columns.layout.kinds[f] === ColumnKind.Boolean;
    const texts = columns.texts.texts;
    // The key code of each text of the batch, found once per batch (-2: not yet, -1: hashed).
    const keyCodes = new Int32Array(texts.length).fill(-2);
    for (let row = 0, at = offset; row < columns.length; row++, at += width) {
      if (numbers) {
        encoder.number(numbers[row] as number, keys, at);
        continue;
      }
      const code = codes === null ? NULL_CODE : (codes[row] as number);
      if (code === NULL_CODE || boolean) {
        encoder.value(code === NULL_CODE ? null : code === 1, keys, at);
        continue;
      }
      let keyCode = keyCodes[code] as number;
      if (keyCode === -2) {
        keyCode = encoder.codeOf(texts[code] as string);
        keyCodes[code] = keyCode;
      }
      if (keyCode >= 0) encoder.coded(keyCode, keys, at);
      else encoder.text(texts[code] as string, keys, at);
    }
  }

  /** The keys of the day of `time` (UTC). */
  private daySet(time: number): ExactKeySet {
    const day = Math.floor(time / DAY_MILLIS);
    if (day === this.currentDay) return this.currentKeys as ExactKeySet;
    let keys = this.days.get(day);
    if (!keys) {
      // Sized for a quarter more keys than the day before had (days of one source are alike in
      // size), so that a day somewhat larger does not grow its table, copying every key.
      keys = new ExactKeySet(this.encoder.width, this.multipliers, Math.ceil((this.currentKeys?.size ?? 0) * 1.25));
      this.days.set(day, keys);
    }
    this.currentDay = day;
    this.currentKeys = keys;
    return keys;
  }
}

const DAY_MILLIS = 86_400_000;

/**
 * The fields of a declared dataset's records, with their kinds: declared, constants and derived;
 * with their values where they are known (an `enum`, a text constant).
 */
export function datasetFieldsOf(loaded: Pick<LoadedDataset, 'declaration'>): DatasetFields {
  return declaredFieldsOf(loaded.declaration);
}

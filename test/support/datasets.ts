// Test support: small dataset declarations and a reader that collects everything it yields.
import { gzipSync } from 'node:zlib';
import {
  type CompiledDataset,
  type DatasetDeclarationInput,
  loadDataset,
  type ReadOptions,
  type ReadSummary,
  readDataset,
} from '../../src/domain/dataset';
import type { QuarantinedRow, TypedRecord } from '../../src/domain/records';

/** A declaration with the required top-level keys filled in; `overrides` replace whole keys. */
export function declare(overrides: Partial<DatasetDeclarationInput> & Pick<DatasetDeclarationInput, 'fields'>) {
  return loadDataset(
    {
      id: 'events',
      description: 'test events',
      owner: 'tests@example.com',
      format: { type: 'csv' },
      eventTime: 'at',
      ...overrides,
    },
    'test.yaml',
  );
}

/** Splits bytes into chunks of `size` (or of the given sizes, cycled), as a stream would deliver them. */
export async function* chunked(
  bytes: Uint8Array,
  size: number | readonly number[] = 1 << 16,
): AsyncGenerator<Uint8Array> {
  const sizes = typeof size === 'number' ? [size] : size;
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] as number);
    yield bytes.slice(at, at + n);
    at += n;
  }
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const gzip = (text: string | Uint8Array): Uint8Array =>
  new Uint8Array(gzipSync(typeof text === 'string' ? utf8(text) : text));

export interface ReadResult {
  readonly records: TypedRecord[];
  readonly quarantined: QuarantinedRow[];
  readonly summary: ReadSummary;
  readonly batches: number;
  /** Records and quarantined rows of each batch, in order. */
  readonly sizes: [number, number][];
}

/** Reads everything; rethrows what the reader throws. */
export async function readAll(
  dataset: CompiledDataset,
  input: string | Uint8Array,
  options: ReadOptions & { chunk?: number | readonly number[] } = {},
): Promise<ReadResult> {
  const bytes = typeof input === 'string' ? utf8(input) : input;
  const read = readDataset(dataset, chunked(bytes, options.chunk), { source: 'test://source', file: 'input' }, options);
  const records: TypedRecord[] = [];
  const quarantined: QuarantinedRow[] = [];
  let batches = 0;
  const sizes: [number, number][] = [];
  for await (const batch of read) {
    batches += 1;
    sizes.push([batch.records.length, batch.quarantined.length]);
    records.push(...batch.records);
    quarantined.push(...batch.quarantined);
  }
  return { records, quarantined, summary: read.summary(), batches, sizes };
}

/** The reason codes of quarantined rows, via the summary counts. */
export function reasonCounts(result: ReadResult): Record<string, number> {
  return { ...result.summary.counts.quarantinedByReason };
}

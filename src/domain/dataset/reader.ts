// Domain: the streaming dataset reader. Bytes in (any chunking, gzip or not), batches of typed
// records and quarantined rows out. Pure: no I/O, no clock; the caller supplies the bytes and, if
// it wants future event times rejected, the read time. Every row read ends up valid or
// quarantined with a reason (counts reconcile); only a file that cannot be read at all throws.
// How the input is cut into chunks changes nothing: not a row, not a count, not a batch boundary.
// The formats live in read/: csv.ts, ndjson.ts, json-array.ts; the bytes under them in input.ts.
import type { ReadCounts } from '../records';
import type { ColumnarReading } from './columnar';
import type { DatasetFormat } from './declaration';
import { UnreadableInputError } from './errors';
import type { CompiledDataset } from './mapping';
import { CsvParser } from './read/csv';
import {
  type ByteProgress,
  checkEncoding,
  concatBytes,
  decompressed,
  ENCODING_SAMPLE_BYTES,
  type Gunzip,
  webGunzip,
} from './read/input';
import { JsonArrayParser } from './read/json-array';
import { NdjsonParser } from './read/ndjson';
import {
  type FailRead,
  type FormatParser,
  type ReadOrigin,
  type ReadWarning,
  type RecordBatch,
  RowSink,
} from './read/sink';
import type { FileReasonCode } from './reasons';

export type { Gunzip, ReadOrigin, ReadWarning, RecordBatch };
export { webGunzip };

export interface ReadOptions {
  /** Read time, epoch ms. When given, event times beyond `eventTime.maxFutureMinutes` after it are quarantined. */
  readonly now?: number;
  /** Reads with this format instead of the declared one (e.g. NDJSON posted to the telemetry endpoint). */
  readonly format?: DatasetFormat;
  /** Longest raw text kept in a quarantined row; longer text is cut with a marker. @default 65536 */
  readonly maxRawChars?: number;
  /**
   * Decompresses gzip. The default uses the web DecompressionStream, which reads one gzip member;
   * adapters pass Node's zlib (`nodeGunzip`), which also reads files of several members and is faster.
   */
  readonly gunzip?: Gunzip;
  /**
   * Rows (valid or not) gathered before a batch is yielded. Small batches die young: on a first pass
   * over a large file 1024 costs far less garbage collection than 8192. @default 1024
   */
  readonly batchRows?: number;
  /**
   * Characters of row text gathered before a batch is yielded, whichever of this and `batchRows`
   * comes first, so that a batch of long rows stays small in memory. A row longer than this is a
   * batch of its own. @default 4194304 (4 MiB)
   */
  readonly batchBytes?: number;
  /**
   * Largest number of bytes the file may hold once decompressed (for a plain file, its size). The
   * read stops as soon as it crosses it, without inflating further, and throws
   * `UnreadableInputError` with code `too_large`: the guard against a decompression bomb.
   * @default no limit
   */
  readonly maxExpandedBytes?: number;
  /** Largest number of rows (valid or not) the file may have; crossing it throws like `maxExpandedBytes`. @default no limit */
  readonly maxRows?: number;
  /**
   * The columnar path (`columnarReading` of columnar.ts), when NDJSON records that take the fast
   * path may be delivered as columns (`RecordBatch.columns`, with `records` made from them when
   * first read): for consumers that read the columns (the KPI engine). A consumer of `records` only
   * would pay for both. Passed in rather than imported here, so that readers of records only do
   * not carry its code. @default none: records only
   */
  readonly columns?: ColumnarReading;
  /**
   * Sees every decompressed byte the reader parses, exactly once and in order (e.g. to hash the
   * content whatever its compression). Called before the bytes are parsed.
   */
  readonly onDecompressed?: (chunk: Uint8Array) => void;
}

/** Totals of a read, available while and after iterating. */
export interface ReadSummary {
  readonly counts: ReadCounts;
  /** Newest and oldest event time among valid records, epoch ms; null when there were none. */
  readonly newestEventTime: number | null;
  readonly oldestEventTime: number | null;
  /** Bytes as received (compressed, if the input was). */
  readonly bytesRead: number;
  /** Bytes after decompression (equal to `bytesRead` for a plain file). */
  readonly expandedBytes: number;
  readonly compressed: boolean;
  /**
   * What the file's owner should hear of although no row failed for it: an optional column gone
   * (a likely rename), rows ending some with CR and some with LF. See `READ_WARNINGS`.
   */
  readonly warnings: ReadWarning[];
}

/** A read in progress: iterate it for batches, then ask for its summary. */
export interface DatasetRead extends AsyncIterable<RecordBatch> {
  summary(): ReadSummary;
}

const DEFAULT_MAX_RAW = 64 * 1024;
const DEFAULT_BATCH_ROWS = 1024;
const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Reads a dataset from bytes: CSV, NDJSON or a JSON array, gzip detected by its signature, UTF-8
 * (BOM skipped) or Latin-1, lines ending with LF, CRLF or CR. Yields a batch every `batchRows` rows
 * or `batchBytes` characters of rows, whichever comes first, and at the end.
 *
 * Unless the input is gzip or `onDecompressed` is given, the reader is done with a chunk of
 * `input` (it copies what it keeps) before it asks for the next, so an input may read each chunk
 * into the same buffer.
 *
 * Rows that fail become `QuarantinedRow`s with a reason; `summary().counts` always satisfy
 * `read = valid + quarantined`. An input that cannot be read at all (empty, corrupt gzip, UTF-16,
 * a header without the required columns, a JSON file that is not an array, over a limit) throws
 * `UnreadableInputError` with a `FILE_REASONS` code; rows yielded before it (a gzip cut off near
 * its end) belong to a file that must be quarantined whole.
 *
 * @example
 * const read = readDataset(compileDataset(declaration), chunks, { source: 's3://b/k', file: 'k' });
 * for await (const { records, quarantined } of read) { ... }
 * const { counts, warnings } = read.summary();
 */
export function readDataset(
  dataset: CompiledDataset,
  input: AsyncIterable<Uint8Array>,
  origin: ReadOrigin,
  options: ReadOptions = {},
): DatasetRead {
  const format = options.format ?? dataset.declaration.format;
  const progress: ReadProgress = { bytes: { bytesRead: 0, compressed: false }, expanded: 0 };
  const fail: FailRead = (code: FileReasonCode, message: string, cause?: unknown): never => {
    throw new UnreadableInputError(code, message, sink.counts(), { cause, location: origin.file });
  };
  const sink = new RowSink(
    dataset,
    origin,
    {
      batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
      batchBytes: options.batchBytes ?? DEFAULT_BATCH_BYTES,
      maxRows: options.maxRows ?? Number.POSITIVE_INFINITY,
      maxRawChars: options.maxRawChars ?? DEFAULT_MAX_RAW,
    },
    fail,
    () => describeProgress(progress),
  );
  const parser = formatParser(dataset, format, sink, options, fail, origin.file);
  return {
    [Symbol.asyncIterator]: () => readBatches(input, format, parser, sink, progress, options, fail),
    summary: () => ({
      counts: sink.counts(),
      newestEventTime: sink.valid > 0 ? sink.newest : null,
      oldestEventTime: sink.valid > 0 ? sink.oldest : null,
      bytesRead: progress.bytes.bytesRead,
      expandedBytes: progress.expanded,
      compressed: progress.bytes.compressed,
      warnings: [...sink.warnings],
    }),
  };
}

/** How far a read has got: bytes received, and bytes once decompressed. */
interface ReadProgress {
  readonly bytes: ByteProgress;
  expanded: number;
}

function describeProgress({ bytes, expanded }: ReadProgress): string {
  return `after ${expanded} bytes${bytes.compressed ? ` (${bytes.bytesRead} compressed bytes read)` : ''}`;
}

function formatParser(
  dataset: CompiledDataset,
  format: DatasetFormat,
  sink: RowSink,
  options: ReadOptions,
  fail: FailRead,
  file: string,
): FormatParser {
  const now = options.now;
  switch (format.type) {
    case 'csv':
      return new CsvParser(dataset, sink, format, format.maxRowBytes, now, fail, file);
    case 'ndjson':
      return options.columns
        ? options.columns.ndjsonParser(dataset, sink, format.maxRowBytes, now, file, format.encoding)
        : new NdjsonParser(dataset, sink, format.maxRowBytes, now, file);
    default:
      return new JsonArrayParser(dataset, sink, format.maxRowBytes, now, fail, file);
  }
}

/** Decompresses, checks the encoding, decodes and parses `input`, yielding the batches the sink closes. */
async function* readBatches(
  input: AsyncIterable<Uint8Array>,
  format: DatasetFormat,
  parser: FormatParser,
  sink: RowSink,
  progress: ReadProgress,
  options: ReadOptions,
  fail: FailRead,
): AsyncGenerator<RecordBatch> {
  const maxExpanded = options.maxExpandedBytes ?? Number.POSITIVE_INFINITY;
  const decoder = new TextDecoder(format.encoding === 'latin1' ? 'latin1' : 'utf-8');
  const bytes = parser.readsBytes === true;
  const parse = (chunk: Uint8Array) => {
    if (bytes) {
      (parser as Required<FormatParser>).feedBytes(chunk, false);
      return;
    }
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) parser.feed(text, false);
  };
  // The encoding is judged on the first 4 KiB, gathered whatever the chunking.
  let head: Uint8Array[] | null = [];
  let headSize = 0;
  for await (const chunk of decompressed(input, format, progress.bytes, options.gunzip ?? webGunzip, fail)) {
    if (chunk.byteLength === 0) continue;
    progress.expanded += chunk.byteLength;
    if (progress.expanded > maxExpanded) {
      fail(
        'too_large',
        `the file holds more than ${maxExpanded} bytes once decompressed; reading stopped ${describeProgress(progress)} and ${sink.read} rows. Split the file, or raise the limit`,
      );
    }
    options.onDecompressed?.(chunk);
    if (head) {
      // A copy: the input may read its next chunk into the same buffer (see `readDataset`).
      head.push(chunk.slice());
      headSize += chunk.byteLength;
      if (headSize < ENCODING_SAMPLE_BYTES) continue;
      const joined = concatBytes(head);
      head = null;
      checkEncoding(joined, format, fail);
      parse(joined);
    } else parse(chunk);
    yield* sink.drain();
  }
  if (head) {
    if (headSize === 0) fail('empty_file', 'the file decompresses to nothing (0 bytes): was the export interrupted?');
    const joined = concatBytes(head);
    checkEncoding(joined, format, fail);
    parse(joined);
  }
  if (bytes) (parser as Required<FormatParser>).feedBytes(new Uint8Array(0), true);
  else parser.feed(decoder.decode(), true);
  sink.flush();
  yield* sink.drain();
}

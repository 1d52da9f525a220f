// Use case support, first step of a batch: read every part of the input once, to scratch runs. The
// valid records go to hour lanes (HourRuns), the quarantined rows to a lane of their own, and the
// content is hashed as it streams by: the hash is the batch's identity, known before anything is
// written to the stores. Limits stop a decompression bomb or a file too slow to read in one run,
// once, with a `too_large` outcome that is never retried.
import { createHash } from 'node:crypto';
import {
  type CompiledDataset,
  type DatasetFormat,
  type Gunzip,
  type ReadOrigin,
  type RecordBatch,
  readDataset,
  UnreadableInputError,
} from '../../domain/dataset';
import { KEY_BYTES, keyTextOf } from '../../domain/ingest/key-set';
import type { ReadWarning, SourceInput } from '../../domain/ingest/manifest';
import type { QuarantinedRow, ReadCounts } from '../../domain/records';
import type { Clock } from '../../ports/clock';
import type { SpillStore } from '../../ports/spill-store';
import { HourRuns } from './hour-runs';

const HOUR = 3_600_000;

/** One input of a batch: a file, a page, a request body. */
export interface IngestPart {
  readonly origin: ReadOrigin;
  readonly bytes: AsyncIterable<Uint8Array>;
  /** Reads with this format instead of the declared one (API pages are turned into NDJSON). */
  readonly format?: DatasetFormat;
  /** Recorded in the manifest. */
  readonly uri: string;
  readonly version?: string;
  /** Gives a quarantined row back where it came from (a replay reads rows gathered from several places). */
  readonly relocate?: (row: QuarantinedRow) => QuarantinedRow;
}

export interface ReadInputOptions {
  readonly dataset: CompiledDataset;
  readonly parts: AsyncIterable<IngestPart> | Iterable<IngestPart>;
  /** The read time: event times too far after it are quarantined. Stable per input (e.g. the file's upload time). */
  readonly readTime: number;
  readonly spill: SpillStore;
  /** Bytes of records held in memory before they are spilled. */
  readonly budgetBytes: number;
  readonly clock: Clock;
  /** Reading stops here; what happens then is the caller's choice (`too_large` or try again later). */
  readonly readDeadline: number;
  readonly gunzip?: Gunzip;
  /** Sees each batch of records as it is read. */
  readonly observe?: (batch: RecordBatch) => void;
  /** First problems kept for a rejected batch. */
  readonly maxProblems: number;
}

/** Why reading stopped before the end. */
export type ReadFailure =
  | { readonly kind: 'unreadable'; readonly error: UnreadableInputError }
  | { readonly kind: 'too_large'; readonly code: 'too_large'; readonly reason: string }
  | { readonly kind: 'out_of_time'; readonly reason: string };

export interface ReadInput {
  /** SHA-256 over each part's decompressed content's SHA-256, in order: the batch's identity. */
  readonly contentSha256: string;
  readonly sources: SourceInput[];
  readonly counts: ReadCounts;
  readonly newestEventTime: number | null;
  readonly oldestEventTime: number | null;
  readonly bytesRead: number;
  /** Valid records, one lane per event hour (its start, epoch ms), as NDJSON lines. */
  readonly records: HourRuns;
  /** Quarantined rows as NDJSON lines, lane 0. */
  readonly quarantined: HourRuns;
  /** First problems, as `line N (field): reason`. */
  readonly problems: string[];
  /** File-level warnings of the reader (a missing or renamed optional column), each part's in order. */
  readonly warnings: ReadWarning[];
  readonly failure: ReadFailure | null;
  readonly startedAt: number;
}

const NO_COUNTS: ReadCounts = { read: 0, valid: 0, quarantined: 0, quarantinedByReason: {} };

/** Reads the parts into scratch runs. Errors other than an unreadable input are thrown (the caller disposes nothing yet). */
export async function readInput(options: ReadInputOptions): Promise<ReadInput> {
  const reader = new InputReader(options);
  try {
    for await (const part of options.parts) {
      if (!(await reader.readPart(part))) break;
    }
  } catch (error) {
    await reader.records.dispose();
    await reader.quarantined.dispose();
    throw error;
  }
  return reader.result();
}

/** The input read so far: its scratch runs, the hash of its content and what the parts' readers said. */
class InputReader {
  readonly records: HourRuns;
  readonly quarantined: HourRuns;
  private readonly startedAt: number;
  private readonly limits: { readonly maxBytes: number; readonly maxRows: number };
  private readonly content = createHash('sha256');
  private readonly sources: SourceInput[] = [];
  private readonly problems: string[] = [];
  private readonly warnings: ReadWarning[] = [];
  private counts = NO_COUNTS;
  private newest: number | null = null;
  private oldest: number | null = null;
  private bytesRead = 0;
  /** Bytes the parts read so far expanded to, against `maxBytes`. */
  private expanded = 0;
  private failure: ReadFailure | null = null;

  constructor(private readonly options: ReadInputOptions) {
    const { dataset } = options;
    this.startedAt = options.clock.now();
    this.limits = dataset.declaration.ingestion?.limits ?? {
      maxBytes: Number.POSITIVE_INFINITY,
      maxRows: Number.POSITIVE_INFINITY,
    };
    this.records = new HourRuns(options.spill, options.budgetBytes, dataset.declaration.key !== undefined);
    this.quarantined = new HourRuns(options.spill, Math.max(1024 * 1024, options.budgetBytes / 8), false);
  }

  /** Reads one part; false once the input failed, and nothing more is read. */
  async readPart(part: IngestPart): Promise<boolean> {
    const { options, limits } = this;
    // The bytes as received are hashed for lineage; the content, once decompressed, for identity:
    // the same rows plain or gzipped (at any level) are one batch.
    const hash = createHash('sha256');
    const decompressed = createHash('sha256');
    const received = { bytes: 0 };
    const read = readDataset(
      options.dataset,
      tapped(part.bytes, (chunk) => {
        hash.update(chunk);
        received.bytes += chunk.byteLength;
      }),
      part.origin,
      {
        now: options.readTime,
        ...(part.format ? { format: part.format } : {}),
        ...(options.gunzip ? { gunzip: options.gunzip } : {}),
        // A decompression bomb stops at the limit, not at the end of its expansion.
        maxExpandedBytes: limits.maxBytes - this.expanded,
        maxRows: limits.maxRows - this.counts.read,
        onDecompressed: (chunk) => decompressed.update(chunk),
      },
    );
    this.failure = await this.gather(read, part, received);
    this.content.update(`${decompressed.digest('hex')}\n`);
    this.sources.push({
      uri: part.uri,
      ...(part.version ? { version: part.version } : {}),
      bytes: received.bytes,
      sha256: hash.digest('hex'),
    });
    this.bytesRead += received.bytes;
    if (this.failure) return false;
    this.accountFor(read.summary());
    return true;
  }

  /** The part's records into hour lanes, its invalid rows into quarantine; the failure that stopped it, if one did. */
  private async gather(
    read: ReturnType<typeof readDataset>,
    part: IngestPart,
    received: { readonly bytes: number },
  ): Promise<ReadFailure | null> {
    const { options, records, quarantined, problems } = this;
    const eventTimeField = options.dataset.eventTimeField;
    const keyFields = options.dataset.declaration.key;
    let rows = this.counts.read;
    try {
      for await (const batch of read) {
        options.observe?.(batch);
        rows += batch.records.length + batch.quarantined.length;
        for (const record of batch.records) {
          const time = record[eventTimeField] as number;
          await records.add(
            Math.floor(time / HOUR) * HOUR,
            JSON.stringify(record),
            time,
            keyFields
              ? createHash('sha256').update(keyTextOf(record, keyFields)).digest().subarray(0, KEY_BYTES)
              : undefined,
          );
        }
        for (const read of batch.quarantined) {
          const row = part.relocate ? part.relocate(read) : read;
          if (problems.length < options.maxProblems) problems.push(describeProblem(row));
          await quarantined.add(0, JSON.stringify(row), 0);
        }
        if (options.clock.now() > options.readDeadline) {
          throw new OutOfTimeError(
            `reading stopped at the run's time limit after ${rows} rows and ${this.bytesRead + received.bytes} bytes`,
          );
        }
      }
      return null;
    } catch (error) {
      return this.failureOf(error);
    }
  }

  private failureOf(error: unknown): ReadFailure {
    const { limits } = this;
    if (error instanceof UnreadableInputError && error.code === 'too_large') {
      const reason = `${error.reason} (ingestion.limits of ${this.options.dataset.id}: maxBytes ${limits.maxBytes}, maxRows ${limits.maxRows})`;
      return { kind: 'too_large', code: 'too_large', reason };
    }
    if (error instanceof UnreadableInputError) return { kind: 'unreadable', error };
    if (error instanceof OutOfTimeError) return { kind: 'out_of_time', reason: error.message };
    throw error;
  }

  private accountFor(summary: ReturnType<ReturnType<typeof readDataset>['summary']>): void {
    this.warnings.push(...summary.warnings);
    this.expanded += summary.expandedBytes;
    this.counts = addCounts(this.counts, summary.counts);
    if (summary.newestEventTime !== null)
      this.newest = Math.max(this.newest ?? summary.newestEventTime, summary.newestEventTime);
    if (summary.oldestEventTime !== null)
      this.oldest = Math.min(this.oldest ?? summary.oldestEventTime, summary.oldestEventTime);
  }

  result(): ReadInput {
    return {
      contentSha256: this.content.digest('hex'),
      sources: this.sources,
      counts: this.counts,
      newestEventTime: this.newest,
      oldestEventTime: this.oldest,
      bytesRead: this.bytesRead,
      records: this.records,
      quarantined: this.quarantined,
      problems: this.problems,
      warnings: this.warnings,
      failure: this.failure,
      startedAt: this.startedAt,
    };
  }
}

class OutOfTimeError extends Error {
  override readonly name = 'OutOfTimeError';
}

async function* tapped(
  bytes: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of bytes) {
    onChunk(chunk);
    yield chunk;
  }
}

export function addCounts(total: ReadCounts, more: ReadCounts): ReadCounts {
  const byReason = { ...total.quarantinedByReason };
  for (const [code, n] of Object.entries(more.quarantinedByReason)) byReason[code] = (byReason[code] ?? 0) + n;
  return {
    read: total.read + more.read,
    valid: total.valid + more.valid,
    quarantined: total.quarantined + more.quarantined,
    quarantinedByReason: byReason,
  };
}

function describeProblem(row: QuarantinedRow): string {
  return `line ${row.line}${row.field ? ` (${row.field})` : ''}: ${row.reason}`;
}

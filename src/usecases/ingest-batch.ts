// Use case: ingest one batch (a dropped file, a run of API pages, a pushed request) into raw and
// quarantine, exactly once. The batch id is derived from the input by the connector, so the same
// input is the same batch: a claim in the ledger makes a second run a no-op, and a run that crashed
// half-way is redone under the same keys. Every object is staged and committed at the end, then
// the manifest, then the completion: until then a reader sees nothing of the batch.
import { createHash, randomUUID } from 'node:crypto';
import {
  type CompiledDataset,
  type DatasetFormat,
  type Gunzip,
  type ReadOrigin,
  type RecordBatch,
  readDataset,
  UnreadableInputError,
} from '../domain/dataset';
import { dataQualityRecords, PIPELINE_INGEST_DATASET } from '../domain/ingest/data-quality';
import {
  hourPartition,
  isLate,
  manifestKey,
  quarantinedFileKey,
  quarantinedFileReasonKey,
  quarantineRowsKey,
  rawObjectKey,
} from '../domain/ingest/layout';
import type { BatchManifest, Connector, SourceInput, WrittenObject } from '../domain/ingest/manifest';
import type { QuarantinedRow, ReadCounts } from '../domain/records';
import type { Clock } from '../ports/clock';
import type { IngestLedger, RecomputeMark } from '../ports/ingest-ledger';
import type { IngestObjectStore, ObjectRef } from '../ports/object-store';
import { GzipNdjsonObject } from './ingest/gzip-ndjson-object';
import { PartitionedRecordWriter } from './ingest/partitioned-writer';

/** One input of a batch: a file, a page, a request body. */
export interface IngestPart {
  readonly origin: ReadOrigin;
  readonly bytes: AsyncIterable<Uint8Array>;
  /** Reads with this format instead of the declared one (API pages are turned into NDJSON). */
  readonly format?: DatasetFormat;
  /** Recorded in the manifest. */
  readonly uri: string;
  readonly version?: string;
}

export interface IngestBatchRequest {
  readonly dataset: CompiledDataset;
  readonly connector: Connector;
  /** Deterministic: the same input gives the same id (see `batchIdOf`). */
  readonly batchId: string;
  /** The source, as the data-quality records name it: `s3://bucket/key`, an API URL, `push:<agent>`. */
  readonly source: string;
  readonly parts: AsyncIterable<IngestPart> | Iterable<IngestPart>;
  /** `all_or_nothing`: one invalid row rejects the whole batch (pushed batches, whose sender can fix and resend). */
  readonly mode: 'partial' | 'all_or_nothing';
  /** Hours that ended this long before the ingestion are marked for recomputation. */
  readonly lateAfterMinutes: number;
  /** Keeps an input that cannot be read at all, whole, in quarantine (e.g. an S3 copy). */
  readonly preserveUnreadable?: (target: ObjectRef) => Promise<void>;
  /** Sees each batch of records as it is read (a pull connector tracks its watermark). */
  readonly observe?: (batch: RecordBatch) => void;
  /**
   * Runs once everything is written, just before the batch is marked done (a pull connector saves
   * its new position here: if the run dies between the two, the next run starts after this batch).
   */
  readonly beforeComplete?: (manifest: BatchManifest) => Promise<void>;
}

export interface IngestDependencies {
  readonly store: IngestObjectStore;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  /** Recorded in every manifest, e.g. `0.1.0+3f2c1ab`. */
  readonly codeVersion: string;
  readonly gunzip?: Gunzip;
  /** How long a claim holds when its owner dies. @default 16 minutes (longer than a Lambda run) */
  readonly leaseMillis?: number;
  /** Raw objects open at once (see PartitionedRecordWriter). @default 168 */
  readonly maxOpenPartitions?: number;
  /** Compressed bytes the open raw objects may hold together. @default 128 MiB */
  readonly partitionBudgetBytes?: number;
  readonly gzipLevel?: number;
}

export type IngestResult =
  | {
      readonly status: 'ingested' | 'unreadable' | 'rejected';
      readonly batchId: string;
      readonly manifestKey: string;
      readonly manifest: BatchManifest;
      /** For a rejected or unreadable batch: what was wrong, first problems first. */
      readonly problems: string[];
    }
  | {
      readonly status: 'duplicate';
      readonly batchId: string;
      readonly outcome: string;
      readonly manifestKey: string;
      readonly problems: readonly string[];
    }
  | { readonly status: 'busy'; readonly batchId: string; readonly leaseUntil: number };

/** Problems kept for a rejected batch (and returned to a client sending it again). */
const MAX_PROBLEMS = 20;

/** A deterministic batch id: 32 hex characters of SHA-256 over the parts that identify the input. */
export function batchIdOf(...identity: readonly string[]): string {
  return createHash('sha256').update(identity.join('\n')).digest('hex').slice(0, 32);
}

/** SHA-256 of a declaration as canonical JSON (keys sorted), for lineage. */
export function declarationSha256(declaration: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .filter(([, v]) => v !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(declaration)))
    .digest('hex');
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

function addCounts(total: ReadCounts, more: ReadCounts): ReadCounts {
  const byReason = { ...total.quarantinedByReason };
  for (const [code, n] of Object.entries(more.quarantinedByReason)) byReason[code] = (byReason[code] ?? 0) + n;
  return {
    read: total.read + more.read,
    valid: total.valid + more.valid,
    quarantined: total.quarantined + more.quarantined,
    quarantinedByReason: byReason,
  };
}

const NO_COUNTS: ReadCounts = { read: 0, valid: 0, quarantined: 0, quarantinedByReason: {} };

function describeProblem(row: QuarantinedRow): string {
  return `line ${row.line}${row.field ? ` (${row.field})` : ''}: ${row.reason}`;
}

/**
 * Ingests one batch. Returns `duplicate` when the batch was done before (nothing written) and
 * `busy` when another run holds it. Any error other than an unreadable input aborts what was
 * staged, releases the claim and is rethrown: a retry starts the batch over.
 */
export async function ingestBatch(request: IngestBatchRequest, deps: IngestDependencies): Promise<IngestResult> {
  const { dataset, batchId } = request;
  const owner = randomUUID();
  const claim = await deps.ledger.claim({
    dataset: dataset.id,
    batchId,
    owner,
    now: deps.clock.now(),
    leaseMillis: deps.leaseMillis ?? 16 * 60_000,
  });
  if (claim.kind === 'done') {
    return {
      status: 'duplicate',
      batchId,
      outcome: claim.outcome,
      manifestKey: claim.manifestKey,
      problems: claim.problems,
    };
  }
  if (claim.kind === 'busy') return { status: 'busy', batchId, leaseUntil: claim.leaseUntil };

  const startedAt = deps.clock.now();
  // The first claim's time, not this attempt's: a rerun writes the same keys and marks.
  const ingestedAt = claim.firstClaimedAt;
  const ingestHour = hourPartition(ingestedAt);
  const level = deps.gzipLevel ?? 6;
  const writer = new PartitionedRecordWriter(deps.store, dataset.id, batchId, dataset.eventTimeField, {
    ...(deps.maxOpenPartitions ? { maxOpen: deps.maxOpenPartitions } : {}),
    ...(deps.partitionBudgetBytes ? { budgetBytes: deps.partitionBudgetBytes } : {}),
    gzipLevel: level,
  });
  const quarantineRef: ObjectRef = { area: 'quarantine', key: quarantineRowsKey(dataset.id, ingestHour, batchId) };
  let quarantine: GzipNdjsonObject | undefined;
  const staged: GzipNdjsonObject[] = [];
  const allOrNothing = request.mode === 'all_or_nothing';
  const held: RecordBatch['records'] = [];
  const problems: string[] = [];
  const sources: SourceInput[] = [];
  let counts = NO_COUNTS;
  let newest: number | null = null;
  let oldest: number | null = null;
  let bytesRead = 0;
  let unreadable: UnreadableInputError | undefined;

  const abortAll = async () => {
    await writer.abort();
    await Promise.allSettled(staged.map((object) => object.abort()));
    await quarantine?.abort();
  };

  try {
    for await (const part of request.parts) {
      const hash = createHash('sha256');
      let partBytes = 0;
      const read = readDataset(
        dataset,
        tapped(part.bytes, (chunk) => {
          hash.update(chunk);
          partBytes += chunk.byteLength;
        }),
        part.origin,
        {
          now: ingestedAt,
          ...(part.format ? { format: part.format } : {}),
          ...(deps.gunzip ? { gunzip: deps.gunzip } : {}),
        },
      );
      try {
        for await (const batch of read) {
          request.observe?.(batch);
          if (batch.records.length > 0) {
            if (allOrNothing) held.push(...batch.records);
            else await writer.write(batch.records);
          }
          if (batch.quarantined.length > 0) {
            for (const row of batch.quarantined)
              if (problems.length < MAX_PROBLEMS) problems.push(describeProblem(row));
            quarantine ??= new GzipNdjsonObject(
              quarantineRef,
              deps.store.stage(quarantineRef, 'application/x-ndjson'),
              { kind: 'quarantine', bucket: deps.store.bucket('quarantine'), dataset: dataset.id },
              level,
            );
            await quarantine.append(
              `${batch.quarantined.map((row) => JSON.stringify(row)).join('\n')}\n`,
              batch.quarantined.length,
            );
          }
        }
      } catch (error) {
        if (!(error instanceof UnreadableInputError)) throw error;
        unreadable = error;
      }
      sources.push({
        uri: part.uri,
        ...(part.version ? { version: part.version } : {}),
        bytes: partBytes,
        sha256: hash.digest('hex'),
      });
      bytesRead += partBytes;
      if (unreadable) break;
      const summary = read.summary();
      counts = addCounts(counts, summary.counts);
      if (summary.newestEventTime !== null)
        newest = Math.max(newest ?? summary.newestEventTime, summary.newestEventTime);
      if (summary.oldestEventTime !== null)
        oldest = Math.min(oldest ?? summary.oldestEventTime, summary.oldestEventTime);
    }

    let outcome: BatchManifest['outcome'] = 'ingested';
    let problem: BatchManifest['problem'] = null;
    const objects: WrittenObject[] = [];
    if (unreadable) {
      // The rows read before the file proved unreadable are void: the file is kept whole instead.
      outcome = 'unreadable';
      problem = { code: unreadable.code, reason: unreadable.reason };
      problems.splice(0, problems.length, unreadable.reason);
      counts = NO_COUNTS;
      newest = null;
      oldest = null;
      await writer.abort();
      await quarantine?.abort();
      quarantine = undefined;
      if (request.preserveUnreadable) {
        const file = sources.at(-1)?.uri.split('/').pop() ?? 'input';
        const target: ObjectRef = {
          area: 'quarantine',
          key: quarantinedFileKey(dataset.id, ingestHour, batchId, file),
        };
        await request.preserveUnreadable(target);
        const reasonRef: ObjectRef = {
          area: 'quarantine',
          key: quarantinedFileReasonKey(dataset.id, ingestHour, batchId),
        };
        await deps.store.put(
          reasonRef,
          `${JSON.stringify({ dataset: dataset.id, batchId, source: request.source, file: sources.at(-1)?.uri, code: unreadable.code, reason: unreadable.reason }, null, 2)}\n`,
          'application/json',
        );
        objects.push({
          kind: 'quarantined_file',
          bucket: deps.store.bucket('quarantine'),
          key: target.key,
          dataset: dataset.id,
          records: 0,
          bytes: sources.at(-1)?.bytes ?? 0,
          sha256: sources.at(-1)?.sha256 ?? '',
          minEventTime: null,
          maxEventTime: null,
        });
      }
    } else if (allOrNothing && counts.quarantined > 0) {
      outcome = 'rejected';
      problem = {
        code: Object.keys(counts.quarantinedByReason).sort()[0] ?? 'rejected',
        reason: `${counts.quarantined} of ${counts.read} rows are invalid; nothing of the batch was ingested`,
      };
    } else {
      if (allOrNothing && held.length > 0) await writer.write(held);
      objects.push(...(await writer.end()));
    }
    if (quarantine) objects.push(await quarantine.end());

    const marks: RecomputeMark[] = [];
    const latePartitions: BatchManifest['latePartitions'] = [];
    if (outcome === 'ingested') {
      for (const [start, records] of [...writer.recordsPerHour].sort(([a], [b]) => a - b)) {
        const hour = hourPartition(start);
        if (!isLate(hour, ingestedAt, request.lateAfterMinutes)) continue;
        marks.push({ dataset: dataset.id, periodStart: start, batchId, records, markedAt: ingestedAt });
        latePartitions.push({ date: hour.date, hour: hour.hour, records });
      }
    }
    const lateRecords = marks.reduce((sum, mark) => sum + mark.records, 0);

    const dqRef: ObjectRef = { area: 'raw', key: rawObjectKey(PIPELINE_INGEST_DATASET, ingestHour, batchId, 0) };
    const dq = new GzipNdjsonObject(
      dqRef,
      deps.store.stage(dqRef, 'application/x-ndjson'),
      { kind: 'data_quality', bucket: deps.store.bucket('raw'), dataset: PIPELINE_INGEST_DATASET },
      level,
    );
    staged.push(dq);
    const dqRecords = dataQualityRecords({
      batchId,
      dataset: dataset.id,
      connector: request.connector,
      source: request.source,
      outcome,
      problemCode: problem?.code ?? null,
      ingestedAt,
      counts,
      newestEventTime: newest,
      oldestEventTime: oldest,
      lateRecords,
      bytes: bytesRead,
      durationMs: Math.max(0, deps.clock.now() - startedAt),
    });
    await dq.append(
      `${dqRecords.map((r) => JSON.stringify(r)).join('\n')}\n`,
      dqRecords.length,
      ingestedAt,
      ingestedAt,
    );
    objects.push(await dq.end());

    if (outcome === 'ingested') await writer.commit();
    await quarantine?.staged.commit();
    await dq.staged.commit();

    const completedAt = deps.clock.now();
    const manifest: BatchManifest = {
      manifestVersion: 1,
      batchId,
      dataset: dataset.id,
      connector: request.connector,
      outcome,
      problem,
      ingestedAt,
      completedAt,
      attempt: claim.attempt,
      codeVersion: deps.codeVersion,
      declarationSha256: declarationSha256(dataset.declaration),
      sources,
      counts,
      newestEventTime: newest,
      oldestEventTime: oldest,
      latePartitions,
      objects,
    };
    const key = manifestKey(dataset.id, ingestHour, batchId);
    await deps.store.put({ area: 'raw', key }, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
    await deps.ledger.markForRecompute(marks);
    await request.beforeComplete?.(manifest);
    await deps.ledger.complete({
      dataset: dataset.id,
      batchId,
      owner,
      completedAt,
      outcome,
      manifestKey: key,
      read: counts.read,
      valid: counts.valid,
      quarantined: counts.quarantined,
      problems: outcome === 'ingested' ? [] : problems,
    });
    return {
      status: outcome,
      batchId,
      manifestKey: key,
      manifest,
      problems: outcome === 'ingested' ? [] : problems,
    };
  } catch (error) {
    // Clean-up is best effort: the error that stopped the batch is the one to report. Whatever
    // stays behind (an upload, a claim) expires, and a rerun rewrites the same keys.
    await abortAll().catch(() => undefined);
    await deps.ledger.release(dataset.id, batchId, owner).catch(() => undefined);
    throw error;
  }
}

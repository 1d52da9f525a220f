// Use case steps: write what a claimed batch makes, none of it visible yet: the quarantined rows (or
// the unreadable input itself), the records day by day (a few days at once), then the data-quality records and the
// manifest, which are the plan a rerun follows. Reruns write the same keys.
import { quarantinedFileKey, quarantinedFileReasonKey, quarantineRowsKey } from '../../contracts/raw-layout';
import { mapConcurrently } from '../../domain/concurrency';
import type { CommitEntry, SourceHead } from '../../domain/ingest/commit-log';
import { dataQualityRecords, PIPELINE_INGEST_DATASET } from '../../domain/ingest/data-quality';
import type { BatchCounts, BatchManifest, WrittenObject } from '../../domain/ingest/manifest';
import type { RecomputeMark } from '../../ports/ingest-ledger';
import type { ObjectRef } from '../../ports/object-store';
import {
  type BatchRecord,
  type ClaimedBatch,
  countsOf,
  lateMarks,
  manifestOf,
  ownHours,
  problemOf,
  type WrittenRecords,
} from './batch-facts';
import { recordSourceDays } from './source-head';
import {
  DAY_WRITES_IN_FLIGHT,
  dayLogs,
  daysOf,
  isSmallDay,
  type WriteDaysContext,
  type WrittenDay,
  writeDay,
  writtenObject,
} from './write-days';

/** The records written, with what a commit needs to write a day again and what a correction removes. */
export interface WrittenBatch extends WrittenRecords {
  readonly context: WriteDaysContext;
  readonly hoursByDay: ReadonlyMap<string, number[]>;
  /** Days only the superseded revisions had: committed empty, so that readers drop them. */
  readonly removalDays: readonly string[];
  /** The logical file's head, with the days this revision touches. */
  readonly head: SourceHead | null;
}

/** The plan as written: the manifest's record and whether an earlier attempt committed its data quality. */
export interface WrittenPlan extends BatchRecord {
  readonly dataQualityCommitted: boolean;
}

export async function writeRecords(batch: ClaimedBatch): Promise<WrittenBatch> {
  const side = await writeSideObjects(batch);
  const context = writeDaysContext(batch);
  const days = new Map<string, WrittenDay>();
  const hoursByDay = batch.outcome === 'ingested' ? daysOf(batch.input.records) : new Map<string, number[]>();
  const logs = await dayLogs(context, [...hoursByDay.keys()]);
  // Days are independent (own keys, own log, nothing visible until the commit): small ones go up a
  // few at once, large ones one by one; the map keeps the order of their dates.
  const dates = [...hoursByDay];
  const small = dates.filter(([, hours]) => isSmallDay(context, hours));
  const smallDays = await mapConcurrently(small, DAY_WRITES_IN_FLIGHT, ([date, hours]) =>
    writeDay(context, date, hours, logs.get(date)),
  );
  const byDate = new Map(small.map(([date], i) => [date, smallDays[i] as WrittenDay]));
  for (const [date, hours] of dates) {
    days.set(date, byDate.get(date) ?? (await writeDay(context, date, hours, logs.get(date))));
  }
  const removalDays = [...new Set(batch.supersedes.flatMap((s) => s.days))].filter((date) => !days.has(date));
  const sourceHead = batch.source?.head ?? null;
  const head = sourceHead ? await recordSourceDays(batch.deps.log, sourceHead, [...days.keys(), ...removalDays]) : null;
  return { side, context, days, hoursByDay, removalDays, head };
}

/** The data-quality records (unless an earlier attempt committed them), then the manifest. */
export async function writePlan(batch: ClaimedBatch, written: WrittenRecords): Promise<WrittenPlan> {
  const { deps, ingestHour, batchId } = batch;
  const counts = countsOf(batch, written);
  const marks = lateMarks(batch, ownHours(written));
  const committed = (await deps.log.entries(PIPELINE_INGEST_DATASET, ingestHour.date, ingestHour.date)).find(
    (entry) => entry.batchId === `dq-${batchId}`,
  );
  const dataQuality = committed ? committedDataQuality(batch, committed) : await writeDataQuality(batch, counts, marks);
  await putManifest(batch, manifestOf(batch, written, { counts, marks, dataQuality }));
  return { counts, marks, dataQuality, dataQualityCommitted: committed !== undefined };
}

export async function putManifest(batch: ClaimedBatch, manifest: BatchManifest): Promise<void> {
  await batch.deps.store.put(
    { area: 'raw', key: batch.manifestKey },
    `${JSON.stringify(manifest, null, 2)}\n`,
    'application/json',
  );
}

export async function writeDataQuality(
  batch: ClaimedBatch,
  counts: BatchCounts,
  marks: readonly RecomputeMark[],
): Promise<WrittenObject> {
  const { request, deps, input, outcome, ingestedAt } = batch;
  const object = deps.store.stageLines({ area: 'raw', key: batch.dataQualityKey });
  const problem = problemOf(outcome, input, counts);
  const records = dataQualityRecords({
    batchId: batch.batchId,
    dataset: request.dataset.id,
    connector: request.connector,
    source: request.source,
    outcome,
    problemCode: problem?.code ?? null,
    ingestedAt,
    counts,
    warnings: input.warnings,
    newestEventTime: outcome === 'ingested' ? input.newestEventTime : null,
    oldestEventTime: outcome === 'ingested' ? input.oldestEventTime : null,
    lateRecords: marks.reduce((n, m) => n + m.records, 0),
    bytes: input.bytesRead,
    durationMs: Math.max(0, deps.clock.now() - input.startedAt),
  });
  await object.append(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`, records.length, ingestedAt, ingestedAt);
  const written = await object.end();
  await object.commit();
  return writtenObject('data_quality', PIPELINE_INGEST_DATASET, written);
}

/** The data-quality object an earlier attempt committed: never written again. */
function committedDataQuality(batch: ClaimedBatch, entry: CommitEntry): WrittenObject {
  const object = entry.objects[0];
  if (!object) throw new Error(`the data-quality commit of ${entry.batchId} names no object`);
  return {
    kind: 'data_quality',
    bucket: batch.deps.store.bucket('raw'),
    key: object.key,
    dataset: PIPELINE_INGEST_DATASET,
    records: object.records,
    bytes: object.bytes,
    sha256: object.sha256,
    minEventTime: object.minEventTime,
    maxEventTime: object.maxEventTime,
  };
}

function writeDaysContext(batch: ClaimedBatch): WriteDaysContext {
  const { request, deps, batchId } = batch;
  return {
    dataset: request.dataset.id,
    batchId,
    keyed: request.dataset.declaration.key !== undefined,
    records: batch.input.records,
    store: deps.store,
    log: deps.log,
    ignore: new Set([batchId, ...batch.supersedes.map((s) => s.batchId)]),
    ...(deps.partBytes ? { partBytes: deps.partBytes } : {}),
    ...(deps.dayObjectChars === undefined ? {} : { dayObjectChars: deps.dayObjectChars }),
  };
}

/** Quarantined rows (none when the whole input is refused: then the file itself is kept). */
async function writeSideObjects(batch: ClaimedBatch): Promise<WrittenObject[]> {
  if (batch.outcome === 'ingested' || batch.outcome === 'rejected') {
    const quarantine = await writeQuarantine(batch);
    return quarantine ? [quarantine] : [];
  }
  return batch.request.preserveUnreadable ? preserveInput(batch) : [];
}

async function writeQuarantine(batch: ClaimedBatch): Promise<WrittenObject | null> {
  const { request, deps, input } = batch;
  if (input.counts.quarantined === 0) return null;
  const key = quarantineRowsKey(request.dataset.id, batch.ingestHour, batch.batchId);
  const object = deps.store.stageLines({ area: 'quarantine', key });
  try {
    for await (const segment of input.quarantined.segmentsOf(0)) await object.append(segment.lines, segment.records);
    const written = await object.end();
    await object.commit();
    return writtenObject('quarantine', request.dataset.id, written);
  } catch (error) {
    await object.abort().catch(() => undefined);
    throw error;
  }
}

async function preserveInput(batch: ClaimedBatch): Promise<WrittenObject[]> {
  const { request, deps, input, batchId, ingestHour } = batch;
  const dataset = request.dataset.id;
  const failed = input.sources.at(-1);
  const file = failed?.uri.split('/').pop() ?? 'input';
  const target: ObjectRef = { area: 'quarantine', key: quarantinedFileKey(dataset, ingestHour, batchId, file) };
  await request.preserveUnreadable?.(target);
  const problem = problemOf(batch.outcome, input, input.counts);
  await deps.store.put(
    { area: 'quarantine', key: quarantinedFileReasonKey(dataset, ingestHour, batchId) },
    `${JSON.stringify({ dataset, batchId, source: request.source, file: failed?.uri, code: problem?.code, reason: problem?.reason }, null, 2)}\n`,
    'application/json',
  );
  return [
    {
      kind: 'quarantined_file',
      bucket: deps.store.bucket('quarantine'),
      key: target.key,
      dataset,
      records: 0,
      bytes: failed?.bytes ?? 0,
      sha256: failed?.sha256 ?? '',
      minEventTime: null,
      maxEventTime: null,
    },
  ];
}

// Test support: writes records into the raw store exactly as ingestion lays them out (gzip NDJSON
// per event hour, a manifest per batch, a commit per day), so compute tests do not depend on a connector.
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { hourPartition } from '../../src/contracts/raw-layout';
import type { TypedRecord } from '../../src/domain/records';
import {
  commitImportedBatch,
  type HourObject,
  type HourStats,
  putHourObject,
  type RawBatch,
  type RawStoreTarget,
} from '../../src/local/raw-import';

export type { RawBatch, RawStoreTarget } from '../../src/local/raw-import';
export { importRawBatch, rawStoreOf } from '../../src/local/raw-import';

/**
 * Writes one batch of records in event-time order, as `importRawBatch` lays it out, without holding
 * more than an hour of it: each hour is gzip-compressed as it is read (for benchmarks of millions
 * of records).
 */
export async function putRawBatchStreamed(
  target: RawStoreTarget,
  batch: Omit<RawBatch, 'records'> & { readonly records: Iterable<TypedRecord>; readonly gzipLevel?: number },
): Promise<{ readonly records: number; readonly objects: number; readonly bytes: number }> {
  const objects: HourObject[] = [];
  let records = 0;
  let hour: { start: number; gzip: Gzip; chunks: Buffer[]; text: string; stats: HourStats } | null = null;
  const close = async () => {
    if (!hour) return;
    const open = hour;
    hour = null;
    const done = once(open.gzip, 'end');
    open.gzip.end(open.text);
    await done;
    objects.push(await putHourObject(target, batch, open.start, Buffer.concat(open.chunks), open.stats));
  };
  for (const record of batch.records) {
    const time = record[batch.eventTimeField] as number;
    const start = hourPartition(time).start;
    if (hour && hour.start !== start) {
      if (start < hour.start) throw new Error('putRawBatchStreamed needs records in event-time order');
      await close();
    }
    if (!hour) {
      const gzip = createGzip({ level: batch.gzipLevel ?? 6 });
      const chunks: Buffer[] = [];
      gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
      hour = { start, gzip, chunks, text: '', stats: { records: 0, minEventTime: time, maxEventTime: time } };
    }
    hour.text += `${JSON.stringify(record)}\n`;
    if (hour.text.length > 1 << 20) {
      hour.gzip.write(hour.text);
      hour.text = '';
    }
    hour.stats = {
      records: hour.stats.records + 1,
      minEventTime: Math.min(hour.stats.minEventTime, time),
      maxEventTime: Math.max(hour.stats.maxEventTime, time),
    };
    records += 1;
  }
  await close();
  await commitImportedBatch(target, batch, objects);
  return { records, objects: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0) };
}

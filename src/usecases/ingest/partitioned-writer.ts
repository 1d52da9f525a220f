// Use case support: writes a batch's records to raw, one gzip NDJSON object per event-time hour.
// Every hour a batch touches stays open while memory allows: an object holds its compressed bytes
// until they make a multipart part. When the objects open at once are too many, or hold more than
// the budget together, the least recently used one is finished (uploaded, still invisible) and a
// later record of its hour starts the next segment. A file in time order keeps one object per hour;
// a file of shuffled hours costs at most `maxOpen` zlib streams and `budgetBytes` of buffers.
import { hourPartition, rawObjectKey } from '../../contracts/raw-layout';
import type { WrittenObject } from '../../domain/ingest/manifest';
import type { TypedRecord } from '../../domain/records';
import type { IngestObjectStore } from '../../ports/object-store';
import { GzipNdjsonObject } from './gzip-ndjson-object';

const HOUR = 3_600_000;

export interface PartitionedWriterOptions {
  /** Objects open at once. @default 168 (a week of hours) */
  readonly maxOpen?: number;
  /** Compressed bytes held by all open objects together. @default 128 MiB */
  readonly budgetBytes?: number;
  /** gzip level, 1 (fast) to 9 (small). @default 6 */
  readonly gzipLevel?: number;
}

interface HourGroup {
  lines: string[];
  min: number;
  max: number;
}

export class PartitionedRecordWriter {
  private readonly open = new Map<number, GzipNdjsonObject>();
  private readonly segments = new Map<number, number>();
  private readonly finished: GzipNdjsonObject[] = [];
  private readonly written: WrittenObject[] = [];
  private readonly maxOpen: number;
  private readonly budgetBytes: number;
  private readonly level: number;
  /** Records per hour start, for recompute marks. */
  readonly recordsPerHour = new Map<number, number>();

  constructor(
    private readonly store: IngestObjectStore,
    private readonly dataset: string,
    private readonly batchId: string,
    private readonly eventTimeField: string,
    options: PartitionedWriterOptions = {},
  ) {
    this.maxOpen = options.maxOpen ?? 168;
    this.budgetBytes = options.budgetBytes ?? 128 * 1024 * 1024;
    this.level = options.gzipLevel ?? 6;
  }

  async write(records: readonly TypedRecord[]): Promise<void> {
    const groups = new Map<number, HourGroup>();
    for (const record of records) {
      const time = record[this.eventTimeField] as number;
      const start = Math.floor(time / HOUR) * HOUR;
      let group = groups.get(start);
      if (!group) {
        group = { lines: [], min: time, max: time };
        groups.set(start, group);
      }
      group.lines.push(JSON.stringify(record));
      if (time < group.min) group.min = time;
      if (time > group.max) group.max = time;
    }
    for (const [start, group] of groups) {
      const object = await this.objectFor(start);
      group.lines.push('');
      await object.append(group.lines.join('\n'), group.lines.length - 1, group.min, group.max);
      this.recordsPerHour.set(start, (this.recordsPerHour.get(start) ?? 0) + group.lines.length - 1);
    }
    let held = 0;
    for (const object of this.open.values()) held += object.pendingBytes;
    while (held > this.budgetBytes && this.open.size > 1) held -= await this.finishLeastRecent();
  }

  /** Finishes the least recently used open object; returns the bytes it held. */
  private async finishLeastRecent(): Promise<number> {
    const [start, object] = this.open.entries().next().value as [number, GzipNdjsonObject];
    const held = object.pendingBytes;
    this.open.delete(start);
    this.written.push(await object.end());
    this.finished.push(object);
    return held;
  }

  private async objectFor(start: number): Promise<GzipNdjsonObject> {
    const current = this.open.get(start);
    if (current) {
      // Most recently used last: Map keeps insertion order.
      this.open.delete(start);
      this.open.set(start, current);
      return current;
    }
    if (this.open.size >= this.maxOpen) await this.finishLeastRecent();
    const segment = this.segments.get(start) ?? 0;
    this.segments.set(start, segment + 1);
    const ref = { area: 'raw' as const, key: rawObjectKey(this.dataset, hourPartition(start), this.batchId, segment) };
    const object = new GzipNdjsonObject(
      ref,
      this.store.stage(ref, 'application/x-ndjson'),
      { kind: 'raw', bucket: this.store.bucket('raw'), dataset: this.dataset },
      this.level,
    );
    this.open.set(start, object);
    return object;
  }

  /** Finishes every object (uploaded, not yet visible) and describes them. */
  async end(): Promise<WrittenObject[]> {
    for (const [start, object] of this.open) {
      this.open.delete(start);
      this.written.push(await object.end());
      this.finished.push(object);
    }
    return [...this.written].sort((a, b) => a.key.localeCompare(b.key));
  }

  async commit(): Promise<void> {
    for (const object of this.finished) await object.staged.commit();
  }

  async abort(): Promise<void> {
    await Promise.allSettled([...this.open.values(), ...this.finished].map((object) => object.abort()));
    this.open.clear();
  }
}

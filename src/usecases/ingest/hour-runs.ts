// Use case support: records gathered by lane (an event hour) in memory up to a byte budget; past it,
// everything held is spilled as one run (lanes in order, each a contiguous segment, its lines
// compressed at zlib's fastest level) to scratch space, and reading a lane back yields its segments
// oldest first, then what is still held. Rows
// keep their order within a lane, so the same input always gives the same objects, whatever the row
// order of the file, and memory stays within the budget plus one segment being read.

import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { KEY_BYTES } from '../../domain/ingest/key-set';
import type { SpillFile, SpillStore } from '../../ports/spill-store';

/** What a lane holds in all. */
export interface LaneStats {
  readonly records: number;
  /** Characters of its lines, `\n` included (UTF-16 code units: at most the UTF-8 bytes). */
  readonly chars: number;
  readonly minEventTime: number;
  readonly maxEventTime: number;
}

/** A stretch of a lane: its lines (each ending in `\n`) and, for a keyed dataset, their key hashes in order. */
export interface LaneSegment {
  readonly lines: Uint8Array;
  readonly keys: Uint8Array | null;
  readonly records: number;
}

interface Held {
  lines: string[];
  keys: Uint8Array | null;
  records: number;
}

interface Spilled {
  readonly offset: number;
  /** Bytes of the compressed lines, then the key hashes as they are. */
  readonly length: number;
  readonly keysOffset: number;
  readonly records: number;
}

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);
/** Spilled lines are compressed at the fastest level: typed NDJSON shrinks about tenfold. */
const SPILL_LEVEL = 1;

/** JavaScript strings and arrays cost more than their characters: counted per line on top of them. */
const LINE_OVERHEAD = 32;

export class HourRuns {
  private held = new Map<number, Held>();
  private heldBytes = 0;
  private readonly spilled = new Map<number, Spilled[]>();
  private readonly stats = new Map<number, { records: number; chars: number; min: number; max: number }>();
  private file: SpillFile | undefined;
  private runs = 0;

  constructor(
    private readonly spill: SpillStore,
    private readonly budgetBytes: number,
    private readonly keyed: boolean,
  ) {}

  /** Adds one line (without its `\n`) to a lane; spills when the budget is crossed. */
  async add(lane: number, line: string, eventTime: number, key?: Uint8Array): Promise<void> {
    let held = this.held.get(lane);
    if (!held) {
      held = { lines: [], keys: this.keyed ? new Uint8Array(64 * KEY_BYTES) : null, records: 0 };
      this.held.set(lane, held);
    }
    if (held.keys && key) {
      if ((held.records + 1) * KEY_BYTES > held.keys.byteLength) {
        const grown = new Uint8Array(held.keys.byteLength * 2);
        grown.set(held.keys);
        held.keys = grown;
      }
      held.keys.set(key, held.records * KEY_BYTES);
    }
    held.lines.push(line);
    held.records += 1;
    this.heldBytes += line.length + LINE_OVERHEAD + (key ? KEY_BYTES : 0);
    const stats = this.stats.get(lane);
    if (!stats) this.stats.set(lane, { records: 1, chars: line.length + 1, min: eventTime, max: eventTime });
    else {
      stats.records += 1;
      stats.chars += line.length + 1;
      if (eventTime < stats.min) stats.min = eventTime;
      if (eventTime > stats.max) stats.max = eventTime;
    }
    if (this.heldBytes > this.budgetBytes) await this.spillAll();
  }

  /** Lanes that hold records, in order. */
  lanes(): number[] {
    return [...this.stats.keys()].sort((a, b) => a - b);
  }

  statsOf(lane: number): LaneStats {
    const stats = this.stats.get(lane);
    return stats
      ? { records: stats.records, chars: stats.chars, minEventTime: stats.min, maxEventTime: stats.max }
      : { records: 0, chars: 0, minEventTime: Number.NaN, maxEventTime: Number.NaN };
  }

  /** Runs spilled so far, and the bytes they take. */
  get spilledRuns(): number {
    return this.runs;
  }

  get spilledBytes(): number {
    return this.file?.size ?? 0;
  }

  /** A lane's records, oldest first: spilled segments, then what is held. */
  async *segmentsOf(lane: number): AsyncGenerator<LaneSegment> {
    for (const segment of this.spilled.get(lane) ?? []) {
      const file = this.file as SpillFile;
      const bytes = await file.read(segment.offset, segment.length);
      const keysLength = this.keyed ? segment.records * KEY_BYTES : 0;
      yield {
        lines: await inflate(bytes.subarray(0, segment.keysOffset)),
        keys: this.keyed ? bytes.subarray(segment.keysOffset, segment.keysOffset + keysLength) : null,
        records: segment.records,
      };
    }
    const held = this.held.get(lane);
    if (held && held.records > 0) {
      yield {
        lines: Buffer.from(`${held.lines.join('\n')}\n`),
        keys: held.keys ? held.keys.subarray(0, held.records * KEY_BYTES) : null,
        records: held.records,
      };
    }
  }

  /** Frees the memory and the scratch space. */
  async dispose(): Promise<void> {
    this.held.clear();
    this.heldBytes = 0;
    await this.file?.dispose();
  }

  private async spillAll(): Promise<void> {
    this.file ??= await this.spill.create();
    for (const lane of [...this.held.keys()].sort((a, b) => a - b)) {
      const held = this.held.get(lane) as Held;
      const lines = await deflate(Buffer.from(`${held.lines.join('\n')}\n`), { level: SPILL_LEVEL });
      const keys = held.keys ? held.keys.subarray(0, held.records * KEY_BYTES) : new Uint8Array(0);
      const body = Buffer.concat([lines, keys]);
      const offset = await this.file.append(body);
      const list = this.spilled.get(lane) ?? [];
      list.push({ offset, length: body.byteLength, keysOffset: lines.byteLength, records: held.records });
      this.spilled.set(lane, list);
      // Drop each lane as it is written, so the copy and the original are never both held for all lanes.
      this.held.delete(lane);
    }
    this.held = new Map();
    this.heldBytes = 0;
    this.runs += 1;
  }
}

/** Calls `each` with every line of a segment (without its `\n`) and its index. */
export function forEachLine(lines: Uint8Array, each: (start: number, end: number, index: number) => void): void {
  let start = 0;
  let index = 0;
  const buffer = Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength);
  for (;;) {
    const end = buffer.indexOf(10, start);
    if (end === -1) break;
    each(start, end, index);
    index += 1;
    start = end + 1;
  }
}

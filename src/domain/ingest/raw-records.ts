// Domain: reads the raw store's records back. A raw object is NDJSON, one typed record per line as
// ingestion wrote it (JSON.stringify of a flat record, keys in the same order on every line), so
// the NDJSON reader's fast path applies as it is: the first line is parsed with JSON.parse and
// teaches its key order; the lines after it are matched against that shape and their values picked
// out of the text, without a parse. A line of another shape goes through JSON.parse. What is learned
// is kept for the next objects with the same keys (RawShapeCache). Text comes in chunks cut
// anywhere; records go out in batches, so an object is never held whole.
import { FlatJsonShapes, FlatSpans, SpanKind } from '../dataset/flat-json';
import type { TypedRecord } from '../records';

/** Records per batch. Small batches die young in the garbage collector. @default 2048 */
export const RAW_BATCH_RECORDS = 2048;

/** A raw line that is not a JSON object: the object is corrupt (ingestion never writes one). */
export class RawRecordError extends Error {
  override readonly name = 'RawRecordError';
}

/** What a decoder learned of the objects whose first line has these keys, in this order. */
interface LearnedKeys {
  readonly keys: string[];
  readonly known: Set<string>;
  readonly shapes: FlatJsonShapes;
}

/**
 * Key orders learned from raw objects, by the keys of an object's first line, the most recently
 * used kept. Ingestion writes every object of a dataset with one key order, so a reader learns it
 * once, not once per object: learning compiles a RegExp, which costs more than decoding the few
 * dozen lines of an hour of a small dataset. Sharing changes no record: a shape matches a line or
 * the line goes through JSON.parse.
 */
export class RawShapeCache {
  private readonly entries = new Map<string, LearnedKeys>();

  /** @param maxEntries key orders kept */
  constructor(private readonly maxEntries = 64) {}

  /** Key orders kept now. */
  get size(): number {
    return this.entries.size;
  }

  /** What was learned of objects starting with these keys (a fresh entry the first time). */
  of(keys: string[]): LearnedKeys {
    const signature = keys.join('\u0000');
    let found = this.entries.get(signature);
    if (found) this.entries.delete(signature);
    else found = { keys, known: new Set(keys), shapes: new FlatJsonShapes(keys) };
    this.entries.set(signature, found);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return found;
  }
}

/** The cache decoders share unless given their own. */
const SHARED_SHAPES = new RawShapeCache();

/**
 * Turns the text of one raw object, fed chunk by chunk, into batches of records.
 * @example
 * const decoder = new RawRecordDecoder();
 * for await (const text of chunks) for (const batch of decoder.push(text)) use(batch);
 * for (const batch of decoder.end()) use(batch);
 */
export class RawRecordDecoder {
  private pending = '';
  private batch: TypedRecord[] = [];
  private keys: string[] | null = null;
  private known: Set<string> = new Set();
  private shapes: FlatJsonShapes | null = null;
  private spans: FlatSpans | null = null;
  private line = 0;

  /**
   * @param where names the object in errors
   * @param learned key orders learned from earlier objects (shared by every decoder by default)
   */
  constructor(
    private readonly where: string,
    private readonly batchRecords = RAW_BATCH_RECORDS,
    private readonly learned: RawShapeCache = SHARED_SHAPES,
  ) {}

  /** Feeds the next chunk of text; returns the batches it completed. */
  push(text: string): TypedRecord[][] {
    const full = this.pending.length > 0 ? this.pending + text : text;
    const last = full.lastIndexOf('\n');
    if (last === -1) {
      this.pending = full;
      return [];
    }
    this.pending = full.slice(last + 1);
    return this.lines(full, last);
  }

  /** Ends the text; returns what is left (a last line without a line break included). */
  end(): TypedRecord[][] {
    const rest = this.pending;
    this.pending = '';
    const done = rest.length > 0 ? this.lines(`${rest}\n`, rest.length) : [];
    if (this.batch.length > 0) {
      done.push(this.batch);
      this.batch = [];
    }
    return done;
  }

  /** Decodes the lines of `text[0, end]` (`end` is a line break). */
  private lines(text: string, end: number): TypedRecord[][] {
    const done: TypedRecord[][] = [];
    let pos = 0;
    while (pos <= end) {
      const nl = text.indexOf('\n', pos);
      this.line += 1;
      if (nl > pos) this.batch.push(this.record(text, pos, nl));
      pos = nl + 1;
      if (this.batch.length >= this.batchRecords) {
        done.push(this.batch);
        this.batch = [];
      }
    }
    return done;
  }

  private record(text: string, start: number, end: number): TypedRecord {
    const shapes = this.shapes;
    const spans = this.spans;
    if (shapes && spans && shapes.scan(text, start, end, spans)) {
      const keys = this.keys as string[];
      const { kinds, starts, ends, numbers } = spans;
      const record: Record<string, string | number | boolean | null> = {};
      for (let i = 0; i < keys.length; i++) {
        switch (kinds[i]) {
          case SpanKind.String:
            record[keys[i] as string] = text.slice(starts[i], ends[i]);
            break;
          case SpanKind.Number:
            record[keys[i] as string] = numbers[i] as number;
            break;
          case SpanKind.True:
            record[keys[i] as string] = true;
            break;
          case SpanKind.False:
            record[keys[i] as string] = false;
            break;
          case SpanKind.Null:
            record[keys[i] as string] = null;
            break;
          default:
            break;
        }
      }
      return record;
    }
    const line = text.slice(start, end);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new RawRecordError(`${this.where}: line ${this.line} is not JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new RawRecordError(`${this.where}: line ${this.line} is not a JSON object`);
    }
    const object = value as Record<string, unknown>;
    if (this.keys === null) {
      const learned = this.learned.of(Object.keys(object));
      this.keys = learned.keys;
      this.known = learned.known;
      this.shapes = learned.shapes;
      this.spans = new FlatSpans(this.keys.length);
    }
    // A shape is learned only from keys the first line had: a matched line must lose no key.
    if (Object.keys(object).every((key) => this.known.has(key))) this.shapes?.learn(object, line);
    return object as TypedRecord;
  }
}

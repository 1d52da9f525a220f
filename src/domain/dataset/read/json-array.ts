// Domain: the JSON-array parser of the streaming reader. One array of objects, read element by
// element without holding the file: a scanner tracks strings and nesting across pieces of text.
import type { CompiledDataset } from '../mapping';
import { CR, type FailRead, type FormatParser, INVALID_ENCODING, jsonKind, LF, type RowSink } from './sink';
import { KeyTracker } from './warnings';

/** States of the JSON array scanner. */
const JsonState = { BeforeArray: 0, BeforeElement: 1, InElement: 2, AfterArray: 3 } as const;
type JsonState = (typeof JsonState)[keyof typeof JsonState];

export class JsonArrayParser implements FormatParser {
  private state: JsonState = JsonState.BeforeArray;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private partial = '';
  private partialLength = 0;
  private oversized = false;
  private element = 0;
  private trailing = '';
  private trailingLength = 0;
  private replacement = false;
  private readonly keys: KeyTracker;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly sink: RowSink,
    private readonly maxRow: number,
    private readonly now: number | undefined,
    private readonly fail: FailRead,
    private readonly file: string,
  ) {
    this.keys = new KeyTracker(dataset.sourceColumns(), dataset.optionalSources());
  }

  feed(text: string, final: boolean): void {
    if (!this.replacement && text.includes('\uFFFD')) this.replacement = true;
    this.scan(text);
    if (final) this.finish();
  }

  private scan(text: string): void {
    const n = text.length;
    let i = 0;
    let start = 0;
    while (i < n) {
      if (this.state === JsonState.InElement) {
        const end = this.elementEnd(text, i);
        this.append(text, start, end);
        if (end === n) break;
        const closesArray = text.charCodeAt(end) === 93;
        this.emit();
        i = end + 1;
        this.state = closesArray ? JsonState.AfterArray : JsonState.BeforeElement;
        continue;
      }
      if (this.state === JsonState.AfterArray && this.trailingLength > 0) {
        // Text after the array, kept as it is (up to the row limit) for one quarantined row.
        this.keepTrailing(text, i);
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === LF || c === CR || c === 0xfeff) {
        i += 1;
        continue;
      }
      if (this.state === JsonState.AfterArray) {
        // After the array: anything but whitespace is kept as one quarantined row.
        this.keepTrailing(text, i);
        break;
      }
      if (this.between(text, i, c)) i += 1;
      else start = i;
    }
  }

  /**
   * Scans an element from `from`, tracking strings and nesting across pieces of text.
   * @returns the position of the comma or bracket that ends it, or `text.length` when it goes on
   */
  private elementEnd(text: string, from: number): number {
    const n = text.length;
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth += 1;
      else if (c === 125 || c === 93) {
        if (this.depth === 0) return i;
        this.depth -= 1;
      } else if (c === 44 && this.depth === 0) return i;
    }
    return n;
  }

  /**
   * Reads the character `c` (not a space) at `i` before the array or between its elements.
   * @returns true when it was consumed; false when an element starts there
   */
  private between(text: string, i: number, c: number): boolean {
    if (this.state === JsonState.BeforeArray) {
      if (c !== 91) {
        const got = c === 123 ? 'an object' : `"${text.slice(i, i + 20)}"`;
        this.fail(
          'not_a_json_array',
          `a JSON file must hold an array of objects at the top level; it starts with ${got} (declare format ndjson for one object per line)`,
        );
      }
      this.state = JsonState.BeforeElement;
      return true;
    }
    if (c === 93) {
      this.state = JsonState.AfterArray;
      return true;
    }
    if (c === 44) {
      // An empty element (`[1,,2]`) or a stray comma.
      this.element += 1;
      this.sink.reject(this.element, null, 'invalid_json', 'an empty element between two commas', '');
      return true;
    }
    this.state = JsonState.InElement;
    this.depth = 0;
    return false;
  }

  private keepTrailing(text: string, from: number): void {
    this.trailingLength += text.length - from;
    const room = this.maxRow - this.trailing.length;
    if (room > 0) this.trailing += text.slice(from, from + room);
  }

  private finish(): void {
    if (this.state === JsonState.InElement && this.partialLength > 0) {
      this.element += 1;
      this.sink.reject(
        this.element,
        null,
        'truncated_json',
        `the file ends inside element ${this.element} of the array: it was cut off`,
        this.partial,
      );
    } else if (this.state === JsonState.BeforeElement) {
      this.element += 1;
      this.sink.reject(
        this.element,
        null,
        'truncated_json',
        'the array is not closed with "]": the file was cut off',
        '',
      );
    }
    if (this.trailingLength > 0) {
      this.element += 1;
      this.sink.reject(
        this.element,
        null,
        'invalid_json',
        `text after the end of the JSON array (${this.trailingLength} characters)`,
        this.trailing,
      );
    }
    for (const warning of this.keys.warnings(this.file)) this.sink.warn(warning);
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.partialLength += to - from;
    if (this.oversized) return;
    if (this.partialLength > this.maxRow) {
      this.oversized = true;
      this.partial = (this.partial + text.slice(from, to)).slice(0, this.maxRow);
      return;
    }
    this.partial += text.slice(from, to);
  }

  private emit(): void {
    this.element += 1;
    const line = this.element;
    const raw = this.partial;
    const length = this.partialLength;
    const oversized = this.oversized;
    this.partial = '';
    this.partialLength = 0;
    this.oversized = false;
    if (oversized) {
      this.sink.reject(
        line,
        null,
        'row_too_large',
        `element ${line} has ${length} characters, more than format.maxRowBytes (${this.maxRow}); it was set aside whole and reading went on after it`,
        raw,
      );
      return;
    }
    if (this.replacement && raw.includes('\uFFFD')) {
      this.sink.reject(line, null, 'invalid_encoding', INVALID_ENCODING, raw);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      this.sink.reject(
        line,
        null,
        'invalid_json',
        `element ${line} is not valid JSON: ${(error as Error).message}`,
        raw,
      );
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.sink.reject(line, null, 'not_an_object', `element ${line} is ${jsonKind(value)}, not a JSON object`, raw);
      return;
    }
    const object = value as Record<string, unknown>;
    this.keys.observe(object);
    const record = this.dataset.mapObject(object, this.now);
    if (record) this.sink.accept(record, length);
    else this.sink.rejectMapped(line, raw);
  }
}

// Domain: the source mapping compiled from a declaration. A row (CSV cells or a JSON object) goes
// in; a typed record, or the first problem found (field, reason code, sentence), comes out.
import type { FieldValue, TypedRecord } from '../records';
import type { ByteRule } from './byte-line';
import {
  type DatasetDeclaration,
  DEFAULT_FALSE_VALUES,
  DEFAULT_TRUE_VALUES,
  type DerivedFieldDeclaration,
  eventTimeOf,
  type FieldDeclaration,
} from './declaration';
import { DatasetDeclarationError } from './errors';
import { type FlatSpans, SpanKind } from './flat-json';
import { capturedFieldsOf } from './path-captures';
import type { RowReasonCode } from './reasons';
import { IsoTimeColumnParser, offsetMinutes, parseIso8601, timestampParser } from './timestamp';

/** Why a row was rejected: the field at fault (null for the row as a whole), a code and a sentence. */
export interface RowProblem {
  readonly field: string | null;
  readonly code: RowReasonCode;
  readonly reason: string;
}

/** A value read from a source before typing: a CSV cell, or any JSON value. */
type SourceValue = unknown;

/** Converts one source value to the field's type; `undefined` means the row failed (see `problem`). */
type Converter = (value: SourceValue) => FieldValue | undefined;

/** How `mapSpans` reads a field without its converters, when the value is of the usual kind. */
export const SpanRead = {
  /** Always through the converters. */
  General: 0,
  /** A JSON number in a number or integer field: checked against `low`, `high` and `integer`. */
  Number: 1,
  /** A JSON string in an ISO-8601 timestamp field: parsed in place, checked against `low` and `high`. */
  IsoTime: 2,
  /** A JSON string in a text field without case, pattern or length rules: checked against `allowed`. */
  Text: 3,
  /** A JSON true or false in a boolean field (`ColumnarMapping.mapBytesInto` only, columnar.ts: `mapSpans` reads them through `typed`). */
  Boolean: 4,
} as const;
export type SpanRead = (typeof SpanRead)[keyof typeof SpanRead];

/**
 * The checks `mapSpans` makes itself. A value that passes gets exactly what the converters would
 * give it; any other goes through the converters, which give the same value or say what is wrong.
 */
export interface SpanRule extends ByteRule {
  readonly read: SpanRead;
}

export interface CompiledField {
  readonly name: string;
  /** Column or JSON key the value comes from (after renames); unread for a field captured from the path. */
  readonly source: string;
  /** Whether the value comes from the file's path (a `{field}` of `files`), not from the row. */
  readonly fromPath: boolean;
  /** For JSON: the dotted path of `source` when it names a nested value. */
  readonly path: readonly string[] | null;
  readonly convert: Converter;
  /** The conversion of a value known to be present, not null and not text (a JSON number or boolean). */
  readonly typed: Converter;
  readonly rule: SpanRule;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NUMERIC_COMMA = /^[+-]?(\d+,?\d*|,\d+)$/;

function describeValue(value: SourceValue): string {
  if (typeof value === 'string') return value.length > 80 ? `"${value.slice(0, 77)}..."` : `"${value}"`;
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** A file's path and what it gives the fields `files` captures (see path-captures.ts). */
export interface FilePathValues {
  /** The path as quarantine reasons name it: a local path, or the key below `landing/<dataset>/`. */
  readonly path: string;
  /** Captured field → its text in the path; a field the path does not give is absent. */
  readonly values: Readonly<Record<string, string>>;
}

/**
 * The compiled form of a declaration: how to map rows of that dataset. Build once per dataset
 * (`compileDataset`), then bind it to a CSV header or to JSON objects. A dataset whose `files`
 * capture fields from the path is bound to each file with {@link CompiledDataset.forFile}.
 */
export class CompiledDataset {
  readonly id: string;
  readonly eventTimeField: string;
  /** Fields whose value comes from the file's path (`{field}` in `files`), in order. */
  readonly capturedFields: readonly string[];
  /** Every field of a record, in order: declared fields, constants, derived fields. */
  readonly recordFields: readonly string[];
  /** The declared fields, compiled, in order (read by the columnar path, columnar.ts). */
  readonly fields: readonly CompiledField[];
  private readonly constants: [string, FieldValue][];
  private readonly derivations: [string, (record: Record<string, FieldValue>) => FieldValue][];
  /** Earliest event time accepted (epoch ms): `eventTime.notBefore`. */
  readonly notBefore: number;
  /** How far past the read time an event time may be: `eventTime.maxFutureMinutes`. */
  readonly maxFutureMillis: number;
  /** The declared fields, all null, in order (constants and derived fields are added after them). */
  private readonly template: Record<string, FieldValue>;
  /** The problem of the last row that failed; valid right after a mapper returned null. */
  problem: RowProblem = { field: null, code: 'invalid_type', reason: '' };

  /**
   * @param file the file being read and what its path gives the captured fields; without it (an
   * API page, a pushed batch) they get their default, or no value
   */
  constructor(
    readonly declaration: DatasetDeclaration,
    readonly file?: FilePathValues,
  ) {
    this.id = declaration.id;
    this.capturedFields = capturedFieldsOf(declaration.files);
    const eventTime = eventTimeOf(declaration);
    this.eventTimeField = eventTime.field;
    const notBefore = parseIso8601(eventTime.notBefore);
    this.notBefore = typeof notBefore === 'number' ? notBefore : Number.NEGATIVE_INFINITY;
    this.maxFutureMillis = eventTime.maxFutureMinutes * 60_000;
    const sourceOf = new Map(Object.entries(declaration.renames).map(([source, field]) => [field, source]));
    this.fields = Object.entries(declaration.fields).map(([name, field]) => {
      const source = sourceOf.get(name) ?? name;
      const converters = this.converters(name, field, declaration.nullValues);
      if (this.capturedFields.includes(name)) {
        const fromPath = this.pathConverter(name, converters.convert);
        return { name, source, fromPath: true, path: null, convert: fromPath, typed: fromPath, rule: GENERAL };
      }
      return { name, source, fromPath: false, path: source.includes('.') ? source.split('.') : null, ...converters };
    });
    this.constants = Object.entries(declaration.constants);
    this.derivations = Object.entries(declaration.derived).map(([name, d]) => [name, derivation(d)]);
    this.recordFields = [
      ...this.fields.map((f) => f.name),
      ...this.constants.map(([name]) => name),
      ...this.derivations.map(([name]) => name),
    ];
    this.template = Object.fromEntries(this.fields.map((f) => [f.name, null]));
  }

  /** The same mapping for rows of one file, whose path gives the fields `files` captures. */
  forFile(file: FilePathValues): CompiledDataset {
    return new CompiledDataset(this.declaration, file);
  }

  /** Every column (or JSON key) some field reads. */
  sourceColumns(): string[] {
    return this.fields.filter((f) => !f.fromPath).map((f) => f.source);
  }

  /** Columns the header must have: those of required fields and of the event time. */
  requiredColumns(): string[] {
    return this.fields
      .filter((f) => {
        const field = this.declaration.fields[f.name];
        return !f.fromPath && field?.default === undefined && (field?.required || f.name === this.eventTimeField);
      })
      .map((f) => f.source);
  }

  /**
   * Fields a source may lack without any row failing, with the column or key each reads: optional
   * fields without a default (not those captured from the path). When their column is gone, every
   * record has null there.
   */
  optionalSources(): { field: string; source: string }[] {
    return this.fields
      .filter((f) => {
        const field = this.declaration.fields[f.name];
        return !f.fromPath && field?.default === undefined && !field?.required && f.name !== this.eventTimeField;
      })
      .map((f) => ({ field: f.name, source: f.source }));
  }

  /**
   * Binds the mapping to a CSV header. Columns that no field reads are ignored; a missing optional
   * column reads as no value.
   * @returns the mapper, or the required columns the header lacks
   */
  bindColumns(columns: readonly string[]): { map: CellMapper } | { missing: string[] } {
    const index = new Map<string, number>();
    columns.forEach((column, i) => {
      if (!index.has(column)) index.set(column, i);
    });
    const missing = this.requiredColumns().filter((column) => !index.has(column));
    if (missing.length > 0) return { missing };
    const positions = this.fields.map((f) => index.get(f.source) ?? -1);
    const width = columns.length;
    const map: CellMapper = (cells, now) => {
      if (cells.length !== width) {
        this.problem = {
          field: null,
          code: 'ragged_row',
          reason: `the row has ${cells.length} column${cells.length === 1 ? '' : 's'}, the header has ${width}; check the delimiter and quoting`,
        };
        return null;
      }
      const record: Record<string, FieldValue> = {};
      for (let i = 0; i < this.fields.length; i++) {
        const field = this.fields[i] as CompiledField;
        const at = positions[i] as number;
        const value = field.convert(at < 0 ? undefined : cells[at]);
        if (value === undefined) return null;
        record[field.name] = value;
      }
      return this.finish(record, now);
    };
    return { map };
  }

  /**
   * The value of one declared field as a record would hold it (trimmed, cased, typed), or undefined
   * when the value does not fit the field (see `problem`).
   */
  convertField(name: string, value: unknown): FieldValue | undefined {
    const field = this.fields.find((f) => f.name === name);
    if (field === undefined) throw new Error(`dataset ${this.id} has no field "${name}"`);
    return field.convert(value);
  }

  /** The column or JSON key (a dotted path for a nested value) a declared field reads. */
  sourceOf(name: string): string {
    const field = this.fields.find((f) => f.name === name);
    if (field === undefined) throw new Error(`dataset ${this.id} has no field "${name}"`);
    return field.source;
  }

  /** Maps a JSON object (an NDJSON line, an array element, an API item). */
  mapObject(source: Record<string, unknown>, now: number | undefined): TypedRecord | null {
    const record: Record<string, FieldValue> = {};
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i] as CompiledField;
      let raw = source[field.source];
      if (raw === undefined && field.path) raw = readPath(source, field.path);
      const value = field.convert(raw);
      if (value === undefined) return null;
      record[field.name] = value;
    }
    return this.finish(record, now);
  }

  /**
   * The JSON key of each declared field, in field order, for readers that pick values out of the
   * text themselves (see `mapSpans`); null when a field reads a nested path, or two fields one key.
   */
  flatKeys(): string[] | null {
    const keys = this.fields.map((f) => f.source);
    // Two fields reading one key (a rename onto another field's key) need the object itself.
    return this.fields.some((f) => f.path) || new Set(keys).size < keys.length ? null : keys;
  }

  /**
   * Maps a line scanned by `FlatJsonShapes` (slots in `flatKeys` order): the same record, or the
   * same problem, as `mapObject` of the line parsed by JSON.parse. Values of the usual kind for
   * their field are checked here, without copying numbers, timestamps or enum values out of the
   * text; any other goes through the field's converters.
   */
  mapSpans(text: string, spans: FlatSpans, now: number | undefined): TypedRecord | null {
    // A copy of a record with every field already present: the stores below then find their
    // property instead of growing the object one property at a time.
    const record: Record<string, FieldValue> = { ...this.template };
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const value = this.spanValue(fields[i] as CompiledField, i, text, spans);
      if (value === undefined) return null;
      record[(fields[i] as CompiledField).name] = value;
    }
    return this.finish(record, now);
  }

  /**
   * The value of field `i` of a scanned line. Values of the usual kind for their field are checked
   * here, without copying numbers, timestamps or enum values out of the text; any other goes
   * through the field's converters.
   */
  spanValue(field: CompiledField, i: number, text: string, spans: FlatSpans): FieldValue | undefined {
    const rule = field.rule;
    const kind = spans.kinds[i];
    if (kind === SpanKind.Number && rule.read === SpanRead.Number) {
      const number = spans.numbers[i] as number;
      if (number >= rule.low && number <= rule.high && (!rule.integer || Number.isSafeInteger(number))) return number;
    } else if (kind === SpanKind.String && rule.read === SpanRead.IsoTime) {
      const millis = (rule.iso as IsoTimeColumnParser).parse(text, spans.starts[i] as number, spans.ends[i] as number);
      if (typeof millis === 'number' && millis >= rule.low && millis <= rule.high) return millis;
    } else if (kind === SpanKind.String && rule.read === SpanRead.Text) {
      const value = spanText(rule, text, spans.starts[i] as number, spans.ends[i] as number);
      if (value !== undefined) return value;
    }
    if (kind === SpanKind.Number) return field.typed(spans.numbers[i] as number);
    if (kind === SpanKind.True || kind === SpanKind.False) return field.typed(kind === SpanKind.True);
    return field.convert(spans.value(text, i));
  }

  private finish(record: Record<string, FieldValue>, now: number | undefined): TypedRecord | null {
    for (let i = 0; i < this.constants.length; i++) {
      const [name, value] = this.constants[i] as [string, FieldValue];
      record[name] = value;
    }
    for (let i = 0; i < this.derivations.length; i++) {
      const [name, derive] = this.derivations[i] as [string, (r: Record<string, FieldValue>) => FieldValue];
      record[name] = derive(record);
    }
    const eventTime = record[this.eventTimeField];
    return this.checkEventTime(typeof eventTime === 'number' ? eventTime : null, now) ? record : null;
  }

  /** Whether a record's event time is present and in range; when not, records the problem. */
  checkEventTime(eventTime: number | null, now: number | undefined): boolean {
    if (eventTime === null) {
      this.fail(this.eventTimeField, 'missing_event_time', `the event time "${this.eventTimeField}" has no value`);
      return false;
    }
    if (eventTime < this.notBefore) {
      this.fail(
        this.eventTimeField,
        'event_time_out_of_range',
        `event time ${iso(eventTime)} is before ${iso(this.notBefore)} (eventTime.notBefore): a zero or default date upstream?`,
      );
      return false;
    }
    if (now !== undefined && eventTime > now + this.maxFutureMillis) {
      this.fail(
        this.eventTimeField,
        'event_time_out_of_range',
        `event time ${iso(eventTime)} is more than ${this.maxFutureMillis / 60_000} minutes after the read time ${iso(now)} (eventTime.maxFutureMinutes): a clock or time zone error upstream?`,
      );
      return false;
    }
    return true;
  }

  private fail(field: string | null, code: RowReasonCode, reason: string): null {
    this.problem = { field, code, reason };
    return null;
  }

  /**
   * The converter of a field captured from the path: the path's text typed once for the whole file
   * (trimmed, nulls, default, validation as for a cell), or the problem every row then has.
   */
  private pathConverter(name: string, convert: Converter): Converter {
    const text = this.file?.values[name];
    const value = convert(text);
    if (value !== undefined) return () => value;
    const where = this.file
      ? text === undefined
        ? `the path ${this.file.path} matches no pattern of "files" that captures it`
        : `in the path ${this.file.path}`
      : 'this input has no file path (an API page, a pushed batch) and the field no default';
    const problem: RowProblem = {
      ...this.problem,
      reason: `${this.problem.reason} ("${name}" comes from the file's path: ${where})`,
    };
    return () => {
      this.problem = problem;
      return undefined;
    };
  }

  /** The converters of a field, and the checks `mapSpans` makes itself. */
  private converters(
    name: string,
    field: FieldDeclaration,
    datasetNulls: readonly string[],
  ): { convert: Converter; typed: Converter; rule: SpanRule } {
    const typed = this.typedConverter(name, field);
    const convert = this.converter(name, field, datasetNulls, typed);
    return { convert, typed, rule: spanRule(field, field.nullValues ?? datasetNulls) };
  }

  private converter(
    name: string,
    field: FieldDeclaration,
    datasetNulls: readonly string[],
    typed: Converter,
  ): Converter {
    const nulls = new Set(field.nullValues ?? datasetNulls);
    // The usual setting ([""]) needs no hashing of every value.
    const onlyEmpty = nulls.size === 1 && nulls.has('');
    const noNulls = nulls.size === 0;
    const trim = field.trim;
    const required = field.required;
    const fail = (code: RowReasonCode, reason: string) => this.fail(name, code, reason) ?? undefined;
    let fallback: FieldValue | undefined;
    if (field.default !== undefined) {
      fallback = typed(field.default);
      if (fallback === undefined) {
        throw new DatasetDeclarationError(`dataset ${this.id}`, [`fields.${name}.default: ${this.problem.reason}`]);
      }
    }
    return (value) => {
      if (typeof value === 'string') {
        let text = value;
        if (
          trim &&
          text.length > 0 &&
          (isSpaceCode(text.charCodeAt(0)) || isSpaceCode(text.charCodeAt(text.length - 1)))
        ) {
          text = text.trim();
        }
        if (onlyEmpty ? text.length === 0 : !noNulls && nulls.has(text)) value = null;
        else value = text;
      }
      if (value === undefined || value === null) {
        if (fallback !== undefined) return fallback;
        return required ? fail('missing_required', `required field "${name}" has no value`) : null;
      }
      return typed(value);
    };
  }

  /** Converts a present, non-null value (text already trimmed) and validates it. */
  private typedConverter(name: string, field: FieldDeclaration): Converter {
    const fail: Fail = (code, reason) => this.fail(name, code, reason) ?? undefined;
    switch (field.type) {
      case 'string':
        return textConverter(name, field, fail);
      case 'number':
      case 'integer':
        return numberConverter(name, field, fail);
      case 'boolean':
        return booleanConverter(name, field, fail);
      case 'timestamp':
        return timestampConverter(name, field, fail);
    }
  }
}

/** Records a row's problem with a field; gives undefined, a converter's "the row failed". */
type Fail = (code: RowReasonCode, reason: string) => undefined;

type FieldOf<T extends FieldDeclaration['type']> = Extract<FieldDeclaration, { type: T }>;

function textConverter(name: string, field: FieldOf<'string'>, fail: Fail): Converter {
  const allowed = field.enum ? new Set(field.enum) : null;
  const pattern = field.pattern !== undefined ? new RegExp(`^(?:${field.pattern})$`) : null;
  const { minLength, maxLength } = field;
  const toCase = field.case;
  return (value) => {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else return fail('invalid_type', `"${name}" should be text, got ${describeValue(value)}`);
    if (toCase === 'lower') text = text.toLowerCase();
    else if (toCase === 'upper') text = text.toUpperCase();
    if (allowed && !allowed.has(text)) {
      return fail(
        'not_in_enum',
        `"${name}" is ${describeValue(text)}, not one of ${[...allowed].map((v) => `"${v}"`).join(', ')}`,
      );
    }
    if (pattern && !pattern.test(text)) {
      return fail('pattern_mismatch', `"${name}" is ${describeValue(text)}, which does not match ${field.pattern}`);
    }
    if (minLength !== undefined && text.length < minLength) {
      return fail('invalid_length', `"${name}" has ${text.length} characters, fewer than ${minLength}`);
    }
    if (maxLength !== undefined && text.length > maxLength) {
      return fail('invalid_length', `"${name}" has ${text.length} characters, more than ${maxLength}`);
    }
    return text;
  };
}

function numberConverter(name: string, field: FieldOf<'number' | 'integer'>, fail: Fail): Converter {
  const integer = field.type === 'integer';
  const comma = field.type === 'number' && field.decimalSeparator === ',';
  const { min, max } = field;
  const code = integer ? 'invalid_integer' : 'invalid_number';
  const expected = integer ? 'a whole number' : 'a number';
  return (value) => {
    let number: number;
    if (typeof value === 'number') number = value;
    else if (typeof value === 'string') {
      if (comma) number = NUMERIC_COMMA.test(value) ? Number(value.replace(',', '.')) : Number.NaN;
      else number = NUMERIC.test(value) ? Number(value) : Number.NaN;
    } else return fail(code, `"${name}" should be ${expected}, got ${describeValue(value)}`);
    if (!Number.isFinite(number)) return fail(code, `"${name}" should be ${expected}, got ${describeValue(value)}`);
    if (integer && !Number.isSafeInteger(number)) {
      return fail(code, `"${name}" should be ${expected}, got ${describeValue(value)}`);
    }
    if (min !== undefined && number < min) return fail('out_of_range', `"${name}" is ${number}, below ${min}`);
    if (max !== undefined && number > max) return fail('out_of_range', `"${name}" is ${number}, above ${max}`);
    return number;
  };
}

function booleanConverter(name: string, field: FieldOf<'boolean'>, fail: Fail): Converter {
  const fold = (s: string) => (field.caseSensitive ? s : s.toLowerCase());
  const spellings = new Map<string, boolean>();
  for (const s of field.trueValues ?? DEFAULT_TRUE_VALUES) spellings.set(fold(s), true);
  for (const s of field.falseValues ?? DEFAULT_FALSE_VALUES) spellings.set(fold(s), false);
  const listed = [...spellings.keys()].map((s) => `"${s}"`).join(', ');
  return (value) => {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' || typeof value === 'number') {
      const result = spellings.get(fold(String(value)));
      if (result !== undefined) return result;
    }
    return fail('invalid_boolean', `"${name}" is ${describeValue(value)}, which is none of ${listed}`);
  };
}

function timestampConverter(name: string, field: FieldOf<'timestamp'>, fail: Fail): Converter {
  const parse = timestampParser(field.format, field.timezone);
  const min = field.min !== undefined ? parseIso8601(field.min) : undefined;
  const max = field.max !== undefined ? parseIso8601(field.max) : undefined;
  // Rows of one source often share a timestamp (hourly reports): the last one is remembered.
  let lastText: string | number | undefined;
  let lastMillis = 0;
  return (value) => {
    if (typeof value !== 'string' && typeof value !== 'number') {
      return fail(
        'invalid_timestamp',
        `"${name}" should be a timestamp (${field.format}), got ${describeValue(value)}`,
      );
    }
    let millis: number | string;
    if (value === lastText) millis = lastMillis;
    else {
      millis = parse(value);
      if (typeof millis === 'number') {
        lastText = value;
        lastMillis = millis;
      }
    }
    if (typeof millis === 'string') return fail('invalid_timestamp', `"${name}": ${millis} (format ${field.format})`);
    if (typeof min === 'number' && millis < min) {
      return fail('out_of_range', `"${name}" is ${iso(millis)}, before ${field.min}`);
    }
    if (typeof max === 'number' && millis > max) {
      return fail('out_of_range', `"${name}" is ${iso(millis)}, after ${field.max}`);
    }
    return millis;
  };
}

/** Enums up to this size are matched value by value in the text. */
const MAX_SCANNED_ENUM = 16;

const GENERAL: SpanRule = {
  read: SpanRead.General,
  low: -Number.MAX_VALUE,
  high: Number.MAX_VALUE,
  integer: false,
  iso: null,
  allowed: null,
  trim: false,
  orNull: false,
};

/** The checks that stand for a field's converters on values of its usual kind. */
function spanRule(field: FieldDeclaration, nulls: readonly string[]): SpanRule {
  // Only "" (or nothing) may mean null: a value that is not blank then never does.
  if (nulls.some((text) => text !== '')) return GENERAL;
  const orNull = field.default === undefined && !field.required;
  switch (field.type) {
    case 'number':
    case 'integer':
      return {
        ...GENERAL,
        orNull,
        read: SpanRead.Number,
        low: field.min ?? -Number.MAX_VALUE,
        high: field.max ?? Number.MAX_VALUE,
        integer: field.type === 'integer',
      };
    case 'timestamp': {
      if (field.format !== 'iso8601') return GENERAL;
      // Text that parses as ISO-8601 is not blank and has no space to trim.
      const min = field.min !== undefined ? parseIso8601(field.min) : undefined;
      const max = field.max !== undefined ? parseIso8601(field.max) : undefined;
      return {
        ...GENERAL,
        orNull,
        read: SpanRead.IsoTime,
        low: typeof min === 'number' ? min : Number.NEGATIVE_INFINITY,
        high: typeof max === 'number' ? max : Number.POSITIVE_INFINITY,
        iso: new IsoTimeColumnParser(offsetMinutes(field.timezone)),
      };
    }
    case 'string':
      if (field.case !== undefined || field.pattern !== undefined) return GENERAL;
      if (field.minLength !== undefined || field.maxLength !== undefined) return GENERAL;
      // A long enum is looked up by the converters' hash set rather than value by value.
      if (field.enum !== undefined && field.enum.length > MAX_SCANNED_ENUM) return GENERAL;
      return { ...GENERAL, orNull, read: SpanRead.Text, allowed: field.enum ?? null, trim: field.trim };
    case 'boolean':
      return { ...GENERAL, orNull, read: SpanRead.Boolean };
  }
}

/**
 * A JSON string in a text field, checked in place: the text (an enum's own string when it is one
 * of the allowed values, so that it needs no copy nor hashing), or undefined when the converters
 * must judge it (empty, a space to trim, not allowed).
 */
function spanText(rule: SpanRule, text: string, start: number, end: number): string | undefined {
  if (end <= start) return undefined;
  if (rule.trim && (isSpaceCode(text.charCodeAt(start)) || isSpaceCode(text.charCodeAt(end - 1)))) return undefined;
  const allowed = rule.allowed;
  if (allowed === null) return text.slice(start, end);
  const length = end - start;
  for (let a = 0; a < allowed.length; a++) {
    const candidate = allowed[a] as string;
    if (candidate.length === length && sameText(text, start, candidate)) return candidate;
  }
  return undefined;
}

/** Whether `text` holds `candidate` at `start` (a loop: faster than `startsWith` for a few characters). */
export function sameText(text: string, start: number, candidate: string): boolean {
  for (let i = 0; i < candidate.length; i++) if (text.charCodeAt(start + i) !== candidate.charCodeAt(i)) return false;
  return true;
}

/** A mapper bound to a CSV header: cells in, a record or null (see `CompiledDataset.problem`) out. */
export type CellMapper = (cells: readonly string[], now: number | undefined) => TypedRecord | null;

export function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || c === 0xfeff;
}

function readPath(source: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = source;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function derivation(d: DerivedFieldDeclaration): (record: Record<string, FieldValue>) => FieldValue {
  switch (d.kind) {
    case 'equals':
      return (record) => record[d.field] === d.value;
    case 'in': {
      const values = new Set(d.values);
      return (record) => values.has(record[d.field] ?? null);
    }
    case 'concat':
      return (record) => {
        const parts: string[] = [];
        for (const name of d.fields) {
          const value = record[name];
          if (value !== null && value !== undefined && value !== '') parts.push(String(value));
        }
        return parts.length > 0 ? parts.join(d.separator) : null;
      };
    case 'coalesce':
      return (record) => {
        for (const name of d.fields) {
          const value = record[name];
          if (value !== null && value !== undefined) return value;
        }
        return d.default ?? null;
      };
  }
}

function iso(millis: number): string {
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? String(millis) : date.toISOString();
}

/** Compiles a validated declaration. */
export function compileDataset(declaration: DatasetDeclaration): CompiledDataset {
  return new CompiledDataset(declaration);
}

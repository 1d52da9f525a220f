// Property: the NDJSON reader's byte path (lines of ASCII checked by a learned compact shape and
// written from the UTF-8 bytes into columns: in one pass by the plan of the last line's shape,
// byte-line.ts, or in two, flat-json-bytes.ts `scanBytes` then columnar.ts `mapBytesInto`)
// accepts only lines the text path accepts, with the same values, and a read through it gives the
// records, quarantined rows (line, field, reason), counts and warnings of the row path, on hostile
// input: escapes, non-ASCII and surrogate pairs, control characters, CR, CRLF and lone CR, a BOM,
// exponents, -0, overlong numbers, leading zeros, duplicate keys, values of the wrong kind, lines
// cut off, chunks cut inside a character, lines over the row limit.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatasetDeclarationInput } from '../../../src/domain/dataset';
import { ColumnarMapping, columnarReading } from '../../../src/domain/dataset/columnar';
import { FlatJsonShapes, FlatSpans, SpanKind } from '../../../src/domain/dataset/flat-json';
import { scanBytes } from '../../../src/domain/dataset/flat-json-bytes';
import type { CompiledDataset } from '../../../src/domain/dataset/mapping';
import { readDataset } from '../../../src/domain/dataset/reader';
import type { QuarantinedRow, TypedRecord } from '../../../src/domain/records';
import { chunked, declare } from '../../support/datasets';

const KEYS = ['at', 'campaign', 'variant', 'qty', 'amount', 'ok', 'note'];
const BASE = {
  at: '2026-06-01T10:00:00.000Z',
  campaign: 'c-1',
  variant: 'agent',
  qty: 3,
  amount: 1.5,
  ok: true,
  note: 'x',
};

/** Raw JSON value texts, valid and not: what a line may hold in place of a value. */
const rawValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '"2026-06-01T10:00:00.000Z"',
      '"2026-06-01T23:59:59Z"',
      '"2026-06-02T00:00:00.5Z"',
      '"2026-06-01 10:00"',
      '"2026-02-30T00:00:00Z"',
      '"1999-12-31T23:59:59.000Z"',
      '"2019-06-01T00:00:00.000Z"',
      '"2027-01-01T00:00:00.000Z"',
      '"c-1"',
      '"c-2"',
      '"agent"',
      '"control"',
      '"Agent"',
      '""',
      '" c-1"',
      '"c-1 "',
      '0',
      '-0',
      '7',
      '-3',
      '1.5',
      '0.1',
      '-0.0',
      '123456789012345',
      '1234567890123456',
      '0.12345678901234567',
      '9007199254740993',
      'true',
      'false',
      'null',
    ),
  },
  fc.constantFrom(
    '"a\\"b"',
    '"back\\\\slash"',
    '"\\u0063-1"',
    '"tab\there"',
    '"new\\nline"',
    '"vidéo"',
    '"😀"',
    '"\\ud83d\\ude00"',
    '"\u007f"',
    '1e5',
    '2E-2',
    '2.5e+3',
    '-1E0',
    '01',
    '-',
    '1.',
    '.5',
    '+1',
    '--1',
    'tru',
    'nul',
    'falsey',
    'True',
    'NaN',
    'Infinity',
    '"unterminated',
    '[1]',
    '{"a":1}',
    '',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.string({ maxLength: 5 }).map((t) => JSON.stringify(t)),
  fc.string({ unit: 'binary', maxLength: 4 }).map((t) => `"${t}"`),
);

/** A line: the base shape's keys with hostile values, then perhaps cut, spaced, or with a key twice. */
const hostileLine = fc
  .record({
    values: fc.array(fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, rawValue), {
      minLength: KEYS.length,
      maxLength: KEYS.length,
    }),
    cut: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, fc.nat()),
    pad: fc.constantFrom('', '', '', ' ', '\t', ' \t'),
    duplicate: fc.boolean(),
    tail: fc.constantFrom('', '', '', '}', ',', ' x', '\r'),
  })
  .map(({ values, cut, pad, duplicate, tail }) => {
    const parts = KEYS.map(
      (key, k) => `${JSON.stringify(key)}:${values[k] ?? JSON.stringify(BASE[key as keyof typeof BASE])}`,
    );
    if (duplicate) parts.splice(2, 0, parts[1] as string);
    let line = `${pad}{${parts.join(',')}}${tail}${pad}`;
    if (cut !== undefined) line = line.slice(0, cut % (line.length + 1));
    return line;
  });

function spanValue(kind: number, number: number, text: string): unknown {
  switch (kind) {
    case SpanKind.String:
      return text;
    case SpanKind.Number:
      return number;
    case SpanKind.True:
      return true;
    case SpanKind.False:
      return false;
    case SpanKind.Null:
      return null;
    default:
      return undefined;
  }
}

describe('scanBytes (flat-json-bytes.ts)', () => {
  it('accepts only lines JSON.parse and scan accept, with their values, and most plain lines', () => {
    const decoder = new TextDecoder();
    let accepted = 0;
    fc.assert(
      fc.property(hostileLine, fc.constantFrom('', '\n', '\r\n', '\r', 'x'), (hostile, next) => {
        const shapes = new FlatJsonShapes(KEYS);
        shapes.learn(BASE, JSON.stringify(BASE));
        const bytes = new TextEncoder().encode(hostile + next);
        const byteSpans = new FlatSpans(KEYS.length);
        const end = scanBytes(shapes, bytes, 0, byteSpans);
        // A line is checked when its text ends on a line break, or at the end of the input.
        if (end < 0 || !(end === bytes.length || bytes[end] === 10 || bytes[end] === 13)) return;
        accepted += 1;
        // What was checked is ASCII: its characters are its bytes.
        const line = hostile.slice(0, end);
        expect(line.length).toBe(end);
        const textSpans = new FlatSpans(KEYS.length);
        expect(shapes.scan(line, 0, line.length, textSpans), line).toBe(true);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        KEYS.forEach((key, slot) => {
          const kind = byteSpans.kinds[slot] as number;
          expect(kind, `${line}: ${key}`).toBe(textSpans.kinds[slot]);
          const text = decoder.decode(bytes.subarray(byteSpans.starts[slot], byteSpans.ends[slot]));
          const value = spanValue(kind, byteSpans.numbers[slot] as number, text);
          expect(Object.is(value, parsed[key]), `${line}: ${key} is ${String(value)}, not ${String(parsed[key])}`).toBe(
            true,
          );
          expect(Object.is(value, textSpans.value(line, slot)), `${line}: ${key}`).toBe(true);
        });
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });

  it('refuses a line of a shape learned with spaces, or with keys of more than ASCII, which the text path reads', () => {
    const spaced = new FlatJsonShapes(['a', 'b']);
    spaced.learn({ a: 1, b: 2 }, '{"a": 1, "b": 2}');
    const line = new TextEncoder().encode('{"a":1,"b":2}');
    expect(scanBytes(spaced, line, 0, new FlatSpans(2))).toBe(-1);
    const accented = new FlatJsonShapes(['é', 'b']);
    accented.learn({ é: 1, b: 2 }, '{"é":1,"b":2}');
    const other = new TextEncoder().encode('{"é":1,"b":2}');
    expect(scanBytes(accented, other, 0, new FlatSpans(2))).toBe(-1);
    const text = new FlatSpans(2);
    expect(accented.scan('{"é":1,"b":2}', 0, 13, text)).toBe(true);
    expect(text.numbers[1]).toBe(2);
  });
});

const FIELDS = {
  at: { type: 'timestamp', required: true, min: '2020-01-01T00:00:00Z' },
  campaign: { type: 'string', required: true },
  variant: { type: 'string', required: true, enum: ['agent', 'control'] },
  qty: { type: 'integer', min: 0 },
  amount: { type: 'number' },
  ok: { type: 'boolean' },
  note: { type: 'string', trim: true },
} satisfies DatasetDeclarationInput['fields'];
const NOW = Date.parse('2026-07-01T00:00:00Z');

/** A file of plain and hostile lines, with LF, CRLF or lone CR breaks, perhaps a BOM. */
const file = fc
  .record({
    lines: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(JSON.stringify(BASE)) },
        {
          weight: 3,
          arbitrary: fc
            .record({
              at: fc.constantFrom(
                '2026-06-01T10:00:00.000Z',
                '2026-06-01T10:00:00.001Z',
                '2026-06-01T23:59:59Z',
                '2026-06-02T00:00:00.000Z',
                '2019-12-31T23:59:59.999Z',
                '2026-07-01T00:05:00.000Z',
              ),
              qty: fc.integer({ min: -2, max: 99 }),
              amount: fc.integer({ min: -500, max: 500 }),
              campaign: fc.constantFrom('c-1', 'c-2'),
            })
            .map((v) => JSON.stringify({ ...BASE, ...v, amount: v.amount / 10 })),
        },
        { weight: 4, arbitrary: hostileLine },
        // Another key order: a second shape, which lines of the first one's plan are tried against.
        fc
          .record({ qty: fc.integer({ min: -1, max: 9 }), note: fc.constantFrom('y', ' y', '') })
          .map(({ qty, note }) => JSON.stringify(Object.assign({ note }, BASE, { qty, note }))),
        // Near the row limit (1024): in bytes, or in bytes but not in characters.
        fc
          .tuple(fc.integer({ min: 940, max: 1000 }), fc.constantFrom('n', 'é'))
          .map(([length, letter]) =>
            JSON.stringify({ ...BASE, note: letter.repeat(letter === 'n' ? length : length / 2) }),
          ),
        fc.constantFrom('', '   ', '{', 'null', '[1]', '"text"'),
      ),
      { minLength: 1, maxLength: 80, size: 'max' },
    ),
    breaks: fc.array(fc.constantFrom('\n', '\n', '\r\n', '\r'), { minLength: 80, maxLength: 80 }),
    bom: fc.boolean(),
    finalBreak: fc.boolean(),
  })
  .map(({ lines, breaks, bom, finalBreak }) => {
    const body = lines.map((line, i) => line + (i < lines.length - 1 || finalBreak ? breaks[i] : '')).join('');
    return (bom ? '\uFEFF' : '') + body;
  });

async function read(dataset: CompiledDataset, bytes: Uint8Array, chunk: number, batchRows: number, columns: boolean) {
  const reading = readDataset(
    dataset,
    chunked(bytes, chunk),
    { source: 'test://s', file: 'f' },
    { now: NOW, batchRows, ...(columns ? { columns: columnarReading } : {}) },
  );
  const records: TypedRecord[] = [];
  const quarantined: QuarantinedRow[] = [];
  for await (const batch of reading) {
    records.push(...batch.records);
    quarantined.push(...batch.quarantined);
  }
  return { records, quarantined, summary: reading.summary() };
}

describe('NDJSON read from bytes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the records, quarantined rows, counts and warnings of the row path', async () => {
    const datasets = [1 << 16, 1024].map((maxRowBytes) =>
      declare({ format: { type: 'ndjson', maxRowBytes }, fields: FIELDS }),
    );
    const mapped = vi.spyOn(ColumnarMapping.prototype, 'mapBytesInto');
    const read1 = vi.spyOn(ColumnarMapping.prototype, 'readLineInto');
    let onePass = 0;
    let twoPasses = 0;
    await fc.assert(
      fc.asyncProperty(
        file,
        // Small pieces too, so that pieces end inside characters, between a CR and its LF.
        fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 400 })),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 1),
        async (text, chunk, batchRows, which) => {
          // An empty file (one empty line) is unreadable on both paths alike (read-limits tests it).
          fc.pre(text.length > 0);
          const dataset = datasets[which] as CompiledDataset;
          const bytes = new TextEncoder().encode(text);
          const rows = await read(dataset, bytes, chunk, batchRows, false);
          mapped.mockClear();
          read1.mockClear();
          const columns = await read(dataset, bytes, chunk, batchRows, true);
          twoPasses += mapped.mock.results.filter((r) => r.value === true).length;
          onePass += read1.mock.results.filter((r) => (r.value as number) >= 0).length;
          expect(columns.records.length).toBe(rows.records.length);
          columns.records.forEach((record, i) => {
            const expected = rows.records[i] as TypedRecord;
            expect(Object.keys(record)).toEqual(Object.keys(expected));
            for (const key of Object.keys(expected))
              expect(
                Object.is(record[key], expected[key]),
                `record ${i}, ${key}: ${record[key]} vs ${expected[key]}`,
              ).toBe(true);
          });
          expect(columns.quarantined).toEqual(rows.quarantined);
          expect(columns.summary).toEqual(rows.summary);
        },
      ),
      { numRuns: 400 },
    );
    // The property is about the byte path: many rows took it, in one pass and in two.
    expect(onePass).toBeGreaterThan(300);
    expect(twoPasses).toBeGreaterThan(30);
  });
});

// Property: the byte path's one pass (byte-line.ts, `ColumnarMapping.readLineInto`) accepts a line
// only when the two-pass path (`scanBytes`, then `ColumnarMapping.mapBytesInto`) accepts it, ends it
// at the same byte and writes the same values, and takes every line that path takes when the file
// has one shape; on hostile lines: escapes, non-ASCII and surrogate pairs, control bytes, exponents,
// -0, numbers at the edges of the fast reader and of the field bounds, leading zeros, keys twice,
// values of the wrong kind, nulls, spaces around, lines cut anywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatasetDeclarationInput } from '../../../src/domain/dataset';
import { ColumnarMapping } from '../../../src/domain/dataset/columnar';
import { ColumnBatch, ColumnKind, type ColumnLayout } from '../../../src/domain/dataset/columns';
import { FlatJsonShapes, FlatSpans } from '../../../src/domain/dataset/flat-json';
import { scanBytes } from '../../../src/domain/dataset/flat-json-bytes';
import type { CompiledDataset } from '../../../src/domain/dataset/mapping';
import { declare } from '../../support/datasets';

const BASE = {
  at: '2026-06-01T10:00:00.000Z',
  campaign: 'c-1',
  variant: 'agent',
  qty: 3,
  amount: 1.5,
  ok: true,
  note: 'x',
};
const KEYS = Object.keys(BASE);
const NOW = Date.parse('2026-07-01T00:00:00Z');

const FIELDS = {
  at: { type: 'timestamp', required: true, min: '2020-01-01T00:00:00Z' },
  campaign: { type: 'string', required: true },
  variant: { type: 'string', required: true, enum: ['agent', 'control'] },
  qty: { type: 'integer', min: 0, max: 1_000_000 },
  amount: { type: 'number', min: -50, max: 50 },
  ok: { type: 'boolean' },
  note: { type: 'string', trim: true },
} satisfies DatasetDeclarationInput['fields'];
const { note: _note, ...withoutNote } = FIELDS;

/**
 * Declarations the lines are read with: every key a field; `at` without bounds (the event time's
 * own bounds judge it); `note` read by no field; fields no key fills.
 */
const DATASETS = {
  all: FIELDS,
  unbounded: { ...FIELDS, at: { type: 'timestamp', required: true } },
  skipsNote: withoutNote,
  oddEnum: {
    ...FIELDS,
    variant: {
      type: 'string',
      required: true,
      enum: ['agent', '', 'control', 'a', 'agents', ' x', 'x ', 'vidéo', 'q"t', 'b\\s', '\u007f', 'c-1'],
    },
  },
  untrimmedEnum: { ...FIELDS, variant: { type: 'string', trim: false, enum: ['agent', ' x', 'x '] } },
  extraField: { ...FIELDS, extra: { type: 'number' }, tag: { type: 'string' }, flag: { type: 'boolean' } },
} satisfies Record<string, DatasetDeclarationInput['fields']>;

/** Raw JSON value texts, valid and not. */
const rawValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '"2026-06-01T10:00:00.000Z"',
      '"2026-06-01T23:59:59Z"',
      '"2026-06-01T10:00:00.5Z"',
      '"2026-06-02T00:00:00.000Z"',
      '"2026-06-01T24:00:00.000Z"',
      '"2026-06-01T10:60:00.000Z"',
      '"2026-06-01T10:00:00.000+02:00"',
      '"2026-06-01 10:00"',
      '"2019-12-31T23:59:59.999Z"',
      '"2026-07-01T00:00:00.001Z"',
      '"2026-07-01T01:00:00.000Z"',
      '"2026-07-02T00:00:00.000Z"',
      '"2000-01-01T00:00:00.000Z"',
      '"1999-12-31T23:59:59.999Z"',
      '"c-1"',
      '"c-2"',
      '"agent"',
      '"control"',
      '"agents"',
      '"a"',
      '"q\\"t"',
      '"b\\\\s"',
      '"\u007f"',
      '"Agent"',
      '""',
      '" x"',
      '"x "',
      '0',
      '-0',
      '7',
      '-3',
      '1.5',
      '-50',
      '50',
      '50.000000000001',
      '1000000',
      '1000001',
      '0.1',
      '-0.0',
      '2.50',
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
    '"q"t"',
    '"b\\s"',
    '" x"',
    '"back\\\\slash"',
    '"\\u0063-1"',
    '"tab\there"',
    '"new\\nline"',
    '"vidéo"',
    '"😀"',
    '"\\ud83d\\ude00"',
    '"\\ud83d"',
    '"\u007f"',
    '"\u0001"',
    '1e5',
    '2E-2',
    '2.5e+3',
    '01',
    '-',
    '1.',
    '.5',
    '+1',
    '--1',
    'tru',
    'nul',
    'nulll',
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
  fc.integer({ min: -1_000_001, max: 1_000_001 }).map(String),
  fc.string({ maxLength: 5 }).map((t) => JSON.stringify(t)),
  fc.string({ unit: 'binary', maxLength: 4 }).map((t) => `"${t}"`),
);

/** A line of the base shape with hostile values, perhaps cut, spaced, with a key twice or a key renamed. */
const hostileLine = fc
  .record({
    values: fc.array(fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, rawValue), {
      minLength: KEYS.length,
      maxLength: KEYS.length,
    }),
    cut: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, fc.nat()),
    pad: fc.constantFrom('', '', '', ' ', '\t', ' \t'),
    duplicate: fc.boolean(),
    renamed: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.nat({ max: KEYS.length - 1 })),
    close: fc.constantFrom('}', '}', '}', '}', '}', '', ']', ' }'),
    tail: fc.constantFrom('', '', '', '}', ',', ' x', '\r', ' '),
  })
  .map(({ values, cut, pad, duplicate, renamed, close, tail }) => {
    const parts = KEYS.map(
      (key, k) =>
        `${JSON.stringify(k === renamed ? `${key}_` : key)}:${values[k] ?? JSON.stringify(BASE[key as keyof typeof BASE])}`,
    );
    if (duplicate) parts.splice(2, 0, parts[1] as string);
    let line = `${pad}{${parts.join(',')}${close}${tail}${pad}`;
    if (cut !== undefined) line = line.slice(0, cut % (line.length + 1));
    return line;
  });

/** `usual` half the time, else any of `others`. */
function mostly(usual: string, others: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constant(usual), fc.constantFrom(...others));
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function reader(fields: DatasetDeclarationInput['fields']) {
  const dataset = declare({ format: { type: 'ndjson' }, fields }) as CompiledDataset;
  const keys = dataset.flatKeys() as string[];
  const shapes = new FlatJsonShapes(keys);
  shapes.learn(BASE, JSON.stringify(BASE));
  const columnar = new ColumnarMapping(dataset);
  const layout = columnar.columnLayout() as ColumnLayout;
  const shape = shapes.firstByteShape();
  if (shape === null) throw new Error('no byte shape learned');
  return { columnar, shapes, layout, keys, plan: columnar.linePlan(shape) };
}

describe('ColumnarMapping.readLineInto', () => {
  it('accepts exactly the lines scanBytes and mapBytesInto accept, ending them alike, with the same values', () => {
    const readers = Object.values(DATASETS).map(reader);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        hostileLine,
        fc.constantFrom('\n', '\r\n', '\r', 'x', '"', ''),
        fc.nat({ max: readers.length - 1 }),
        fc.nat({ max: 7 }),
        fc.nat({ max: 5 }),
        (hostile, next, which, offset, start) => {
          const { columnar, shapes, layout, keys, plan } = readers[which] as ReturnType<typeof reader>;
          if (plan === null) throw new Error('every dataset here has a plan');
          // The line at `start` of a view that starts at `offset` in its buffer (words are read unaligned).
          const line = new TextEncoder().encode(hostile + next);
          const buffer = new Uint8Array(offset + start + line.length).fill(10);
          buffer.set(line, offset + start);
          const bytes = buffer.subarray(offset);
          const one = new ColumnBatch(layout, 1);
          const end = columnar.readLineInto(plan, bytes, viewOf(bytes), start, NOW, one);
          const two = new ColumnBatch(layout, 1);
          const spans = new FlatSpans(keys.length);
          const scanned = scanBytes(shapes, bytes, start, spans);
          const mapped = scanned >= 0 && columnar.mapBytesInto(bytes, spans, NOW, two);
          expect(end >= 0, `${hostile}: one pass ${end}, two passes ${scanned} ${mapped}`).toBe(mapped);
          if (end < 0) {
            refused += 1;
            return;
          }
          accepted += 1;
          expect(end).toBe(scanned);
          layout.fields.forEach((field, i) => {
            const ours = one.value(i, 0);
            const theirs = two.value(i, 0);
            expect(Object.is(ours, theirs), `${hostile}: ${field} is ${String(ours)}, not ${String(theirs)}`).toBe(
              true,
            );
          });
        },
      ),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(400);
  });

  it('reads texts, enum values and times as the two passes read them, line after line in one batch', () => {
    const readers = [DATASETS.oddEnum, DATASETS.untrimmedEnum, DATASETS.all].map(reader);
    const variants = [
      ...['agent', '', 'control', 'a', 'agents', ' x', 'x ', 'vidéo', 'q"t', 'b\\s', '\u007f', 'c-1'].map((v) =>
        JSON.stringify(v),
      ),
      '"q"t"',
      '"b\\s"',
      '"agent\\"',
      '"agent',
      '"ag"',
      'null',
    ];
    const times = [
      '"2026-06-01T10:00:00.000Z"',
      '"2026-06-01T10:00:00.001Z"',
      '"2026-06-02T00:00:00.000Z"',
      '"2026-06-01T10:00:00Z"',
      '"2026-06-01T10:00:00.000Z\\"',
      '"2026-06-01T10:00:00.000Zx"',
      '"2026-06-01T10:00:00.000Zx',
      '"2026-06-01T10:00:00.000"',
      '"2026-06-01T10:00:00.0000Z"',
      '"2026-06-01T10:00:00.000+00:00"',
      '"2026-06-01t10:00:00.000Z"',
    ];
    /** Values of `campaign` (trimmed, no enum) and `note` (trimmed, not required). */
    const texts = ['c-1', 'c-2', ' c-1', 'c-1 ', '', 'c 1', 'c\\1', 'c"1', 'cé', '\u007f', '\u0001'].map((v) =>
      JSON.stringify(v),
    );
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: readers.length - 1 }),
        fc.array(
          fc.tuple(
            mostly('"agent"', variants),
            mostly(`"${BASE.at}"`, times),
            mostly('"c-1"', texts),
            mostly('"x"', [...texts, 'null']),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (which, lines) => {
          const { columnar, shapes, layout, keys, plan } = readers[which] as ReturnType<typeof reader>;
          // All lines through one pass into one batch, then through two into another: each batch
          // keeps its enum codes from line to line.
          const lineTexts = lines.map(
            ([variant, time, campaign, note]) =>
              `${JSON.stringify(BASE)
                .replace('"agent"', variant)
                .replace(`"${BASE.at}"`, time)
                .replace('"c-1"', campaign)
                .replace('"x"', note)}\n`,
          );
          const one = new ColumnBatch(layout, 1);
          const ends = lineTexts.map((text) => {
            const bytes = new TextEncoder().encode(text);
            one.reserve();
            const end = columnar.readLineInto(plan as NonNullable<typeof plan>, bytes, viewOf(bytes), 0, NOW, one);
            if (end >= 0) one.commit();
            return end;
          });
          const two = new ColumnBatch(layout, 1);
          lineTexts.forEach((text, i) => {
            const bytes = new TextEncoder().encode(text);
            two.reserve();
            const spans = new FlatSpans(keys.length);
            const scanned = scanBytes(shapes, bytes, 0, spans);
            const mapped = scanned >= 0 && columnar.mapBytesInto(bytes, spans, NOW, two);
            if (mapped) two.commit();
            expect(ends[i] as number, text).toBe(mapped ? scanned : -1);
          });
          accepted += one.length;
          expect(one.records()).toEqual(two.records());
          // Each text has one code in the batch, whichever way it was coded.
          layout.kinds.forEach((kind, field) => {
            if (kind !== ColumnKind.Text) return;
            for (let row = 0; row < one.length; row++) {
              const value = one.value(field, row);
              if (typeof value === 'string') expect(one.texts.code(value)).toBe(one.codes[field]?.[row]);
            }
          });
        },
      ),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it('reads a line into the row of a batch that holds rows already, and leaves them as they were', () => {
    const { columnar, plan, layout } = reader(DATASETS.extraField);
    const batch = new ColumnBatch(layout, 1);
    const read = (qty: number, variant: string) => {
      const bytes = new TextEncoder().encode(`${JSON.stringify({ ...BASE, qty, variant })}\n`);
      return columnar.readLineInto(plan as NonNullable<typeof plan>, bytes, viewOf(bytes), 0, NOW, batch);
    };
    for (const [qty, variant] of [
      [1, 'agent'],
      [2, 'control'],
      [3, 'agent'],
    ] as const) {
      batch.reserve();
      expect(read(qty, variant)).toBeGreaterThan(0);
      batch.commit();
    }
    // A line refused half-way (its qty is below the bound) writes into the next row only.
    batch.reserve();
    expect(read(-1, 'control')).toBe(-1);
    expect(batch.records()).toEqual(
      [1, 2, 3].map((qty) => ({
        ...BASE,
        at: Date.parse(BASE.at),
        qty,
        variant: qty === 2 ? 'control' : 'agent',
        extra: null,
        tag: null,
        flag: null,
      })),
    );
  });

  it('has no plan for a shape whose key only the converters read, or that lacks a field that must have a value', () => {
    const nulls = {
      ...FIELDS,
      note: { type: 'string', nullValues: ['', 'n/a'] },
    } satisfies DatasetDeclarationInput['fields'];
    expect(reader(nulls).plan).toBeNull();
    expect(reader({ ...FIELDS, extra: { type: 'number', required: true } }).plan).toBeNull();
    expect(reader({ ...FIELDS, extra: { type: 'number', default: 0 } }).plan).toBeNull();
    expect(reader({ ...FIELDS, campaign: { type: 'string', pattern: '^c-' } }).plan).toBeNull();
    expect(reader(DATASETS.extraField).plan).not.toBeNull();
  });
});

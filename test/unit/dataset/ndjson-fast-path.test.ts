import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlatJsonShapes, FlatSpans } from '../../../src/domain/dataset/flat-json';
import type { TypedRecord } from '../../../src/domain/records';
import { declare, readAll } from '../../support/datasets';

/** One field of each kind the fast path reads itself, and some it leaves to the converters. */
const dataset = declare({
  format: { type: 'ndjson' },
  fields: {
    at: { type: 'timestamp', required: true, min: '2020-01-01T00:00:00Z', max: '2030-01-01T00:00:00Z' },
    local: { type: 'timestamp', timezone: '+02:00' },
    epoch: { type: 'timestamp', format: 'epoch_millis' },
    channel: { type: 'string', enum: ['search', 'social', ' padded '] },
    exact: { type: 'string', enum: ['a', 'b'], trim: false },
    name: { type: 'string' },
    code: { type: 'string', pattern: '[A-Z]+' },
    lower: { type: 'string', case: 'lower' },
    qty: { type: 'integer', min: 0, max: 1000 },
    amount: { type: 'number', min: -5 },
    ok: { type: 'boolean' },
    maybe: { type: 'number', nullValues: ['', 'NA'] },
  },
});
const KEYS = dataset.flatKeys() as string[];
const NOW = Date.parse('2026-06-01T00:00:00Z');

const text = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'search',
    'social',
    'Search',
    ' search',
    'search ',
    ' padded ',
    'padded',
    'a',
    'b',
    'A',
    'NA',
  ),
  fc.constantFrom('2026-06-01T10:20:30.123Z', '2026-06-01T10:20:30Z', '2026-06-01', '2026-06-01 10:20', '2026-02-30'),
  fc.constantFrom('2019-12-31T23:59:59Z', '2031-01-01T00:00:00Z', '2026-06-01T10:2', '2026-06-01T10:20:30+01:00'),
  fc.constantFrom('2026-06-01T10:20:30.123456789-0530', '2026-06-01t10:20:30z', '1780000000000', '12', '-0', '1e3'),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[0-9T:.Z+ -]{0,26}$/),
);
const number = fc.oneof(
  fc.integer({ min: -10, max: 2000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.1, 1.67, 109.3, 2 ** 53, 2 ** 53 + 2, 1e21, 1780000000000, -5, -5.000001, 1000.5),
);
const value = fc.oneof(text, number, fc.boolean(), fc.constant(null));
/** A row with the fields in order, some missing, with values of any kind. */
const row = fc
  .tuple(...KEYS.map(() => fc.option(value, { freq: 8, nil: undefined })))
  .map((values) => Object.fromEntries(KEYS.flatMap((key, i) => (values[i] === undefined ? [] : [[key, values[i]]]))));
/** Numbers as JSON may write them but JSON.stringify does not. */
const numberText = fc.oneof(
  fc.stringMatching(/^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/),
  fc.constantFrom('1.50', '100.0', '0.000', '-0.0', '1E2', '12345678901234567890', '0.1e-400', '1e400'),
);

/** What the general path gives a line: the record, or the problem. */
function general(line: string): TypedRecord | object {
  const record = dataset.mapObject(JSON.parse(line), NOW);
  return record ?? { ...dataset.problem };
}

/** What the fast path gives a line, when its shape matches. */
function fast(shapes: FlatJsonShapes, line: string): TypedRecord | object | undefined {
  const spans = new FlatSpans(KEYS.length);
  if (!shapes.scan(line, 0, line.length, spans)) return undefined;
  const record = dataset.mapSpans(line, spans, NOW);
  return record ?? { ...dataset.problem };
}

/** Same keys in the same order, values the same by Object.is (so 0 and -0 differ). */
function expectSame(actual: object, expected: object): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [key, value] of Object.entries(expected)) {
    expect(
      Object.is((actual as Record<string, unknown>)[key], value),
      `${key}: ${(actual as Record<string, unknown>)[key]} vs ${value}`,
    ).toBe(true);
  }
}

describe('NDJSON fast path', () => {
  it('gives every line the record or the problem the general path gives it', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 12 }), fc.boolean(), (rows, spaced) => {
        const shapes = new FlatJsonShapes(KEYS);
        for (const object of rows) {
          const line = spaced ? JSON.stringify(object, null, 1).replaceAll('\n', ' ') : JSON.stringify(object);
          shapes.learn(JSON.parse(line), line);
          const result = fast(shapes, line);
          // Only a string with an escape (a quote, a backslash, a control character) is left to JSON.parse.
          if (result === undefined) expect(line).toContain('\\');
          else expectSame(result, general(line));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads numbers written in any JSON form as JSON.parse does', () => {
    fc.assert(
      fc.property(numberText, (written) => {
        const line = `{"at":"2026-06-01T00:00:00Z","amount":${written},"maybe":${written}}`;
        const shapes = new FlatJsonShapes(KEYS);
        shapes.learn(JSON.parse(line), line);
        const result = fast(shapes, line);
        expect(result).toBeDefined();
        expectSame(result as object, general(line));
      }),
    );
  });

  it('reads a key that two fields read (one through a rename) into both, on every line', async () => {
    const renamed = declare({
      format: { type: 'ndjson' },
      fields: { at: { type: 'timestamp' }, a: { type: 'string' }, b: { type: 'string' } },
      renames: { a: 'b' },
    });
    const result = await readAll(renamed, '{"at":"2024-01-01","a":"x"}\n{"at":"2024-01-01","a":"y"}\n');
    expect(result.records.map(({ a, b }) => [a, b])).toEqual([
      ['x', 'x'],
      ['y', 'y'],
    ]);
  });

  it('reads a file of mixed good and bad lines as the general path does, line for line', async () => {
    const lines = [
      '{"at":"2026-06-01T00:00:00Z","channel":"search","qty":3,"amount":1.5}',
      '{"at":"2026-06-01T00:00:01Z","channel":"video","qty":3,"amount":1.5}',
      '{"at":"2026-06-01T00:00:02Z","channel":"search","qty":3.5,"amount":1.5}',
      '{"at":"2026-06-01T00:0","channel":"search","qty":3,"amount":1.5}',
      '{"at":"2026-06-01T00:00:04Z","channel":"search","qty":3,"amount":-7}',
      '{"at":"2026-06-01T00:00:05Z","channel":"se\\"arch","qty":3,"amount":1.5}',
      '{"at":"2026-06-01T00:00:06Z","channel":"search","qty":3,"amount":1.5,}',
      '{"at":"2019-06-01T00:00:07Z","channel":"search","qty":3,"amount":1.5}',
      '{"at":"2026-06-01T00:00:08Z","channel":"search","qty":1e400,"amount":1.5}',
      ' { "at" : "2026-06-01T00:00:09Z" , "channel" : "social" , "qty" : 0 , "amount" : -5 } ',
    ];
    const result = await readAll(dataset, `${lines.join('\n')}\n`, { now: NOW });
    expect(result.summary.counts).toMatchObject({ read: 10, valid: 2 });
    const expected = lines.map((line) => {
      try {
        const record = dataset.mapObject(JSON.parse(line), NOW);
        return record ? { record } : { problem: { ...dataset.problem } };
      } catch (error) {
        return {
          problem: {
            field: null,
            code: 'invalid_json',
            reason: `the line is not valid JSON: ${(error as Error).message}`,
          },
        };
      }
    });
    expect(result.records).toEqual(expected.flatMap((e) => (e.record ? [e.record] : [])));
    expect(result.quarantined.map(({ field, code, reason }) => ({ field, code, reason }))).toEqual(
      expected.flatMap((e) => (e.problem ? [e.problem] : [])),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlatJsonShapes } from '../../../src/domain/dataset/flat-json';

const KEYS = ['id', 'n', 'flag', 'note'] as const;
const scalar = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const row = fc.record({ id: scalar, n: scalar, flag: scalar, note: scalar, extra: scalar });

/** The value of each wanted key as JSON.parse reads it. */
function expected(line: string): unknown[] {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  return KEYS.map((key) => parsed[key]);
}

describe('flat JSON shapes', () => {
  it('reads exactly the values JSON.parse reads, whenever it matches a line', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 20 }), fc.boolean(), (rows, spaced) => {
        const shapes = new FlatJsonShapes(KEYS);
        const lines = rows.map((r) => (spaced ? JSON.stringify(r, null, 1).replaceAll('\n', ' ') : JSON.stringify(r)));
        shapes.learn(JSON.parse(lines[0] as string), lines[0] as string);
        const values: unknown[] = new Array(KEYS.length);
        for (const line of lines) {
          if (shapes.match(line, 0, line.length, values)) expect(values).toEqual(expected(line));
        }
      }),
    );
  });

  it('matches plain lines of a learned shape without the JSON parser', () => {
    const shapes = new FlatJsonShapes(KEYS);
    const first = '{"id":"a","n":1,"flag":true,"note":null}';
    shapes.learn(JSON.parse(first), first);
    const values: unknown[] = [];
    expect(shapes.match('{"id":"b","n":-2.5e3,"flag":false,"note":"x y"}', 0, 47, values)).toBe(true);
    expect(values).toEqual(['b', -2500, false, 'x y']);
  });

  it('leaves to the JSON parser a line with an escape, a leading zero or other keys', () => {
    const shapes = new FlatJsonShapes(KEYS);
    const first = '{"id":"a","n":1,"flag":true,"note":null}';
    shapes.learn(JSON.parse(first), first);
    for (const line of [
      '{"id":"a\\"b","n":1,"flag":true,"note":null}',
      '{"id":"a","n":01,"flag":true,"note":null}',
      '{"id":"a","n":1,"flag":true}',
      '{"id":"a","n":1,"flag":true,"note":null,}',
    ]) {
      expect(shapes.match(line, 0, line.length, []), line).toBe(false);
    }
  });

  it('reads a line that ends with CRLF up to its CR', () => {
    const shapes = new FlatJsonShapes(KEYS);
    const first = '{"id":"a","n":1,"flag":true,"note":null}';
    shapes.learn(JSON.parse(first), first);
    const text = `${first}\r\n{"id":"b","n":2,"flag":false,"note":"z"}\r\n`;
    const values: unknown[] = [];
    expect(shapes.match(text, 0, first.length, values)).toBe(true);
    expect(shapes.match(text, first.length + 2, text.length - 2, values)).toBe(true);
    expect(values).toEqual(['b', 2, false, 'z']);
  });
});

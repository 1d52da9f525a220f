import { describe, expect, it } from 'vitest';
import { declare, readAll, reasonCounts } from '../../support/datasets';

const fields = {
  id: { type: 'string', required: true },
  n: { type: 'number' },
  ok: { type: 'boolean' },
  at: { type: 'timestamp' },
} as const;
const ndjson = declare({ fields, format: { type: 'ndjson', maxRowBytes: 2048 } });
const jsonArray = declare({ fields, format: { type: 'json', maxRowBytes: 2048 } });

describe('NDJSON reader', () => {
  it('reads flat and nested lines, with escapes, in any key order', async () => {
    const result = await readAll(
      ndjson,
      [
        '{"id":"a","n":1,"ok":true,"at":"2024-01-01"}',
        '{"at":"2024-01-01","id":"b\\"q","n":-2.5e1,"ok":false}',
        '{"id":"c","extra":{"deep":[1,2]},"n":null,"at":"2024-01-01"}',
        '  {"id" : "d" , "n" : 0 , "at" : "2024-01-01"}  ',
      ].join('\n'),
    );
    expect(result.records).toEqual([
      { id: 'a', n: 1, ok: true, at: Date.parse('2024-01-01') },
      { id: 'b"q', n: -25, ok: false, at: Date.parse('2024-01-01') },
      { id: 'c', n: null, ok: null, at: Date.parse('2024-01-01') },
      { id: 'd', n: 0, ok: null, at: Date.parse('2024-01-01') },
    ]);
  });

  it('quarantines a line that is not valid JSON with the parser message', async () => {
    const result = await readAll(ndjson, '{"id":"a","at":"2024-01-01"}\n{"id":"b",\n{"id":"c","at":"2024-01-01"}\n');
    expect(result.quarantined[0]).toMatchObject({ line: 2, raw: '{"id":"b",' });
    expect(result.quarantined[0]?.reason).toMatch(/^the line is not valid JSON: /);
    expect(result.records.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('quarantines numbers JSON does not allow rather than reading them', async () => {
    const result = await readAll(ndjson, '{"id":"a","n":01,"at":"2024-01-01"}\n{"id":"b","n":1.,"at":"2024-01-01"}\n');
    expect(reasonCounts(result)).toEqual({ invalid_json: 2 });
  });

  it('quarantines a line that is an array or a scalar', async () => {
    const result = await readAll(ndjson, '[1,2]\n"text"\n');
    expect(result.quarantined.map((q) => q.reason)).toEqual([
      'the line is an array, not a JSON object',
      'the line is a string, not a JSON object',
    ]);
  });

  it('quarantines a line longer than the limit and reads on', async () => {
    const long = `{"id":"${'x'.repeat(5000)}","at":"2024-01-01"}`;
    const result = await readAll(ndjson, `${long}\n{"id":"b","at":"2024-01-01"}\n`, { chunk: 300 });
    expect(reasonCounts(result)).toEqual({ row_too_large: 1 });
    expect(result.quarantined[0]?.reason).toMatch(/^the line has 5\d{3} characters, more than format.maxRowBytes/);
    expect(result.records.map((r) => r.id)).toEqual(['b']);
  });

  it('quarantines a line with bytes that are not UTF-8', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"id":"a'),
      0xff,
      ...new TextEncoder().encode('","at":"2024-01-01"}\n{"id":"b","at":"2024-01-01"}\n'),
    ]);
    const result = await readAll(ndjson, bytes);
    expect(result.quarantined[0]).toMatchObject({ line: 1, field: null });
    expect(result.quarantined[0]?.reason).toMatch(/not valid UTF-8/);
    expect(result.records.map((r) => r.id)).toEqual(['b']);
  });

  it('reads Latin-1 when the declaration says so', async () => {
    const latin1 = declare({ fields, format: { type: 'ndjson', encoding: 'latin1' } });
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"id":"caf'),
      0xe9,
      ...new TextEncoder().encode('","at":"2024-01-01"}'),
    ]);
    expect((await readAll(latin1, bytes)).records[0]?.id).toBe('café');
  });
});

describe('JSON array reader', () => {
  it('reads the elements of a top-level array', async () => {
    const result = await readAll(
      jsonArray,
      '[ {"id":"a","n":1,"at":"2024-01-01"},\n {"id":"b]","n":2,"at":"2024-01-01","tags":["x,y"]} ]',
      { chunk: 7 },
    );
    expect(result.records.map((r) => r.id)).toEqual(['a', 'b]']);
  });

  it('quarantines a bad element by its index and reads the next', async () => {
    const result = await readAll(
      jsonArray,
      '[{"id":"a","at":"2024-01-01"}, {"id": nope}, {"id":"c","at":"2024-01-01"}]',
    );
    expect(result.quarantined[0]).toMatchObject({ line: 2, raw: '{"id": nope}' });
    expect(result.records.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('quarantines the last element of a file that was cut off', async () => {
    const result = await readAll(jsonArray, '[{"id":"a","at":"2024-01-01"}, {"id":"b","at":');
    expect(result.quarantined[0]).toMatchObject({
      line: 2,
      reason: 'the file ends inside element 2 of the array: it was cut off',
    });
  });

  it('refuses a file whose top level is an object, suggesting NDJSON', async () => {
    await expect(readAll(jsonArray, '{"items":[]}')).rejects.toMatchObject({
      code: 'not_a_json_array',
      message: expect.stringContaining('declare format ndjson'),
    });
  });

  it('reads an empty array as no rows', async () => {
    expect((await readAll(jsonArray, ' [ ] ')).summary.counts.read).toBe(0);
  });
});

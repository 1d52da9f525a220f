import { describe, expect, it } from 'vitest';
import { declare, readAll, reasonCounts } from '../../support/datasets';

const dataset = declare({
  fields: { id: { type: 'string', required: true }, note: { type: 'string' }, at: { type: 'timestamp' } },
  format: { type: 'csv', maxRowBytes: 4096 },
});

describe('CSV reader', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks (RFC 4180)', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,"a, ""b""\nc",2024-01-01\n2,plain,2024-01-01\n');
    expect(result.records.map((r) => r.note)).toEqual(['a, "b"\nc', 'plain']);
  });

  it('reports the line a row starts on, counting line breaks inside quotes', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,"x\ny\nz",2024-01-01\n,after,2024-01-01\n');
    expect(result.quarantined[0]?.line).toBe(5);
  });

  it('skips a UTF-8 byte order mark before the header', async () => {
    const result = await readAll(dataset, '\uFEFFid,note,at\n1,a,2024-01-01\n');
    expect(result.records).toHaveLength(1);
  });

  it('reads CRLF line endings without keeping the carriage return', async () => {
    const result = await readAll(dataset, 'id,note,at\r\n1,a,2024-01-01\r\n2,"b",2024-01-02\r\n');
    expect(result.records.map((r) => r.note)).toEqual(['a', 'b']);
  });

  it('reads old Mac files whose lines end with a carriage return alone', async () => {
    const result = await readAll(dataset, 'id,note,at\r1,a,2024-01-01\r2,b,2024-01-02\r');
    expect(result.records).toHaveLength(2);
  });

  it('reads a last row without a final line break', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,a,2024-01-01');
    expect(result.records).toHaveLength(1);
  });

  it('quarantines a ragged row and keeps its raw text', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,a,2024-01-01,extra\n2,b,2024-01-01\n');
    expect(result.quarantined[0]).toMatchObject({
      line: 2,
      field: null,
      reason: 'the row has 4 columns, the header has 3; check the delimiter and quoting',
      raw: '1,a,2024-01-01,extra',
      source: 'test://source',
      file: 'input',
      dataset: 'events',
    });
    expect(result.records).toHaveLength(1);
  });

  it('sets aside a row whose quote never closes and reads on from the next line', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,"broken,2024-01-01\n2,fine,2024-01-01\n3,fine,2024-01-01\n');
    expect(result.records.map((r) => r.id)).toEqual(['2', '3']);
    expect(result.quarantined[0]).toMatchObject({ line: 2, raw: '1,"broken,2024-01-01' });
    expect(result.quarantined[0]?.reason).toMatch(/^the quote that opens column 2 on line 2 is never closed/);
  });

  it('sets aside an unclosed quote once it runs past the row limit, without reading the rest into memory', async () => {
    const filler = Array.from({ length: 200 }, (_, i) => `${i},ok,2024-01-01`).join('\n');
    const result = await readAll(dataset, `id,note,at\n1,"broken,2024-01-01\n${filler}\n`, { chunk: 512 });
    expect(reasonCounts(result)).toEqual({ unbalanced_quote: 1 });
    expect(result.records).toHaveLength(200);
  });

  it('quarantines text after a closing quote', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,"a"b,2024-01-01\n');
    expect(result.quarantined[0]?.reason).toBe(
      'column 2 has text after its closing quote; a quote inside a quoted field must be doubled ("")',
    );
  });

  it('quarantines a row longer than the limit with its start only', async () => {
    const huge = 'x'.repeat(10_000);
    const result = await readAll(dataset, `id,note,at\n1,${huge},2024-01-01\n2,b,2024-01-01\n`, { chunk: 1000 });
    expect(reasonCounts(result)).toEqual({ row_too_large: 1 });
    expect(result.quarantined[0]?.raw.length).toBe(4096);
    expect(result.records.map((r) => r.id)).toEqual(['2']);
  });

  it('skips blank lines without counting them as rows', async () => {
    const result = await readAll(dataset, 'id,note,at\n\n1,a,2024-01-01\n   \n');
    expect(result.summary.counts.read).toBe(1);
  });

  it('reads semicolon-separated files with another quote character', async () => {
    const semicolons = declare({
      fields: { id: { type: 'string' }, note: { type: 'string' }, at: { type: 'timestamp' } },
      format: { type: 'csv', delimiter: ';', quote: "'" },
    });
    const result = await readAll(semicolons, "id;note;at\n1;'a;b';2024-01-01\n");
    expect(result.records[0]?.note).toBe('a;b');
  });

  it('reads a file without a header by the declared columns', async () => {
    const headerless = declare({
      fields: { id: { type: 'string' }, at: { type: 'timestamp' } },
      format: { type: 'csv', header: false, columns: ['id', 'ignored', 'at'] },
    });
    const result = await readAll(headerless, '1,x,2024-01-01\n');
    expect(result.records[0]).toEqual({ id: '1', at: Date.parse('2024-01-01') });
  });

  it('refuses a file whose header lacks a required column, naming the columns it has', async () => {
    await expect(readAll(dataset, 'id;note;at\n1;a;2024-01-01\n')).rejects.toMatchObject({
      name: 'UnreadableInputError',
      code: 'missing_columns',
      message: expect.stringContaining('the header has no column "id", "at"'),
    });
  });

  it('refuses a header that names a column it reads twice', async () => {
    await expect(readAll(dataset, 'id,id,at\n1,2,2024-01-01\n')).rejects.toMatchObject({ code: 'invalid_header' });
  });

  it('counts every row once: read = valid + quarantined, by reason', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,a,2024-01-01\n,b,2024-01-01\n3,c\n4,d,bad\n5,e,2024-01-01\n');
    expect(result.summary.counts).toEqual({
      read: 5,
      valid: 2,
      quarantined: 3,
      quarantinedByReason: { missing_required: 1, ragged_row: 1, invalid_timestamp: 1 },
    });
  });
});

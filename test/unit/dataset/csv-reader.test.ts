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

  it('reads a CR-only file (Excel for Mac) with a line feed inside a quoted cell, whatever the chunking', async () => {
    const text = 'id,note,at\r1,"first\nsecond",2024-01-01\r2,plain,2024-01-02\r,missing,2024-01-03\r';
    for (const chunk of [1, 3, 7, 1000]) {
      const result = await readAll(dataset, text, { chunk });
      expect(result.records.map((r) => r.note)).toEqual(['first\nsecond', 'plain']);
      // The line feed inside the quotes is a line of its own: the third row starts on line 5.
      expect(result.quarantined.map((q) => q.line)).toEqual([5]);
      expect(result.summary.warnings).toEqual([]);
    }
  });

  it('reads lone carriage returns in a file of line feeds as line breaks, and warns of the mix', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,a,2024-01-01\r2,b,2024-01-02\r\n3,c,2024-01-03\n');
    expect(result.records.map((r) => r.id)).toEqual(['1', '2', '3']);
    expect(result.summary.warnings).toEqual([
      {
        code: 'mixed_line_endings',
        field: null,
        column: null,
        message:
          'input: 1 row end with a lone carriage return (CR) and 3 with a line feed (LF or CRLF); each was read as the end of a row. If a CR belongs inside a value, quote the value',
      },
    ]);
  });

  it('keeps a carriage return inside a quoted cell as it is', async () => {
    const result = await readAll(dataset, 'id,note,at\n1,"a\rb",2024-01-01\n2,c,2024-01-02\n');
    expect(result.records.map((r) => r.note)).toEqual(['a\rb', 'c']);
    expect(result.summary.warnings).toEqual([]);
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

  it('sets aside an unclosed quote and reads on from the next line when the rest of the file fits in the row limit', async () => {
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

  it('skips a quoted field longer than the limit as one row, never reading the lines inside it as rows', async () => {
    const inside = Array.from({ length: 400 }, (_, i) => `${i},phantom,2024-01-01`).join('\n');
    const text = `id,note,at\n1,"${inside}",2024-01-01\n2,after,2024-01-02\n`;
    for (const chunk of [64, 512, 4096, text.length]) {
      const result = await readAll(dataset, text, { chunk });
      expect(result.records.map((r) => r.id)).toEqual(['2']);
      expect(result.quarantined).toHaveLength(1);
      expect(result.quarantined[0]).toMatchObject({ line: 2, code: 'row_too_large', field: null });
      expect(result.quarantined[0]?.reason).toBe(
        `the row has ${inside.length + 15} characters over 400 lines (a quoted field with line breaks), more than format.maxRowBytes (4096); it was set aside whole and reading went on after it. Check the quoting, or raise the limit`,
      );
      expect(result.quarantined[0]?.raw).toHaveLength(4096);
      expect(result.summary.counts).toMatchObject({ read: 2, valid: 1, quarantined: 1 });
    }
  });

  it('numbers the rows after a skipped multi-line row by their real lines', async () => {
    const inside = 'x\n'.repeat(3000);
    const result = await readAll(dataset, `id,note,at\n1,"${inside}",2024-01-01\n,after,2024-01-02\n`, { chunk: 100 });
    expect(result.quarantined.map((q) => [q.line, q.code])).toEqual([
      [2, 'row_too_large'],
      [3003, 'missing_required'],
    ]);
  });

  it('refuses the file when a quote never closes and the rest of the file is longer than the row limit', async () => {
    const rest = Array.from({ length: 400 }, (_, i) => `${i},ok,2024-01-01`).join('\n');
    const text = `id,note,at\n1,a,2024-01-01\n2,"broken,2024-01-01\n${rest}\n`;
    for (const chunk of [256, text.length]) {
      await expect(readAll(dataset, text, { chunk })).rejects.toMatchObject({
        name: 'UnreadableInputError',
        code: 'unclosed_quote',
        message: expect.stringContaining(
          'the quote that opens column 2 on line 3 is never closed: the rest of the file (',
        ),
      });
    }
  });

  it('refuses a header whose stray quote swallows the first data rows, saying so', async () => {
    await expect(readAll(dataset, 'id,"note,at\n1,a",2024-01-01\n2,b,2024-01-02\n')).rejects.toMatchObject({
      code: 'invalid_header',
      message:
        'input: the header on line 1 is broken: a quote in it opens a column name that closes only on line 2, so the data rows up to there were read as part of the header. Remove the stray quote from the header (or double it: "")',
    });
  });

  it('refuses a header whose quote never closes, instead of reading a data row as the header', async () => {
    await expect(readAll(dataset, 'id,"note,at\n1,a,2024-01-01\n2,b,2024-01-02\n')).rejects.toMatchObject({
      code: 'invalid_header',
      message: expect.stringContaining('a quote in it opens a column name that never closes'),
    });
  });

  it('refuses a header with text after a closing quote', async () => {
    await expect(readAll(dataset, 'id,"note"x,at\n1,a,2024-01-01\n')).rejects.toMatchObject({
      code: 'invalid_header',
      message: expect.stringContaining(
        'the header on line 1 cannot be read: column 2 has text after its closing quote',
      ),
    });
  });

  it('refuses a file without a header line', async () => {
    await expect(readAll(dataset, '\n\r\n  \n')).rejects.toMatchObject({
      code: 'invalid_header',
      message: 'input: the file has no header line: it holds only blank lines',
    });
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

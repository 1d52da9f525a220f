import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeGunzip } from '../../../src/adapters/gzip';
import { readDataset } from '../../../src/domain/dataset';
import { declare, gzip, readAll, utf8 } from '../../support/datasets';

const fields = { id: { type: 'string', required: true }, note: { type: 'string' }, at: { type: 'timestamp' } } as const;
const csv = declare({ fields });
const ndjson = declare({ fields, format: { type: 'ndjson' } });

describe('reader input bytes', () => {
  it('detects and reads gzip without being told', async () => {
    const result = await readAll(csv, gzip('id,note,at\n1,a,2024-01-01\n'));
    expect(result.records).toHaveLength(1);
    expect(result.summary.compressed).toBe(true);
  });

  it('reads a gzip file made of several members, as cat a.gz b.gz makes, with zlib', async () => {
    const bytes = new Uint8Array([
      ...gzip('{"id":"1","at":"2024-01-01"}\n'),
      ...gzip('{"id":"2","at":"2024-01-01"}\n'),
    ]);
    expect((await readAll(ndjson, bytes, { gunzip: nodeGunzip })).records.map((r) => r.id)).toEqual(['1', '2']);
  });

  it('refuses a gzip file cut off in the middle, with zlib', async () => {
    const whole = gzip(Array.from({ length: 2000 }, (_, i) => `{"id":"${i}","at":"2024-01-01"}`).join('\n'));
    await expect(readAll(ndjson, whole.slice(0, whole.length - 40), { gunzip: nodeGunzip })).rejects.toMatchObject({
      code: 'unreadable_compression',
    });
  });

  it('passes on an error of the source itself rather than calling the file corrupt', async () => {
    async function* dropped() {
      yield gzip('{"id":"1","at":"2024-01-01"}\n').slice(0, 10);
      throw new Error('socket hang up');
    }
    const read = readDataset(ndjson, dropped(), { source: 's', file: 'f' }, { gunzip: nodeGunzip });
    await expect(
      (async () => {
        for await (const _ of read);
      })(),
    ).rejects.toThrow('socket hang up');
  });

  it('refuses a gzip file cut off in the middle', async () => {
    const whole = gzip(Array.from({ length: 2000 }, (_, i) => `{"id":"${i}","at":"2024-01-01"}`).join('\n'));
    await expect(readAll(ndjson, whole.slice(0, whole.length - 40))).rejects.toMatchObject({
      name: 'UnreadableInputError',
      code: 'unreadable_compression',
    });
  });

  it('refuses gzip when declared but absent', async () => {
    const declared = declare({ fields, format: { type: 'csv', compression: 'gzip' } });
    await expect(readAll(declared, 'id,note,at\n')).rejects.toMatchObject({ code: 'unreadable_compression' });
  });

  it('refuses an empty file as a sign of an interrupted export', async () => {
    await expect(readAll(csv, '')).rejects.toMatchObject({
      code: 'empty_file',
      message: 'input: the file is empty (0 bytes): was the export interrupted?',
    });
  });

  it('refuses a ZIP archive, saying to unzip it', async () => {
    await expect(readAll(csv, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]))).rejects.toMatchObject({
      code: 'unsupported_compression',
    });
  });

  it('refuses UTF-16 text, saying to export UTF-8', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('id,note,at\n', 'utf16le')]);
    await expect(readAll(csv, utf16)).rejects.toMatchObject({
      code: 'unsupported_encoding',
      message: expect.stringContaining('export it as UTF-8'),
    });
  });

  it('reads the same records and problems however the bytes are split', async () => {
    const text = [
      '\uFEFFid,note,at',
      '1,"multi',
      'line ""é""",2024-01-01',
      '2,café,2024-01-02',
      ',missing,2024-01-03',
      '4,"never closed,2024-01-04',
      '5,ragged',
      '6,last,2024-01-06',
    ].join('\r\n');
    const bytes = utf8(text);
    const expected = await readAll(csv, bytes, { chunk: bytes.length });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        const result = await readAll(csv, bytes, { chunk: sizes });
        expect(result.records).toEqual(expected.records);
        expect(result.quarantined).toEqual(expected.quarantined);
      }),
      { numRuns: 60 },
    );
    expect(expected.summary.counts).toMatchObject({ read: 6, valid: 3, quarantined: 3 });
  });

  it('reads the same NDJSON records however the bytes are split', async () => {
    const text = [
      '{"id":"1","note":"a","at":"2024-01-01"}',
      '{"id":"2","note":"é\\n","at":"2024-01-02"}',
      '{"id":"3","note":',
      '',
      '{"note":"x","id":"4","at":"2024-01-04"}',
    ].join('\n');
    const bytes = gzip(text);
    const expected = await readAll(ndjson, bytes);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (size) => {
        const result = await readAll(ndjson, bytes, { chunk: size });
        expect(result.records).toEqual(expected.records);
        expect(result.quarantined).toEqual(expected.quarantined);
      }),
      { numRuns: 30 },
    );
    expect(expected.summary.counts).toMatchObject({ read: 4, valid: 3, quarantined: 1 });
  });

  it('yields a batch every batchRows rows', async () => {
    const text = `id,note,at\n${Array.from({ length: 50 }, (_, i) => `${i},n,2024-01-01`).join('\n')}\n`;
    const result = await readAll(csv, text, { chunk: 64, batchRows: 10 });
    expect(result.batches).toBeGreaterThanOrEqual(5);
    expect(result.records).toHaveLength(50);
  });
});

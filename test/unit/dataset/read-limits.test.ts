import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nodeGunzip } from '../../../src/adapters/gzip';
import { type Gunzip, readDataset, UnreadableInputError, webGunzip } from '../../../src/domain/dataset';
import { chunked, declare, gzip, readAll, utf8 } from '../../support/datasets';

const fields = { id: { type: 'string', required: true }, note: { type: 'string' }, at: { type: 'timestamp' } } as const;
const csv = declare({ fields });
const ndjson = declare({ fields, format: { type: 'ndjson' } });

const csvRows = (n: number, note = 'n') =>
  `id,note,at\n${Array.from({ length: n }, (_, i) => `${i},${note},2024-01-01`).join('\n')}\n`;

/** 50 MB of one repeated row, as a gzip of about 50 KB: a small decompression bomb. */
const ROW = '1,the same row again and again,2024-01-01\n';
const BOMB_ROWS = Math.ceil(50_000_000 / ROW.length);
const bomb = new Uint8Array(gzipSync(Buffer.from(`id,note,at\n${ROW.repeat(BOMB_ROWS)}`)));

/** Reads until the reader throws; returns the error and how many decompressed bytes the reader passed on. */
async function readBomb(options: { gunzip: Gunzip; maxExpandedBytes?: number; maxRows?: number }) {
  let seen = 0;
  const read = readDataset(
    csv,
    chunked(bomb, 16 * 1024),
    { source: 'test://bomb', file: 'bomb.csv.gz' },
    {
      ...options,
      onDecompressed: (chunk) => {
        seen += chunk.byteLength;
      },
    },
  );
  try {
    for await (const _ of read);
  } catch (error) {
    return { error: error as UnreadableInputError, seen, summary: read.summary() };
  }
  throw new Error('the bomb was read whole');
}

describe('reader batches and limits', () => {
  it('closes a batch every batchRows rows, wherever the input chunks end', async () => {
    for (const chunk of [7, 64, 100_000]) {
      const result = await readAll(csv, csvRows(50), { chunk, batchRows: 10 });
      expect(result.sizes).toEqual([
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
        [10, 0],
      ]);
    }
  });

  it('closes a batch once its rows hold batchBytes characters, so long rows make small batches', async () => {
    const note = 'x'.repeat(1000);
    for (const chunk of [333, 100_000]) {
      const result = await readAll(csv, csvRows(12, note), { chunk, batchBytes: 4096 });
      // Each row is 1,016 characters or so: the fifth crosses 4,096.
      expect(result.sizes).toEqual([
        [5, 0],
        [5, 0],
        [2, 0],
      ]);
    }
  });

  it('counts quarantined rows in a batch like records', async () => {
    const text = `id,note,at\n${Array.from({ length: 6 }, (_, i) => (i % 2 ? `${i},a,2024-01-01` : `,a,2024-01-01`)).join('\n')}\n`;
    const result = await readAll(csv, text, { chunk: 5, batchRows: 4 });
    expect(result.sizes).toEqual([
      [2, 2],
      [1, 1],
    ]);
  });

  it('stops a gzip bomb at maxExpandedBytes without inflating the rest, with zlib', async () => {
    const { error, seen, summary } = await readBomb({ gunzip: nodeGunzip, maxExpandedBytes: 1024 * 1024 });
    expect(error).toBeInstanceOf(UnreadableInputError);
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(
      /^bomb\.csv\.gz: the file holds more than 1048576 bytes once decompressed; reading stopped after \d+ bytes \(\d+ compressed bytes read\) and \d+ rows\. Split the file, or raise the limit$/,
    );
    // zlib hands out 256 KiB at a time: the read stops within one of those past the limit.
    expect(seen).toBeLessThanOrEqual(1024 * 1024);
    expect(summary.expandedBytes).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
    expect(summary.bytesRead).toBeLessThan(bomb.length);
    expect(error.counts.read).toBeGreaterThan(20_000);
  });

  it('stops a gzip bomb at maxExpandedBytes with the web DecompressionStream too', async () => {
    const { error, summary } = await readBomb({ gunzip: webGunzip, maxExpandedBytes: 512 * 1024 });
    expect(error.code).toBe('too_large');
    expect(summary.expandedBytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('stops a file at maxRows, saying how far it got', async () => {
    const { error, summary } = await readBomb({ gunzip: nodeGunzip, maxRows: 1000 });
    expect(error.code).toBe('too_large');
    expect(error.counts.read).toBe(1000);
    expect(error.message).toMatch(
      /^bomb\.csv\.gz: the file has more than 1000 rows; reading stopped at row 1001, after \d+ bytes \(\d+ compressed bytes read\)\. Split the file, or raise the limit$/,
    );
    expect(summary.expandedBytes).toBeLessThan(1024 * 1024);
  });

  it('reads a file of exactly maxRows rows and exactly maxExpandedBytes bytes', async () => {
    const text = csvRows(100);
    const result = await readAll(csv, text, { maxRows: 100, maxExpandedBytes: utf8(text).length, chunk: 50 });
    expect(result.summary.counts.read).toBe(100);
    expect(result.summary.expandedBytes).toBe(utf8(text).length);
  });

  it('passes every decompressed byte to onDecompressed once, in order, whatever the chunking', async () => {
    const text = csvRows(2000, 'é€');
    const plain = utf8(text);
    const members = new Uint8Array([...gzip(plain.subarray(0, 5000)), ...gzip(plain.subarray(5000))]);
    for (const [input, chunk] of [
      [plain, 1],
      [plain, 4096],
      [gzip(plain), 3],
      [members, 1000],
    ] as const) {
      const parts: Uint8Array[] = [];
      await readAll(csv, input, { chunk, gunzip: nodeGunzip, onDecompressed: (c) => parts.push(Uint8Array.from(c)) });
      expect(Buffer.concat(parts).toString('utf8')).toBe(text);
    }
  });

  it('refuses a gzip that decompresses to nothing as an empty file', async () => {
    await expect(readAll(ndjson, gzip(''))).rejects.toMatchObject({
      code: 'empty_file',
      message: 'input: the file decompresses to nothing (0 bytes): was the export interrupted?',
    });
  });

  it('recognises a UTF-16 byte order mark however thinly the input is chunked', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from(csvRows(3), 'utf16le')]);
    for (const chunk of [1, 2, 10_000]) {
      await expect(readAll(csv, utf16, { chunk })).rejects.toMatchObject({ code: 'unsupported_encoding' });
    }
  });
});

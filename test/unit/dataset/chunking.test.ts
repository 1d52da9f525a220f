import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeGunzip } from '../../../src/adapters/gzip';
import { type CompiledDataset, UnreadableInputError } from '../../../src/domain/dataset';
import { declare, gzip, readAll, utf8 } from '../../support/datasets';

// Property: however the input is cut into chunks (and whether it is gzip or not), the reader gives
// exactly the records, quarantined rows, counts, warnings and batch boundaries of a read in one
// chunk, or the same file-level error.

const fields = { id: { type: 'string', required: true }, note: { type: 'string' }, at: { type: 'timestamp' } } as const;
/** The smallest row limit a declaration allows, so that generated rows cross it. */
const MAX_ROW = 1024;
const csv = declare({ fields, format: { type: 'csv', maxRowBytes: MAX_ROW } });
const semicolons = declare({
  fields,
  format: {
    type: 'csv',
    delimiter: ';',
    quote: "'",
    header: false,
    columns: ['id', 'note', 'at'],
    maxRowBytes: MAX_ROW,
  },
});
const ndjson = declare({ fields, format: { type: 'ndjson', maxRowBytes: MAX_ROW } });
const jsonArray = declare({ fields, format: { type: 'json', maxRowBytes: MAX_ROW } });
/** Small batches, so that boundaries fall everywhere. */
const batching = { batchRows: 3, batchBytes: 200, maxRawChars: 300 };

/** Everything a read gives, or the error it throws. */
async function outcome(dataset: CompiledDataset, bytes: Uint8Array, chunk: number | readonly number[]) {
  try {
    const result = await readAll(dataset, bytes, { ...batching, chunk, gunzip: nodeGunzip });
    const { bytesRead: _bytes, compressed: _compressed, ...summary } = result.summary;
    return { records: result.records, quarantined: result.quarantined, summary, sizes: result.sizes };
  } catch (error) {
    if (!(error instanceof UnreadableInputError)) throw error;
    return { error: { code: error.code, message: error.message, counts: error.counts } };
  }
}

/** An input, and how to cut it: chunk sizes (cycled) and whether to gzip it first. */
function splits(text: fc.Arbitrary<string>) {
  return fc.record({
    text,
    sizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 300 })), {
      minLength: 1,
      maxLength: 6,
    }),
    gzipped: fc.boolean(),
    /** Some `~` become a byte that is not UTF-8. */
    invalidBytes: fc.boolean(),
  });
}

function bytesOf(text: string, invalidBytes: boolean): Uint8Array {
  const bytes = utf8(text);
  if (invalidBytes) for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x7e) bytes[i] = 0xff;
  return bytes;
}

async function expectSameWhateverTheChunks(
  dataset: CompiledDataset,
  input: { text: string; sizes: number[]; gzipped: boolean; invalidBytes: boolean },
) {
  const plain = bytesOf(input.text, input.invalidBytes);
  const bytes = input.gzipped ? gzip(plain) : plain;
  const whole = await outcome(dataset, bytes, Math.max(1, bytes.length));
  const cut = await outcome(dataset, bytes, input.sizes);
  expect(cut).toEqual(whole);
}

const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
const text = (parts: fc.Arbitrary<string>[], maxLength = 6) =>
  fc.array(fc.oneof(...parts), { maxLength }).map((pieces) => pieces.join(''));
const plainText = fc.constantFrom('a', 'b c', 'é', '€', '😀', '~', ' ', '2024-01-01', '7');
const breaks = fc.constantFrom('\n', '\r', '\r\n');

const csvCell = fc.oneof(
  { weight: 6, arbitrary: text([plainText]) },
  { weight: 3, arbitrary: text([plainText, breaks, fc.constant(','), fc.constant('""')]).map((t) => `"${t}"`) },
  { weight: 1, arbitrary: fc.constantFrom('a"b', '"x"y', '"open', '"', '""') },
  {
    weight: 1,
    arbitrary: fc
      .record({ length: fc.integer({ min: 300, max: 1400 }), quoted: fc.boolean(), inner: breaks })
      .map(({ length, quoted, inner }) => {
        const body = `${'x'.repeat(length / 2)}${quoted ? inner : ''}${'y'.repeat(length / 2)}`;
        return quoted ? `"${body}"` : body;
      }),
  },
);
const csvRow = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(csvCell, csvCell, fc.constantFrom('2024-01-01', 'bad', '')).map((c) => c.join(',')),
  },
  { weight: 1, arbitrary: fc.array(csvCell, { maxLength: 4 }).map((c) => c.join(',')) },
);
const csvText = fc
  .record({
    header: fc.constantFrom('id,note,at', 'id,note,at', 'id,at', 'id,at,comment', '\uFEFFid,note,at', 'id,"note,at'),
    rows: fc.array(fc.tuple(csvRow, lineEnd), { maxLength: 12 }),
    headerEnd: lineEnd,
    lastEnd: fc.boolean(),
  })
  .map(({ header, rows, headerEnd, lastEnd }) => {
    const body = rows.map(([row, end], i) => `${row}${i < rows.length - 1 || lastEnd ? end : ''}`).join('');
    return `${header}${headerEnd}${body}`;
  });

const jsonString = text([plainText, fc.constantFrom('\\n', '\\"', '\\\\', ']', '}', ',', '{', '\\u00e9')]).map(
  (t) => `"${t}"`,
);
const jsonObject = fc
  .record({ id: fc.oneof(jsonString, fc.constant('1')), note: jsonString, at: fc.constantFrom('"2024-01-01"', '"x"') })
  .map(({ id, note, at }) => `{"id":${id},"note":${note},"at":${at}}`);
const jsonValue = fc.oneof(
  { weight: 6, arbitrary: jsonObject },
  { weight: 1, arbitrary: fc.constantFrom('[1,2]', 'null', '3', '"s"', '{"id":"1","x":{"y":[1]}}', '{"id":', '{') },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 900, max: 1400 }).map((n) => `{"id":"1","note":"${'z'.repeat(n)}","at":"2024-01-01"}`),
  },
);
const ndjsonText = fc
  .array(
    fc.tuple(fc.oneof({ weight: 8, arbitrary: jsonValue }, { weight: 1, arbitrary: fc.constant('  ') }), lineEnd),
    {
      maxLength: 12,
    },
  )
  .map((lines) => lines.map(([line, end]) => `${line}${end}`).join(''));
const space = fc.constantFrom('', ' ', '\n', '\r\n', '\r', '\t');
const jsonArrayText = fc
  .record({
    elements: fc.array(fc.tuple(space, jsonValue, space), { maxLength: 10 }),
    close: fc.constantFrom(']', ']', '', ']  trailing', '] ]'),
    emptyElement: fc.boolean(),
  })
  .map(({ elements, close, emptyElement }) => {
    const items = elements.map(([before, value, after]) => `${before}${value}${after}`);
    if (emptyElement && items.length > 1) items.splice(1, 0, '');
    return `[${items.join(',')}${close}`;
  });

// READER_FUZZ_RUNS raises the number of inputs tried, to hunt for differences by hand.
const runs = { numRuns: Number(process.env.READER_FUZZ_RUNS ?? 150) };

describe('reading whatever the chunking', () => {
  it('gives the same CSV rows, problems, counts, warnings and batches however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(splits(csvText), (input) => expectSameWhateverTheChunks(csv, input)),
      runs,
    );
  });

  it('gives the same rows with another delimiter and quote, and no header, however the input is cut', async () => {
    const swapped = csvText.map((t) => t.replace(/[,"]/g, (c) => (c === ',' ? ';' : "'")));
    await fc.assert(
      fc.asyncProperty(splits(swapped), (input) => expectSameWhateverTheChunks(semicolons, input)),
      runs,
    );
  });

  it('gives the same NDJSON rows, problems, counts and batches however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(splits(ndjsonText), (input) => expectSameWhateverTheChunks(ndjson, input)),
      runs,
    );
  });

  it('gives the same JSON array elements, problems, counts and batches however the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(splits(jsonArrayText), (input) => expectSameWhateverTheChunks(jsonArray, input)),
      runs,
    );
  });
});

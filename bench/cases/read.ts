// Bench: the streaming dataset reader alone (no engine, no storage), per format and line ending:
// CSV with LF, CRLF and CR-only line ends and with quoted cells, NDJSON, a JSON array, and gzip.
// Each input is generated in memory, fed in 64 KiB chunks, and read `BENCH_READ_ROUNDS` times after
// one unmeasured warm-up; prints rows/s (min / median / max) per input and ends with one JSON line.
// BENCH_READ_ROWS, BENCH_READ_ROUNDS and BENCH_READ_INPUTS (names, comma-separated) change the run.
import { nodeGunzip } from '../../src/adapters/gzip';
import { type CompiledDataset, loadDataset, readDataset } from '../../src/domain/dataset';

const ROWS = Number(process.env.BENCH_READ_ROWS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_READ_ROUNDS ?? 5);
const CHUNK = 64 * 1024;
/** Comma-separated input names to run (e.g. `csv-lf,ndjson`); all when unset. */
const ONLY = process.env.BENCH_READ_INPUTS?.split(',');

const fields = {
  event_id: { type: 'string', required: true },
  ts: { type: 'timestamp', required: true },
  campaign_id: { type: 'string' },
  channel: { type: 'string', enum: ['search', 'social', 'display', 'email'] },
  clicks: { type: 'integer', min: 0 },
  spend: { type: 'number', min: 0 },
  note: { type: 'string' },
} as const;

function dataset(format: object): CompiledDataset {
  return loadDataset(
    { id: 'bench', description: 'reader bench', owner: 'bench@example.com', format, fields, eventTime: 'ts' },
    'bench.yaml',
  );
}

const CHANNELS = ['search', 'social', 'display', 'email'];

function row(i: number) {
  return {
    event_id: `e-${i}`,
    ts: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
    campaign_id: `c-${i % 40}`,
    channel: CHANNELS[i % 4] as string,
    clicks: i % 17,
    spend: (i % 1000) / 100,
    note: i % 5 === 0 ? 'said "yes", then left\nfor good' : 'plain',
  };
}

function csv(eol: string, quoted: boolean): string {
  const lines = ['event_id,ts,campaign_id,channel,clicks,spend,note'];
  for (let i = 0; i < ROWS; i++) {
    const r = row(i);
    const note = quoted && r.note !== 'plain' ? `"${r.note.replaceAll('"', '""')}"` : 'plain';
    lines.push(`${r.event_id},${r.ts},${r.campaign_id},${r.channel},${r.clicks},${r.spend},${note}`);
  }
  return `${lines.join(eol)}${eol}`;
}

function ndjson(): string {
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) lines.push(JSON.stringify(row(i)));
  return `${lines.join('\n')}\n`;
}

async function* chunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

async function readOnce(compiled: CompiledDataset, bytes: Uint8Array): Promise<number> {
  const read = readDataset(compiled, chunks(bytes), { source: 'bench', file: 'bench' }, { gunzip: nodeGunzip });
  let rows = 0;
  for await (const batch of read) rows += batch.records.length + batch.quarantined.length;
  return rows;
}

interface Figures {
  readonly minRowsPerSecond: number;
  readonly medianRowsPerSecond: number;
  readonly maxRowsPerSecond: number;
}

async function measure(name: string, compiled: CompiledDataset, bytes: Uint8Array): Promise<Figures> {
  await readOnce(compiled, bytes);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const rows = await readOnce(compiled, bytes);
    if (rows !== ROWS) throw new Error(`${name}: read ${rows} rows, expected ${ROWS}`);
    rates.push(rows / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  const figures = {
    minRowsPerSecond: Math.round(rates[0] as number),
    medianRowsPerSecond: Math.round(rates[Math.floor(rates.length / 2)] as number),
    maxRowsPerSecond: Math.round(rates.at(-1) as number),
  };
  const mb = (bytes.byteLength / 1e6).toFixed(1);
  console.log(
    `${name.padEnd(16)} ${mb.padStart(6)} MB  rows/s min ${figures.minRowsPerSecond}  median ${figures.medianRowsPerSecond}  max ${figures.maxRowsPerSecond}`,
  );
  return figures;
}

export async function run(): Promise<void> {
  const { gzipSync } = await import('node:zlib');
  const encode = (text: string) => new TextEncoder().encode(text);
  const csvFormat = dataset({ type: 'csv' });
  const inputs: [string, CompiledDataset, Uint8Array][] = [
    ['csv-lf', csvFormat, encode(csv('\n', false))],
    ['csv-crlf', csvFormat, encode(csv('\r\n', false))],
    ['csv-cr', csvFormat, encode(csv('\r', false))],
    ['csv-quoted', csvFormat, encode(csv('\n', true))],
    ['ndjson', dataset({ type: 'ndjson' }), encode(ndjson())],
    ['json-array', dataset({ type: 'json' }), encode(`[${ndjson().trimEnd().split('\n').join(',\n')}]`)],
  ];
  inputs.push(['csv-lf-gzip', csvFormat, new Uint8Array(gzipSync(inputs[0]?.[2] as Uint8Array))]);
  console.log(`${ROWS} rows per input, ${ROUNDS} rounds after a warm-up, 64 KiB chunks`);
  const results: Record<string, Figures> = {};
  for (const [name, compiled, bytes] of inputs) {
    if (ONLY === undefined || ONLY.includes(name)) results[name] = await measure(name, compiled, bytes);
  }
  console.log(JSON.stringify({ bench: 'read', rows: ROWS, rounds: ROUNDS, ...results }));
}

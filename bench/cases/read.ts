// Bench: the streaming dataset reader alone (no engine, no storage), per format and line ending:
// CSV with LF, CRLF and CR-only line ends and with quoted cells, NDJSON, a JSON array, and gzip.
// Each input is generated in memory, fed in 64 KiB chunks, and read `BENCH_READ_ROUNDS` times after
// one unmeasured warm-up; prints rows per wall second and per CPU second (min / median / max) per
// input and ends with one JSON line.
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
  /** Rows per second of CPU time (user + system): steadier than wall time on a shared machine. */
  readonly minRowsPerCpuSecond: number;
  readonly medianRowsPerCpuSecond: number;
  readonly maxRowsPerCpuSecond: number;
}

function spread(values: number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [
    Math.round(sorted[0] as number),
    Math.round(sorted[Math.floor(sorted.length / 2)] as number),
    Math.round(sorted.at(-1) as number),
  ];
}

async function measure(name: string, compiled: CompiledDataset, bytes: Uint8Array): Promise<Figures> {
  await readOnce(compiled, bytes);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    const used = process.cpuUsage();
    const rows = await readOnce(compiled, bytes);
    const { user, system } = process.cpuUsage(used);
    if (rows !== ROWS) throw new Error(`${name}: read ${rows} rows, expected ${ROWS}`);
    wall.push(rows / ((performance.now() - start) / 1000));
    cpu.push(rows / ((user + system) / 1e6));
  }
  const [minRowsPerSecond, medianRowsPerSecond, maxRowsPerSecond] = spread(wall);
  const [minRowsPerCpuSecond, medianRowsPerCpuSecond, maxRowsPerCpuSecond] = spread(cpu);
  const mb = (bytes.byteLength / 1e6).toFixed(1);
  console.log(
    `${name.padEnd(12)} ${mb.padStart(6)} MB  rows/s ${minRowsPerSecond} / ${medianRowsPerSecond} / ${maxRowsPerSecond}  rows per CPU s ${minRowsPerCpuSecond} / ${medianRowsPerCpuSecond} / ${maxRowsPerCpuSecond}`,
  );
  return {
    minRowsPerSecond,
    medianRowsPerSecond,
    maxRowsPerSecond,
    minRowsPerCpuSecond,
    medianRowsPerCpuSecond,
    maxRowsPerCpuSecond,
  };
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
  console.log(`${ROWS} rows per input, ${ROUNDS} rounds after a warm-up, 64 KiB chunks (min / median / max)`);
  const results: Record<string, Figures> = {};
  for (const [name, compiled, bytes] of inputs) {
    if (ONLY === undefined || ONLY.includes(name)) results[name] = await measure(name, compiled, bytes);
  }
  console.log(JSON.stringify({ bench: 'read', rows: ROWS, rounds: ROUNDS, ...results }));
}

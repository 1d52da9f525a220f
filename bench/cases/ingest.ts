// Bench: large generated CSV and NDJSON files dropped in the landing bucket and ingested by the
// production drop-zone handler against the local emulators (S3 objects kept on disk, so the
// emulator does not hold the files in memory), each twice: rows in time order, and the same rows
// shuffled (every row in a random hour of the 48). The dataset is keyed by event id, so the key
// index is built and checked as in production. Prints rows/s and MB/s (input bytes, uncompressed),
// the CPU time, the objects written, and the peak memory of the function (the handler runs in a
// process of its own with the heap limits Lambda's Node.js runtime sets for the function's memory,
// 1024 MB), with the shuffled/ordered ratios, then one JSON line.
//
// BENCH_INGEST_ROWS sets the rows per file (default 1,000,000, about 70 MB of CSV and 170 MB of
// NDJSON); BENCH_INGEST_GB=1 instead sizes each file to about that many gigabytes, to show that
// memory stays bounded on a file larger than the 1024 MB the Lambda function has, in any order.
// BENCH_INGEST_FORMATS=csv runs one format only.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { repoRoot as root } from '../../lib/repo-root';
import { LocalCloud } from '../../src/local/local-cloud';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';
import { listKeys } from '../../test/support/ingestion';

const MB = 1024 * 1024;

/** About 74 bytes of CSV or 176 of NDJSON per row. */
function rowsWanted(format: 'csv' | 'ndjson'): number {
  const gigabytes = Number(process.env.BENCH_INGEST_GB ?? 0);
  if (gigabytes > 0) return Math.ceil((gigabytes * 1024 * MB) / (format === 'csv' ? 74 : 176));
  return Number(process.env.BENCH_INGEST_ROWS ?? 1_000_000);
}

const DECLARATION = (id: string, format: string) => `id: ${id}
description: Agent decision events (ingest benchmark)
owner: bench@example.com
format: { type: ${format} }
fields:
  event_id: { type: string, required: true }
  agent_id: { type: string, required: true }
  occurred_at: { type: timestamp }
  action: { type: string, enum: [send_email, bid, personalize, handoff] }
  campaign_id: { type: string }
  latency_ms: { type: number, min: 0 }
  retries: { type: integer, min: 0 }
  error: { type: boolean }
eventTime: occurred_at
key: [event_id]
`;

const ACTIONS = ['send_email', 'bid', 'personalize', 'handoff'];

/** A permutation of 0..count-1 that needs no memory: i → (i·step + offset) mod count, step coprime with count. */
function permutation(count: number): (i: number) => number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let step = Math.floor(count * 0.618_033_988_7) | 1;
  while (gcd(step, count) !== 1) step += 2;
  const offset = Math.floor(count / 3);
  return (i) => Number((BigInt(i) * BigInt(step) + BigInt(offset)) % BigInt(count));
}

/**
 * Deterministic rows over the last 48 hours, in time order or shuffled (the same rows); one in 200
 * is invalid (a bad timestamp or action).
 */
function* rows(count: number, start: number, order: 'ordered' | 'shuffled') {
  const at = order === 'shuffled' ? permutation(count) : (i: number) => i;
  for (let n = 0; n < count; n++) {
    const i = at(n);
    const bad = i % 200 === 199;
    yield {
      event_id: `ev-${i}`,
      agent_id: `agent-${i % 25}`,
      occurred_at:
        bad && i % 400 === 399 ? 'not-a-time' : new Date(start + Math.floor((i * 172_800_000) / count)).toISOString(),
      action: bad && i % 400 !== 399 ? 'shout' : (ACTIONS[i % 4] as string),
      campaign_id: `cmp-${String(i % 60).padStart(3, '0')}`,
      latency_ms: ((i * 37) % 2000) / 10,
      retries: i % 5 === 0 ? 1 : 0,
      error: i % 97 === 0,
    };
  }
}

async function writeFile(
  file: string,
  format: 'csv' | 'ndjson',
  count: number,
  start: number,
  order: 'ordered' | 'shuffled',
): Promise<number> {
  const out = createWriteStream(file);
  let buffer = format === 'csv' ? 'event_id,agent_id,occurred_at,action,campaign_id,latency_ms,retries,error\n' : '';
  for (const row of rows(count, start, order)) {
    buffer +=
      format === 'csv'
        ? `${row.event_id},${row.agent_id},${row.occurred_at},${row.action},${row.campaign_id},${row.latency_ms},${row.retries},${row.error}\n`
        : `${JSON.stringify(row)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return statSync(file).size;
}

interface Figures {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly rowsPerSec: number;
  readonly mbPerSec: number;
  readonly valid: number;
  readonly quarantined: number;
  /** Raw objects written: one per event hour whatever the order. */
  readonly objects: number;
  /** Peak RSS of the process that ran the handler alone: what a Lambda function needs. */
  readonly peakRssMb: number;
  /** The same, above that process's RSS once the handler was built and idle. */
  readonly handlerRssMb: number;
}

export async function run(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-ingest-'));
  const datasetsDir = path.join(work, 'datasets');
  mkdirSync(datasetsDir);
  const cloud = await LocalCloud.start({ stateDir: path.join(work, 'state') });
  try {
    const fn = cloud.functions.get('ingest-drop-zone');
    const env = {
      ...process.env,
      ...cloud.environment,
      ...fn.environment,
      DATASETS_DIR: datasetsDir,
      ...(process.env.RAW_GZIP_LEVEL ? { RAW_GZIP_LEVEL: process.env.RAW_GZIP_LEVEL } : {}),
    };
    const landing = String(fn.environment.LANDING_BUCKET);
    const start = Date.now() - 48 * 3_600_000;
    const results: Record<string, Figures> = {};
    const formats = (process.env.BENCH_INGEST_FORMATS ?? 'csv,ndjson').split(',') as ('csv' | 'ndjson')[];
    for (const format of formats) {
      for (const order of (process.env.BENCH_INGEST_ORDERS ?? 'ordered,shuffled').split(',') as (
        | 'ordered'
        | 'shuffled'
      )[]) {
        const id = `bench_${format}_${order}`;
        writeFileSync(path.join(datasetsDir, `${id}.yaml`), DECLARATION(id, format));
        const count = rowsWanted(format);
        const file = path.join(work, `events.${format}`);
        const bytes = await writeFile(file, format, count, start, order);
        await new Upload({
          client: cloud.clients.s3,
          params: { Bucket: landing, Key: `landing/${id}/events.${format}`, Body: createReadStream(file) },
        }).done();
        rmSync(file);
        // The handler runs in a process of its own, as in Lambda: its peak memory is its own, not the
        // emulators'. It is told it has two hours: the bench measures throughput and memory, not the
        // time limit (a loaded machine reads slower than a Lambda function would).
        const child = await runHandler('ingest-drop-zone', { datasets: [id] }, env, 7_200_000, fn.memoryMb);
        const report = child.result as DropZoneReport;
        const seconds = child.seconds;
        const dataset = report.datasets[0];
        if (dataset?.ingested !== 1) {
          throw new Error(`the ${id} file was not ingested: ${JSON.stringify(report)}`);
        }
        if (
          dataset.rowsRead !== count ||
          dataset.rowsValid + dataset.rowsQuarantined + dataset.rowsDuplicate !== count
        ) {
          throw new Error(`${id}: counts do not reconcile: ${JSON.stringify(dataset)}`);
        }
        const objects = (await listKeys(cloud, String(fn.environment.RAW_BUCKET), `raw/dataset=${id}/`)).length;
        const figures: Figures = {
          rows: count,
          bytes,
          seconds: Number(seconds.toFixed(2)),
          cpuSeconds: Number(child.cpuSeconds.toFixed(2)),
          rowsPerSec: Math.round(count / seconds),
          mbPerSec: Number((bytes / MB / seconds).toFixed(1)),
          valid: dataset.rowsValid,
          quarantined: dataset.rowsQuarantined,
          objects,
          peakRssMb: child.maxRssMb,
          handlerRssMb: child.maxRssMb - child.idleRssMb,
        };
        results[`${format}_${order}`] = figures;
        console.log(
          `${format} ${order}: ${figures.rows.toLocaleString('en')} rows, ${(figures.bytes / MB).toFixed(0)} MB in ${figures.seconds} s (${figures.cpuSeconds} s CPU): ` +
            `${figures.rowsPerSec.toLocaleString('en')} rows/s, ${figures.mbPerSec} MB/s; ${figures.valid.toLocaleString('en')} valid, ` +
            `${figures.quarantined.toLocaleString('en')} quarantined; ${objects} raw objects; the function's peak memory ${figures.peakRssMb} MB (${figures.handlerRssMb} MB above its idle ${child.idleRssMb} MB; highest sampled RSS ${child.atPeakMb.rss} MB: heap ${child.atPeakMb.heapUsed} MB used of ${child.atPeakMb.heapTotal} MB, ${child.atPeakMb.external} MB outside it)`,
        );
      }
      const ordered = results[`${format}_ordered`] as Figures | undefined;
      const shuffled = results[`${format}_shuffled`] as Figures | undefined;
      if (!ordered || !shuffled) continue;
      console.log(
        `${format}: shuffled/ordered CPU seconds ${(shuffled.cpuSeconds / ordered.cpuSeconds).toFixed(2)}, rows/s ${(shuffled.rowsPerSec / ordered.rowsPerSec).toFixed(2)}; peak memory ${shuffled.peakRssMb} vs ${ordered.peakRssMb} MB`,
      );
    }
    console.log(JSON.stringify({ bench: 'ingest', ...results }));
  } finally {
    await cloud.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

interface HandlerRun {
  readonly result: unknown;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly idleRssMb: number;
  readonly maxRssMb: number;
  /** At the highest sampled RSS: V8's heap (used, reserved) and the memory outside it. */
  readonly atPeakMb: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly heapTotal: number;
    readonly external: number;
    readonly arrayBuffers: number;
  };
}

/**
 * Runs a handler in a process of its own (bench/support/run-handler.ts) with the heap Lambda's
 * Node.js runtime gives a function of `memoryMb` (old space 90 %, semi-space 5 % of it), and returns
 * what it printed.
 */
async function runHandler(
  entry: string,
  event: unknown,
  env: NodeJS.ProcessEnv,
  remainingMs: number,
  memoryMb: number,
): Promise<HandlerRun> {
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${Number(process.env.BENCH_INGEST_OLD_SPACE_MB ?? Math.floor(memoryMb * 0.9))}`,
      `--max-semi-space-size=${Math.max(1, Math.floor(memoryMb * 0.05))}`,
      '--import',
      'tsx',
      path.join(root, 'bench', 'support', 'run-handler.ts'),
      entry,
      JSON.stringify(event),
      String(remainingMs),
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  // BENCH_INGEST_TRACE=file: the process's RSS every 50 ms, read from outside it (a handler that
  // holds the event loop cannot sample itself), beside the lines it logs, for finding where the
  // peak happens.
  const trace = process.env.BENCH_INGEST_TRACE;
  const began = Date.now();
  const poller = trace
    ? setInterval(() => {
        try {
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1];
          if (rss) appendFileSync(trace, `${Date.now() - began} rss ${Math.round(Number(rss) / 1024)}\n`);
        } catch {
          // The process has ended.
        }
      }, 50)
    : undefined;
  if (trace) {
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) appendFileSync(trace, `${Date.now() - began} log ${line.slice(0, 200)}\n`);
      }
    });
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  if (poller) clearInterval(poller);
  if (code !== 0) throw new Error(`the ${entry} handler exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as HandlerRun;
}

// Bench: a large generated CSV file and a large NDJSON file dropped in the landing bucket and
// ingested by the production drop-zone handler against the local emulators (S3 objects kept on
// disk, so the emulator does not hold the files in memory). Prints rows/s and MB/s per format
// (input bytes, uncompressed), the CPU time, and the process's peak memory, then one JSON line.
//
// BENCH_INGEST_ROWS sets the rows per file (default 1,000,000, about 70 MB of CSV and 170 MB of
// NDJSON); BENCH_INGEST_GB=1 instead sizes each file to about that many gigabytes, to show that
// memory stays bounded on a file larger than the 1024 MB the Lambda function has.

import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Upload } from '@aws-sdk/lib-storage';
import { LocalCloud } from '../../src/local/local-cloud';
import type { LambdaHandler } from '../../src/runtime/handler';
import type { DropZoneReport } from '../../src/usecases/ingest-drop-zone';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
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
`;

const ACTIONS = ['send_email', 'bid', 'personalize', 'handoff'];

/** Deterministic rows over the last 48 hours; one in 200 is invalid (a bad timestamp or action). */
function* rows(count: number, start: number) {
  for (let i = 0; i < count; i++) {
    const bad = i % 200 === 199;
    yield {
      event_id: `ev-${i}`,
      agent_id: `agent-${i % 25}`,
      occurred_at:
        bad && i % 400 === 399 ? 'not-a-time' : new Date(start + ((i * 7919) % 172_800) * 1000).toISOString(),
      action: bad && i % 400 !== 399 ? 'shout' : (ACTIONS[i % 4] as string),
      campaign_id: `cmp-${String(i % 60).padStart(3, '0')}`,
      latency_ms: ((i * 37) % 2000) / 10,
      retries: i % 5 === 0 ? 1 : 0,
      error: i % 97 === 0,
    };
  }
}

async function writeFile(file: string, format: 'csv' | 'ndjson', count: number, start: number): Promise<number> {
  const out = createWriteStream(file);
  let buffer = format === 'csv' ? 'event_id,agent_id,occurred_at,action,campaign_id,latency_ms,retries,error\n' : '';
  for (const row of rows(count, start)) {
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
  readonly peakRssMb: number;
  /** Peak RSS during the run minus RSS just before it: what the handler itself needed. */
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
    for (const format of ['csv', 'ndjson'] as const) {
      const id = `bench_events_${format}`;
      writeFileSync(path.join(datasetsDir, `${id}.yaml`), DECLARATION(id, format));
      const count = rowsWanted(format);
      const file = path.join(work, `events.${format}`);
      const bytes = await writeFile(file, format, count, start);
      await new Upload({
        client: cloud.clients.s3,
        params: { Bucket: landing, Key: `landing/${id}/events.${format}`, Body: createReadStream(file) },
      }).done();
      rmSync(file);
      // A fresh handler per format, as a cold Lambda would build it.
      const module = (await import(path.join(root, 'functions', 'ingest-drop-zone.ts'))) as {
        create: (e: Record<string, string | undefined>) => LambdaHandler<DropZoneReport>;
      };
      const handler = module.create(env);
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const cpu = process.cpuUsage();
      const began = performance.now();
      const report = await handler({ datasets: [id] });
      const seconds = (performance.now() - began) / 1000;
      const used = process.cpuUsage(cpu);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const dataset = report.datasets[0];
      if (dataset?.ingested !== 1) {
        throw new Error(`the ${format} file was not ingested: ${JSON.stringify(report)}`);
      }
      if (dataset.rowsRead !== count || dataset.rowsValid + dataset.rowsQuarantined !== count) {
        throw new Error(`${format}: counts do not reconcile: ${JSON.stringify(dataset)}`);
      }
      results[format] = {
        rows: count,
        bytes,
        seconds: Number(seconds.toFixed(2)),
        cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)),
        rowsPerSec: Math.round(count / seconds),
        mbPerSec: Number((bytes / MB / seconds).toFixed(1)),
        valid: dataset.rowsValid,
        quarantined: dataset.rowsQuarantined,
        peakRssMb: Math.round(peak / MB),
        handlerRssMb: Math.round((peak - before) / MB),
      };
      const r = results[format] as Figures;
      console.log(
        `${format}: ${r.rows.toLocaleString('en')} rows, ${(r.bytes / MB).toFixed(0)} MB in ${r.seconds} s (${r.cpuSeconds} s CPU): ` +
          `${r.rowsPerSec.toLocaleString('en')} rows/s, ${r.mbPerSec} MB/s; ${r.valid.toLocaleString('en')} valid, ` +
          `${r.quarantined.toLocaleString('en')} quarantined; peak RSS ${r.peakRssMb} MB (${r.handlerRssMb} MB above the RSS before the run)`,
      );
    }
    const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(`process peak memory (emulators included): ${maxRssMb} MB`);
    console.log(JSON.stringify({ bench: 'ingest', ...results, maxRssMb }));
  } finally {
    await cloud.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

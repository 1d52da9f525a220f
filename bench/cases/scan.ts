// Bench: a CTR + spend + p95-latency KPI set by campaign and day over one NDJSON file of generated ad
// records, through the real path (dataset declaration → streaming reader → engine), against DuckDB
// (single-threaded) on the same file computing the same numbers. Prints the figures, checks that the
// two agree, and ends with one JSON line.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { repoRoot as root } from '../../lib/repo-root';
import { loadDatasetFile, readDatasetFiles } from '../../src/adapters/local/dataset-files';
import { fileRecordSource } from '../../src/adapters/local/dataset-record-source';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { columnarReading } from '../../src/domain/dataset/columnar';
import { compileKpi } from '../../src/domain/engine/kpi';
import type { KpiValue } from '../../src/domain/engine/value';
import { formatRecord, SAMPLE_FILES, writeLines } from '../../src/sample/files';
import { generateAdRecords } from '../../src/sample/generate';
import { computeKpiValues } from '../../src/usecases/compute-kpi-values';

const RECORDS = Number(process.env.BENCH_SCAN_RECORDS ?? 1_000_000);
const KPIS = ['ctr', 'ad_spend', 'bid_latency_p95'];
/** Measured runs of each side, after one unmeasured warm-up run. */
const ROUNDS = Number(process.env.BENCH_SCAN_ROUNDS ?? 5);

interface GroupFigures {
  ctr: number | null;
  spend: number;
  p95: number | null;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function writeBenchFile(file: string, records = RECORDS): Promise<void> {
  const layout = SAMPLE_FILES.ad_performance;
  const lines = (function* () {
    for (const record of generateAdRecords(records, { seed: 7, campaigns: 40 })) yield formatRecord(record, layout);
  })();
  await writeLines(file, null, lines);
}

/** Wall and CPU milliseconds of `work` (CPU counts every thread of this process: JS, GC, DuckDB's). */
interface Timed<T> {
  readonly result: T;
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
}

/** The run with the median CPU time. */
function median<T extends { cpuMs: number }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(runs.length / 2)] as T;
}

async function runEngine(file: string): Promise<{ figures: Map<string, GroupFigures>; read: number }> {
  const kpis = KPIS.map((id) =>
    compileKpi(readDefinitionFile(path.join(root, 'kpis/definitions', `${id}.yaml`)).definition),
  );
  const dataset = await loadDatasetFile(path.join(root, 'kpis/datasets/ad_performance.yaml'));
  const { results, reads } = await computeKpiValues({
    kpis,
    source: fileRecordSource(new Map([['ad_performance', dataset]]), new Map([['ad_performance', [file]]])),
    asOf: Date.now(),
  });
  const figures = new Map<string, GroupFigures>();
  const slot = (value: KpiValue) => {
    const key = `${value.periodStart.slice(0, 10)}|${value.dimensions.campaign_id}`;
    let entry = figures.get(key);
    if (entry === undefined) {
      entry = { ctr: null, spend: 0, p95: null };
      figures.set(key, entry);
    }
    return entry;
  };
  for (const { kpi, computation } of results) {
    for (const value of computation.values) {
      if (value.dimensions.campaign_id === undefined || value.sampleSize === 0) continue;
      const entry = slot(value);
      if (kpi.definition.id === 'ctr') entry.ctr = value.value;
      if (kpi.definition.id === 'ad_spend') entry.spend = value.value ?? 0;
      if (kpi.definition.id === 'bid_latency_p95') entry.p95 = value.value;
    }
  }
  return { figures, read: reads[0]?.counts.read ?? 0 };
}

async function runDuckDb(file: string): Promise<{ figures: Map<string, GroupFigures> }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  // The same numbers: CTR = sum(clicks) / sum(impressions); spend = sum(spend); p95 by nearest rank,
  // the ceil(0.95 n)-th smallest value (quantile_disc interpolates its index differently).
  const sql = `
    SELECT strftime(date_trunc('day', ts), '%Y-%m-%d') AS day, campaign_id,
           sum(clicks) / sum(impressions) AS ctr,
           sum(spend) AS spend,
           list_sort(list(bid_latency_ms))[(95 * count(bid_latency_ms) + 99) // 100] AS p95
    FROM read_json('${file.replace(/'/g, "''")}', format = 'newline_delimited', columns = {
      ts: 'TIMESTAMP', campaign_id: 'VARCHAR', channel: 'VARCHAR', variant: 'VARCHAR', impressions: 'BIGINT',
      clicks: 'BIGINT', spend: 'DOUBLE', conversions: 'BIGINT', bid_latency_ms: 'DOUBLE'
    })
    GROUP BY ALL`;
  const rows = (await connection.runAndReadAll(sql)).getRowObjects();
  connection.closeSync();
  const figures = new Map<string, GroupFigures>();
  for (const row of rows) {
    figures.set(`${row.day}|${row.campaign_id}`, {
      ctr: row.ctr === null ? null : Number(row.ctr),
      spend: Number(row.spend),
      p95: row.p95 === null ? null : Number(row.p95),
    });
  }
  return { figures };
}

function disagreements(engine: Map<string, GroupFigures>, duckdb: Map<string, GroupFigures>): string[] {
  const problems: string[] = [];
  const close = (a: number | null, b: number | null, relative: number) =>
    a === b || (a !== null && b !== null && Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)));
  if (engine.size !== duckdb.size) problems.push(`groups: engine ${engine.size}, duckdb ${duckdb.size}`);
  for (const [key, ours] of engine) {
    const theirs = duckdb.get(key);
    if (theirs === undefined) problems.push(`${key}: missing from duckdb`);
    else if (!close(ours.ctr, theirs.ctr, 1e-12)) problems.push(`${key}: ctr ${ours.ctr} vs ${theirs.ctr}`);
    // DuckDB adds doubles in its own order; the engine's sum is exact, so they may differ in the last bits.
    else if (!close(ours.spend, theirs.spend, 1e-9)) problems.push(`${key}: spend ${ours.spend} vs ${theirs.spend}`);
    else if (ours.p95 !== theirs.p95) problems.push(`${key}: p95 ${ours.p95} vs ${theirs.p95}`);
  }
  return problems;
}

export async function run(): Promise<void> {
  const dir = path.join(root, '.local', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `scan-${RECORDS}.ndjson`);
  const started = performance.now();
  await writeBenchFile(file);
  const megabytes = statSync(file).size / 1024 / 1024;
  console.log(
    `generated ${RECORDS.toLocaleString('en-US')} records, ${megabytes.toFixed(1)} MiB, in ${seconds(performance.now() - started)}`,
  );

  // Both sides first run once over the same file, unmeasured: what is compared is the steady state
  // (the engine's JavaScript compiled by the JIT, DuckDB's query planned and its file cached), not
  // the first run. Then each runs ROUNDS times, alternating, and the median of each is compared: on
  // a shared machine one run of either can be 20 % off.
  await runEngine(file);
  await runDuckDb(file);
  const engineRuns: Timed<Awaited<ReturnType<typeof runEngine>>>[] = [];
  const duckdbRuns: Timed<Awaited<ReturnType<typeof runDuckDb>>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    engineRuns.push(await timed(() => runEngine(file)));
    duckdbRuns.push(await timed(() => runDuckDb(file)));
  }
  const engineRun = median(engineRuns);
  const duckdbRun = median(duckdbRuns);
  const engine = engineRun.result;
  const duckdb = duckdbRun.result;
  const samples = (runs: { cpuMs: number }[]) => runs.map((r) => (r.cpuMs / 1000).toFixed(2)).join(', ');
  console.log(
    `engine (reader + 3 KPIs by campaign and day): ${seconds(engineRun.cpuMs)} CPU, ${seconds(engineRun.wallMs)} wall (median of ${ROUNDS}: ${samples(engineRuns)} s CPU), ${engine.figures.size} groups`,
  );
  console.log(
    `duckdb (threads=1, same file, same numbers):  ${seconds(duckdbRun.cpuMs)} CPU, ${seconds(duckdbRun.wallMs)} wall (median of ${ROUNDS}: ${samples(duckdbRuns)} s CPU), ${duckdb.figures.size} groups`,
  );

  // Where the engine's time goes: the same read without the KPIs (run last, so it warms nothing up).
  const readOnly = await timed(async () => {
    const dataset = await loadDatasetFile(path.join(root, 'kpis/datasets/ad_performance.yaml'));
    let records = 0;
    // Batches of columns are counted as they are: their records would be made only for this count.
    for await (const batch of readDatasetFiles(dataset, [file], { columns: columnarReading }))
      records += batch.columns?.length ?? batch.records.length;
    return records;
  });
  console.log(
    `  of which the dataset reader (decode, parse, type, validate): ${seconds(readOnly.cpuMs)} CPU; the KPIs: ${seconds(engineRun.cpuMs - readOnly.cpuMs)} CPU`,
  );

  const problems = disagreements(engine.figures, duckdb.figures);
  if (engine.read !== RECORDS) problems.unshift(`engine read ${engine.read} records of ${RECORDS}`);
  if (problems.length > 0) {
    console.log(`DISAGREE on ${problems.length} group(s):\n  ${problems.slice(0, 10).join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('agree: CTR (to 1e-12), spend (to 1e-9) and p95 (exactly) in every group');
  }
  // Rates by CPU time: on a shared machine wall time measures the neighbours as much as the code.
  const recordsPerSec = Math.round(RECORDS / (engineRun.cpuMs / 1000));
  const duckdbRecordsPerSec = Math.round(RECORDS / (duckdbRun.cpuMs / 1000));
  // The ratio of each round (its engine run against the DuckDB run right after it).
  const ratios = engineRuns
    .map((run, round) => (duckdbRuns[round] as Timed<unknown>).cpuMs / run.cpuMs)
    .sort((a, b) => a - b);
  const ratioOf = (at: number) => Number((ratios[at] as number).toFixed(3));
  console.log(
    `ratio by round (engine records/s over DuckDB's): min ${ratioOf(0)}, median ${ratioOf(Math.floor(ROUNDS / 2))}, max ${ratioOf(ROUNDS - 1)}`,
  );
  console.log(
    JSON.stringify({
      bench: 'scan',
      records: RECORDS,
      recordsPerSec,
      duckdbRecordsPerSec,
      ratio: Number((recordsPerSec / duckdbRecordsPerSec).toFixed(3)),
      ratioMin: ratioOf(0),
      ratioMax: ratioOf(ROUNDS - 1),
    }),
  );
}

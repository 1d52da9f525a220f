// Bench: a Lambda cold start as a caller waits for it, import plus first invocation, of every
// function the local pipeline invokes, on the synthesized bundles.
// The pipeline runs once on the local cloud (BENCH_COLD_STARTS_DAYS days of sample data, default 7),
// which records the first event each function got and the environment it ran with. Then, for each
// function, BENCH_COLD_STARTS_ROUNDS times (default 5), a new Node process in the function's folder of
// the Lambda layout the bundles case writes (.local/bench/lambda: run `npm run bench -- bundles
// cold-starts`) imports the bundle and calls its handler once with that event, against the same
// local cloud: CPU of the import, CPU of the first invocation. The replayed event finds the state the
// pipeline left (a review pack already built, a file already ingested), so some functions take a
// shorter path than their first run did; the figures compare code, not paths.
// The local endpoints are http:, Lambda's are https:. The SDK imports node:http for an http: endpoint
// only, and Node's ES-module facade of node:http loads undici (~40 ms CPU), which no function pays on
// Lambda: each process imports node:http before the clock starts.
// BENCH_COLD_STARTS_FUNCTIONS=compute,review-pack measures only those functions.
// BENCH_COLD_STARTS_COMPARE=<another layout folder> measures that layout too, alternating with this
// one in every round (e.g. the bundles of another commit, copied aside).
// Ends with one JSON line:
// {"bench":"cold-starts","functions":…,"maxImportCpuMs":…,"maxFirstInvocationCpuMs":…,"maxColdStartCpuMs":…}
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot as root } from '../../lib/repo-root';
import { LocalCloud } from '../../src/local/local-cloud';
import { runLocalPipeline } from '../../src/local/pipeline-run';

const ROUNDS = Number(process.env.BENCH_COLD_STARTS_ROUNDS ?? 5);
const DAYS = Number(process.env.BENCH_COLD_STARTS_DAYS ?? 7);
const ONLY = process.env.BENCH_COLD_STARTS_FUNCTIONS?.split(',').filter(Boolean);
const execFileAsync = promisify(execFile);

interface Recorded {
  readonly event: unknown;
  readonly env: Record<string, string>;
}

interface Sample {
  readonly importCpuMs: number;
  readonly invocationCpuMs: number;
  readonly failure: string | null;
}

/** Runs in the function's folder: imports the bundle, then invokes its handler once with FUNCTION_EVENT. */
const CHILD = `
await import('node:http');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const module = await import('./index.mjs');
const c1 = cpu();
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST', awsRequestId: 'cold-start',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '1024', logGroupName: 'cold-start', logStreamName: 'cold-start',
  getRemainingTimeInMillis: () => 60000, callbackWaitsForEmptyEventLoop: false,
};
let failure = null;
try { await module.handler(JSON.parse(process.env.FUNCTION_EVENT), context); } catch (error) { failure = String(error).slice(0, 300); }
const c2 = cpu();
process.stdout.write('\\n@cold-start ' + JSON.stringify({ importCpuMs: c1 - c0, invocationCpuMs: c2 - c1, failure }));
`;

async function coldStart(dir: string, recorded: Recorded): Promise<Sample> {
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: dir,
    env: {
      ...recorded.env,
      PATH: process.env.PATH ?? '',
      LAMBDA_TASK_ROOT: dir,
      FUNCTION_EVENT: JSON.stringify(recorded.event),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = stdout.split('\n@cold-start ').pop() ?? '';
  return JSON.parse(line) as Sample;
}

function figures(samples: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? Number.NaN,
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

const range = (values: readonly number[]) => {
  const f = figures(values);
  return `${f.min.toFixed(0)} / ${f.median.toFixed(0)} / ${f.max.toFixed(0)}`;
};

export async function run(): Promise<void> {
  const layout = path.join(root, '.local', 'bench', 'lambda');
  const compare = process.env.BENCH_COLD_STARTS_COMPARE ? path.resolve(process.env.BENCH_COLD_STARTS_COMPARE) : null;
  for (const dir of compare ? [layout, compare] : [layout]) {
    if (!existsSync(path.join(dir, 'opt', 'nodejs', 'task')))
      throw new Error(`${dir}: no Lambda layout (run \`npm run bench -- bundles cold-starts\`)`);
  }
  const outDir = mkdtempSync(path.join(tmpdir(), 'kpi-bench-cold-starts-'));
  const cloud = await LocalCloud.start();
  try {
    const recorded = new Map<string, Recorded>();
    cloud.functions.observe(({ fn, event }) => {
      if (!recorded.has(fn.entry)) {
        recorded.set(fn.entry, {
          event: structuredClone(event),
          env: { ...(cloud.functions.environmentOf(fn) as Record<string, string>) },
        });
      }
    });
    const started = performance.now();
    await runLocalPipeline(cloud, { days: DAYS, outDir, decide: 'approve', log: () => {}, stage: () => {} });
    console.log(
      `pipeline of ${DAYS} days on the local cloud in ${((performance.now() - started) / 1000).toFixed(1)} s; first events of ${recorded.size} functions recorded`,
    );

    const entries = [...recorded.keys()]
      .sort()
      .filter((entry) => !ONLY || ONLY.includes(entry))
      .filter((entry) => existsSync(path.join(layout, 'opt', 'nodejs', 'task', entry, 'index.mjs')));
    const layouts = compare ? [layout, compare] : [layout];
    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const entry of entries) {
        const order = round % 2 === 0 ? layouts : [...layouts].reverse();
        for (const dir of order) {
          const sample = await coldStart(
            path.join(dir, 'opt', 'nodejs', 'task', entry),
            recorded.get(entry) as Recorded,
          );
          const key = `${entry}\u0000${dir}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }

    console.log(
      `CPU ms, min / median / max of ${ROUNDS} fresh processes per function (Lambda layout, local endpoints); first invocation = the handler's first call with the event the pipeline sent it`,
    );
    console.log(
      `${'function'.padEnd(18)} ${compare ? 'layout'.padEnd(10) : ''}${'import'.padStart(15)}  ${'first invocation'.padStart(16)}  ${'sum'.padStart(15)}`,
    );
    const medians: { importCpu: number; invocationCpu: number; sum: number }[] = [];
    for (const entry of entries) {
      for (const dir of layouts) {
        const list = samples.get(`${entry}\u0000${dir}`) ?? [];
        const failures = list.filter((s) => s.failure !== null);
        const importCpu = list.map((s) => s.importCpuMs);
        const invocationCpu = list.map((s) => s.invocationCpuMs);
        const sum = list.map((s) => s.importCpuMs + s.invocationCpuMs);
        const label = compare ? (dir === layout ? 'this' : 'compare').padEnd(10) : '';
        console.log(
          `${entry.padEnd(18)} ${label}${range(importCpu).padStart(15)}  ${range(invocationCpu).padStart(16)}  ${range(sum).padStart(15)}${failures.length > 0 ? `  (${failures.length} failed: ${failures[0]?.failure})` : ''}`,
        );
        if (dir === layout) {
          medians.push({
            importCpu: figures(importCpu).median,
            invocationCpu: figures(invocationCpu).median,
            sum: figures(sum).median,
          });
        }
      }
    }
    console.log(
      JSON.stringify({
        bench: 'cold-starts',
        functions: entries.length,
        maxImportCpuMs: Math.round(Math.max(...medians.map((m) => m.importCpu))),
        maxFirstInvocationCpuMs: Math.round(Math.max(...medians.map((m) => m.invocationCpu))),
        maxColdStartCpuMs: Math.round(Math.max(...medians.map((m) => m.sum))),
      }),
    );
  } finally {
    await cloud.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

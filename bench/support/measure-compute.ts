// Bench support (compute-memory): the compute function alone in a fresh process, as Lambda runs it
// (the emulators stay in the parent, as the services stay outside a function). Builds the handler
// from the environment the parent passes (BENCH_FUNCTION_ENV: the template's variables and the
// local endpoints), invokes it once on a day without data so that its modules are loaded (the idle
// function), then on the day given, sampling the process's RSS every 10 ms. Prints one JSON line.
import type { Context } from 'aws-lambda';
import { create } from '../../functions/compute';

const [day, idleDay] = process.argv.slice(2) as [string, string];
const DAY = 86_400_000;
const handler = create(JSON.parse(process.env.BENCH_FUNCTION_ENV ?? '{}') as Record<string, string>);
const context = {
  functionName: 'compute',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;
const invoke = (start: string) =>
  handler(
    {
      kpiId: 'ctr',
      from: `${start}T00:00:00.000Z`,
      to: new Date(Date.parse(`${start}T00:00:00Z`) + DAY).toISOString(),
      asOf: new Date(Date.parse(`${start}T00:00:00Z`) + 3 * DAY).toISOString(),
      force: true,
    },
    context,
  ) as Promise<{ partitions: { aggregated: number } }>;

await invoke(idleDay);
for (let i = 0; i < 3; i++) global.gc?.();
const idle = process.memoryUsage().rss;
let peak = idle;
const detail = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  for (const k of Object.keys(detail) as (keyof typeof detail)[])
    detail[k] = Math.max(detail[k], Math.round(m[k] / 2 ** 20));
}, 10);
const cpu = process.cpuUsage();
const started = performance.now();
const summary = await invoke(day);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  JSON.stringify({
    idleMb: Math.round(idle / 2 ** 20),
    peakMb: Math.round(peak / 2 ** 20),
    seconds: Number(seconds.toFixed(2)),
    cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)),
    aggregated: summary.partitions.aggregated,
    detail,
  }),
);

// Bench support: runs one production handler in a process of its own, as Lambda would, and prints
// what it returned with the process's peak memory (max RSS) and CPU time as one JSON line. The
// environment (endpoints of the emulators, resource names) comes from the parent; argv[2] is the
// function entry under functions/, argv[3] the event as JSON, argv[4] the milliseconds the handler
// is told it has left.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { repoRoot as root } from '../../lib/repo-root';
import type { LambdaHandler } from '../../src/runtime/handler';

const [entry, event, remaining] = process.argv.slice(2);
const module = (await import(path.join(root, 'functions', `${entry}.ts`))) as {
  create: (env: Record<string, string | undefined>) => LambdaHandler<unknown>;
};
const handler = module.create(process.env);
const idleRssMb = process.memoryUsage().rss / 1024 / 1024;
const cpu = process.cpuUsage();
const began = performance.now();
// Where the memory is at the highest sampled RSS: V8's heap, and the buffers outside it.
let atPeak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > atPeak.rss) atPeak = usage;
}, 100);
const result = await handler(JSON.parse(event ?? '{}'), {
  getRemainingTimeInMillis: () => Number(remaining ?? 900_000),
} as Context);
const used = process.cpuUsage(cpu);
clearInterval(sampler);
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
console.log(
  JSON.stringify({
    result,
    seconds: (performance.now() - began) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    idleRssMb: Math.round(idleRssMb),
    maxRssMb: peakRssMb(),
    atPeakMb: {
      rss: mb(atPeak.rss),
      heapUsed: mb(atPeak.heapUsed),
      heapTotal: mb(atPeak.heapTotal),
      external: mb(atPeak.external),
      arrayBuffers: mb(atPeak.arrayBuffers),
    },
  }),
);

/**
 * The process's peak resident memory since it started. On Linux, VmHWM of /proc/self/status: the
 * high-water mark of this process's own memory. Not getrusage's maxRSS, which Linux carries over
 * from the process it was forked from (the bench's, which holds the emulated bucket), so a small
 * handler spawned by a large parent would report the parent's size.
 */
function peakRssMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Math.round(Number(kb) / 1024);
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

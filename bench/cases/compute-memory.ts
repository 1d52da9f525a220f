// Bench: the memory of one KPI over one day, as the day grows from 1 to 20 million records. A day
// of generated ad records (40 campaigns: the CTR KPI keeps 41 groups, the overall row included) is
// written per size through the commit log, laid out as ingestion lays it out (one gzip NDJSON object
// per hour). Each size is then computed by the compute function's handler in a process of its own
// (cold, as Lambda runs it; the emulators stay in this process, as the services stay outside a
// function), with the partial cache emptied before each round (every round reads the whole day) and
// the raw object cache off (RAW_CACHE_MIB=0: it adds at most its own budget), and the peak RSS above
// the idle function is reported.
//
// BENCH_COMPUTE_MEMORY_RECORDS: the sizes, comma-separated (default 1000000,5000000,10000000,20000000);
// BENCH_COMPUTE_MEMORY_ROUNDS: fresh processes per size (default 3; rssMb is their median, with the
// min and max beside it);
// BENCH_RAW_CACHE_MIB: the cache's budget (default 0); BENCH_CHILD_FLAGS: more node flags for the
// function's process (e.g. --max-old-space-size=128).
// Ends with {"bench":"compute-memory","sizes":[{"records":…,"rssMb":…},…]}.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { repoRoot as root } from '../../lib/repo-root';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { PARTIALS_PREFIX } from '../../src/contracts/work-layout';
import { LocalCloud } from '../../src/local/local-cloud';
import { synthesizeTemplates } from '../../src/local/synth';
import { generateAdRecords } from '../../src/sample/generate';
import { putRawBatchStreamed, rawStoreOf } from '../../test/support/raw-store';

const SIZES = (process.env.BENCH_COMPUTE_MEMORY_RECORDS ?? '1000000,5000000,10000000,20000000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_COMPUTE_MEMORY_ROUNDS ?? '3');
const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2026, 5, 2);

interface Measure {
  readonly idleMb: number;
  readonly peakMb: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly aggregated: number;
  /** Peaks of process.memoryUsage() during the run, MB. */
  readonly detail: { readonly heapUsed: number; readonly heapTotal: number; readonly arrayBuffers: number };
}

export async function run(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-compute-memory-'));
  const stateDir = path.join(work, 'state');
  try {
    const sizes: {
      records: number;
      rssMb: number;
      rssMbMin: number;
      rssMbMax: number;
      idleMb: number;
      seconds: number;
      recordsPerSecond: number;
    }[] = [];
    const templates = await synthesizeTemplates();
    const days = SIZES.map((_, i) => new Date(FIRST_DAY + i * DAY).toISOString().slice(0, 10));
    const cloud = await LocalCloud.start({ stateDir, templates });
    try {
      const fn = cloud.functions.get('compute');
      const functionEnvironment = JSON.stringify({
        ...cloud.environment,
        ...fn.environment,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        RAW_CACHE_MIB: process.env.BENCH_RAW_CACHE_MIB ?? '0',
      });
      const definition = storedDefinition(readDefinitionFile(path.join(root, 'kpis/definitions/ctr.yaml')).definition);
      await kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
        now: () => FIRST_DAY,
      }).publish(definition, { author: 'bench', reason: 'compute-memory benchmark' });
      for (const [i, records] of SIZES.entries()) {
        const started = performance.now();
        const written = await putRawBatchStreamed(rawStoreOf(cloud), {
          dataset: 'ad_performance',
          batchId: `day-${i}`,
          eventTimeField: 'ts',
          gzipLevel: 1,
          records: generateAdRecords(records, { seed: 7 + i, start: days[i] as string, days: 1, campaigns: 40 }),
        });
        console.log(
          `  wrote ${records.toLocaleString('en')} records of ${days[i]}: ${written.objects} objects, ${(written.bytes / 2 ** 20).toFixed(0)} MiB gzip, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
      }
      const idleDay = new Date(FIRST_DAY - DAY).toISOString().slice(0, 10);
      for (const [i, records] of SIZES.entries()) {
        const rounds: Measure[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Each round aggregates the day again: no partial state kept by the previous one.
          await emptyPrefix(cloud.clients.s3, cloud.physicalName('WorkBucket', 'AWS::S3::Bucket'), PARTIALS_PREFIX);
          const measure = await measureInChild(functionEnvironment, days[i] as string, idleDay);
          if (measure.aggregated !== 24)
            throw new Error(`expected the 24 hours of ${days[i]} aggregated: ${JSON.stringify(measure)}`);
          rounds.push(measure);
          console.log(
            `  ${records.toLocaleString('en').padStart(10)} records, round ${round + 1}: ${measure.peakMb - measure.idleMb} MB above the idle function (${measure.idleMb} MB), ${measure.seconds} s, ${measure.cpuSeconds} s CPU (${Math.round(records / measure.cpuSeconds).toLocaleString('en')} records per CPU second); peaks: heap used ${measure.detail.heapUsed} MB of ${measure.detail.heapTotal} MB, buffers ${measure.detail.arrayBuffers} MB`,
          );
        }
        const above = rounds.map((m) => m.peakMb - m.idleMb).sort((a, b) => a - b);
        const cpu = rounds.map((m) => m.cpuSeconds).sort((a, b) => a - b);
        const rssMb = median(above);
        sizes.push({
          records,
          rssMb,
          rssMbMin: above[0] as number,
          rssMbMax: above.at(-1) as number,
          idleMb: median(rounds.map((m) => m.idleMb).sort((a, b) => a - b)),
          seconds: median(rounds.map((m) => m.seconds).sort((a, b) => a - b)),
          recordsPerSecond: Math.round(records / median(cpu)),
        });
        console.log(
          `  ${records.toLocaleString('en').padStart(10)} records: ${above[0]} / ${rssMb} / ${above.at(-1)} MB above the idle function (min / median / max of ${ROUNDS}), ${Math.round(records / median(cpu)).toLocaleString('en')} records per CPU second (median)`,
        );
      }
    } finally {
      await cloud.stop();
    }
    console.log(JSON.stringify({ bench: 'compute-memory', sizes }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Deletes every object under `prefix`. */
async function emptyPrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    if (Contents.length === 0) return;
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: Contents.map((o) => ({ Key: o.Key as string })) },
      }),
    );
  }
}

/** The middle of sorted figures (the mean of the two middle ones for an even count). */
function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function measureInChild(functionEnvironment: string, day: string, idleDay: string): Promise<Measure> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--expose-gc',
      ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      path.join(root, 'bench/support/measure-compute.ts'),
      day,
      idleDay,
    ],
    { env: { ...process.env, BENCH_FUNCTION_ENV: functionEnvironment }, maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Measure;
}

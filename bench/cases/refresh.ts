// Bench: the cost of a refresh. A 30-day window of generated ad records sits in the raw store (one
// batch per day, an object per hour); a KPI set (CTR, spend, p95 bid latency, by campaign and day)
// is computed in full through the compute function on the emulators, then one new hour of data
// lands and the same computation runs again, reusing the partial aggregates of every other hour.
// Ends with one JSON line: {"bench":"refresh","fullMs":…,"incrementalMs":…,"ratio":…}.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import type { ComputeSummary } from '../../src/contracts/compute-function';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import type { TypedRecord } from '../../src/domain/records';
import { LocalCloud } from '../../src/local/local-cloud';
import { generateAdRecords } from '../../src/sample/generate';
import { importRawBatch, rawStoreOf } from '../../test/support/raw-store';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RECORDS = Number(process.env.BENCH_REFRESH_RECORDS ?? 1_000_000);
const DAYS = 30;
const KPIS = ['ctr', 'ad_spend', 'bid_latency_p95'];
const START = '2026-06-01';
const HOUR = 3_600_000;

export async function run(): Promise<void> {
  const cloud = await LocalCloud.start();
  try {
    const _rawBucket = cloud.physicalName('RawBucket', 'AWS::S3::Bucket');
    const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
      now: () => Date.parse(START),
    });
    for (const id of KPIS) {
      const definition = storedDefinition(
        readDefinitionFile(path.join(root, 'kpis', 'definitions', `${id}.yaml`)).definition,
      );
      await store.publish(definition, { author: 'bench', reason: 'refresh benchmark' });
    }

    // The window's records, by day; the last hour is held back: it is the "new hour" of the refresh.
    const start = Date.parse(`${START}T00:00:00Z`);
    const end = start + DAYS * 24 * HOUR;
    const byDay = new Map<number, TypedRecord[]>();
    const lastHour: TypedRecord[] = [];
    for (const record of generateAdRecords(RECORDS, { seed: 11, start: START, days: DAYS, campaigns: 40 })) {
      const ts = record.ts as number;
      if (ts >= end - HOUR) {
        lastHour.push(record);
        continue;
      }
      const day = Math.floor((ts - start) / (24 * HOUR));
      const list = byDay.get(day) ?? [];
      list.push(record);
      byDay.set(day, list);
    }
    for (const [day, records] of byDay) {
      await importRawBatch(rawStoreOf(cloud), {
        dataset: 'ad_performance',
        batchId: `day-${day}`,
        records,
        eventTimeField: 'ts',
      });
    }
    console.log(
      `  ${RECORDS} records over ${DAYS} days in ${byDay.size} batches; ${lastHour.length} held back as the new hour`,
    );

    const computeAll = async () => {
      const summaries: ComputeSummary[] = [];
      for (const kpiId of KPIS) {
        summaries.push(
          (await cloud.functions.invoke('compute', {
            kpiId,
            from: new Date(start).toISOString(),
            to: new Date(end).toISOString(),
            asOf: new Date(end + 2 * HOUR).toISOString(),
          })) as ComputeSummary,
        );
      }
      return summaries;
    };

    const fullStarted = performance.now();
    const full = await computeAll();
    const fullMs = performance.now() - fullStarted;
    describe('full', full, fullMs);

    await importRawBatch(rawStoreOf(cloud), {
      dataset: 'ad_performance',
      batchId: 'new-hour',
      records: lastHour,
      eventTimeField: 'ts',
    });
    const incrementalStarted = performance.now();
    const incremental = await computeAll();
    const incrementalMs = performance.now() - incrementalStarted;
    describe('refresh', incremental, incrementalMs);

    const aggregated = incremental.reduce((sum, s) => sum + s.partitions.aggregated, 0);
    if (aggregated !== KPIS.length)
      throw new Error(`the refresh aggregated ${aggregated} partitions, expected one per KPI`);
    const ratio = incrementalMs / fullMs;
    console.log(`  refresh / full = ${ratio.toFixed(4)} (target ≤ 0.05)`);
    console.log(
      JSON.stringify({
        bench: 'refresh',
        records: RECORDS,
        days: DAYS,
        kpis: KPIS.length,
        fullMs: Math.round(fullMs),
        incrementalMs: Math.round(incrementalMs),
        ratio: Number(ratio.toFixed(4)),
      }),
    );
  } finally {
    await cloud.stop();
  }
}

function describe(label: string, summaries: ComputeSummary[], ms: number): void {
  const sum = (pick: (s: ComputeSummary) => number) => summaries.reduce((total, s) => total + pick(s), 0);
  console.log(
    `  ${label.padEnd(8)} ${(ms / 1000).toFixed(2)} s: partitions aggregated ${sum((s) => s.partitions.aggregated)}, reused ${sum((s) => s.partitions.reused)}; periods finalized ${sum((s) => s.periods.finalized)}; values written ${sum((s) => s.values.created + s.values.updated)}`,
  );
}

// Bench: a quarantine replay on the emulators, through the real adapters. A CSV of
// BENCH_REPLAY_ROWS rows (default 100,000) is ingested under a declaration that refuses half of
// them (a value outside an enum); a second version accepts them, and the day's quarantine is
// replayed: the rows move to raw once, their hours are marked late. Each round uses a dataset of its
// own. Prints min / median / max of the replay's wall time and rows moved per second, and ends with
// one JSON line.
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { S3IngestStore } from '../../src/adapters/aws/s3-ingest-store';
import { nodeGunzip } from '../../src/adapters/gzip';
import { MemorySpillStore } from '../../src/adapters/memory/memory-spill-store';
import { systemClock } from '../../src/adapters/system-clock';
import { loadDataset } from '../../src/domain/dataset';
import { LocalCloud } from '../../src/local/local-cloud';
import { type IngestDependencies, ingestBatch } from '../../src/usecases/ingest-batch';
import { replayQuarantine } from '../../src/usecases/replay-quarantine';

const ROWS = Number(process.env.BENCH_REPLAY_ROWS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 3);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const declare = (id: string, kinds: string[]) =>
  loadDataset(
    {
      id,
      description: 'bench',
      owner: 'bench@example.com',
      format: { type: 'csv' },
      eventTime: 'at',
      key: ['event_id'],
      fields: {
        event_id: { type: 'string', required: true },
        at: { type: 'timestamp', required: true },
        amount: { type: 'integer', required: true },
        kind: { type: 'string', required: true, enum: kinds },
      },
    },
    'bench.yaml',
  );

export async function run(): Promise<void> {
  const cloud = await LocalCloud.start();
  try {
    const env = cloud.functions.get('ingest-drop-zone').environment;
    const now = Date.now();
    const deps: IngestDependencies = {
      store: new S3IngestStore(cloud.clients.s3, {
        raw: String(env.RAW_BUCKET),
        quarantine: String(env.QUARANTINE_BUCKET),
      }),
      ledger: new DynamoDbIngestLedger(cloud.clients.dynamodb, String(env.STATE_TABLE)),
      log: new DynamoDbRawCommitLog(cloud.clients.dynamodb, String(env.STATE_TABLE)),
      spill: new MemorySpillStore(),
      clock: systemClock,
      codeVersion: 'bench',
      gunzip: nodeGunzip,
    };
    const lines = ['event_id,at,amount,kind'];
    for (let i = 0; i < ROWS; i++) {
      lines.push(`e${i},${new Date(now - 2 * DAY + (i % 24) * HOUR).toISOString()},${i % 100},${i % 2 ? 'c' : 'a'}`);
    }
    const text = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const times: number[] = [];
    let moved = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const id = `bench_replay_${round}`;
      await ingestBatch(
        {
          dataset: declare(id, ['a', 'b']),
          connector: 'drop_zone',
          source: 's3://bench/export.csv',
          parts: [
            {
              origin: { source: 's3://bench', file: 'export.csv' },
              bytes: (async function* () {
                yield text;
              })(),
              uri: 'export.csv',
            },
          ],
          mode: 'partial',
          lateAfterMinutes: 60,
        },
        deps,
      );
      const started = performance.now();
      const report = await replayQuarantine(
        {
          dataset: declare(id, ['a', 'b', 'c']),
          declarationVersion: 2,
          from: Math.floor(now / DAY) * DAY - DAY,
          to: Math.floor(now / DAY) * DAY + DAY,
        },
        deps,
      );
      times.push(performance.now() - started);
      moved = report.totals.moved;
      if (report.totals.before !== report.totals.after + report.totals.moved + report.totals.duplicate) {
        throw new Error(`counts do not reconcile: ${JSON.stringify(report.totals)}`);
      }
      console.log(`round ${round}: ${report.totals.moved} rows moved in ${(times.at(-1) ?? 0).toFixed(0)} ms`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(
      `replay of ${moved} quarantined rows: min ${sorted[0]?.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms; ${Math.round(moved / (median / 1000))} rows/s at the median`,
    );
    console.log(
      JSON.stringify({
        bench: 'replay',
        rows: moved,
        minMs: Math.round(sorted[0] ?? 0),
        medianMs: Math.round(median),
        maxMs: Math.round(sorted.at(-1) ?? 0),
      }),
    );
  } finally {
    await cloud.stop();
  }
}

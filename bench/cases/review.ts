// Bench: the cost of a review pack. The whole pipeline runs once on the emulators over the sample
// (`npm start`'s run: 42 days by default, BENCH_REVIEW_DAYS to change it); then each review kind's
// function builds the pack of its last complete period from the stores, five times (the period's
// pack record is removed between rounds, so each round builds it in full: values, change log, audit
// trail, data-quality records, cases, the page and its JSON). Prints min / median / max of the build
// time seen by the caller and by the function, and the pack's sizes; ends with one JSON line:
// {"bench":"review","days":…,"packs":[{"kind":…,"medianMs":…,"roundsMs":[…],"htmlBytes":…,"jsonBytes":…}]}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { ReviewPackSummary } from '../../functions/review-pack';
import { REVIEW_KINDS, type ReviewKind, reviewPeriodBefore } from '../../src/domain/reviews/kinds';
import { LocalCloud } from '../../src/local/local-cloud';
import { runLocalPipeline } from '../../src/local/pipeline-run';

const DAYS = Number(process.env.BENCH_REVIEW_DAYS ?? 42);
const ROUNDS = 5;

const stats = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function run(): Promise<void> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'bench-review-'));
  const cloud = await LocalCloud.start();
  try {
    const started = performance.now();
    const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await runLocalPipeline(cloud, {
      days: DAYS,
      seed: 42,
      end,
      outDir,
      decide: 'approve',
      log: () => {},
      stage: () => {},
    });
    console.log(`  pipeline over ${DAYS} days of sample data: ${seconds(performance.now() - started)} (not measured)`);

    const table = cloud.physicalName('ReviewsTable');
    const packs = [];
    for (const kind of REVIEW_KINDS as readonly ReviewKind[]) {
      const builder = cloud.functions.list().find((f) => f.environment.REVIEW_KIND === kind);
      if (!builder) throw new Error(`no ${kind} review function`);
      const period = reviewPeriodBefore(kind, end).label;
      const caller: number[] = [];
      const inside: number[] = [];
      let last: ReviewPackSummary | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        await cloud.clients.dynamodb.send(
          new DeleteCommand({ TableName: table, Key: { pk: `PACK#${kind}`, sk: period } }),
        );
        const t0 = performance.now();
        last = (await cloud.functions.invoke(builder.arn, {
          kind,
          scheduledTime: new Date().toISOString(),
          period,
        })) as ReviewPackSummary;
        caller.push(performance.now() - t0);
        inside.push(last.buildMs);
        if (last.outcome !== 'built') throw new Error(`round ${round}: ${last.outcome}`);
      }
      const c = stats(caller);
      const f = stats(inside);
      console.log(
        `  ${last?.reviewId}: ${last?.headline}\n    build (caller)   min ${seconds(c.min)}  median ${seconds(c.median)}  max ${seconds(c.max)}\n    build (function) min ${seconds(f.min)}  median ${seconds(f.median)}  max ${seconds(f.max)}\n    page ${((last?.bytes.html ?? 0) / 1024).toFixed(0)} KiB, JSON ${((last?.bytes.json ?? 0) / 1024).toFixed(0)} KiB`,
      );
      packs.push({
        kind,
        period,
        rounds: ROUNDS,
        minMs: Math.round(c.min),
        medianMs: Math.round(c.median),
        maxMs: Math.round(c.max),
        functionMedianMs: Math.round(f.median),
        roundsMs: caller.map(Math.round),
        htmlBytes: last?.bytes.html ?? 0,
        jsonBytes: last?.bytes.json ?? 0,
      });
    }
    console.log(JSON.stringify({ bench: 'review', days: DAYS, packs }));
  } finally {
    await cloud.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

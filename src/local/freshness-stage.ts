// Local runtime: the dataset freshness check as `npm start` shows it. Its schedule (the one the
// template declares) is delivered to the production function as EventBridge Scheduler would, at
// the time of the run: each dataset that declares `freshness` is judged against its last committed
// arrival, its freshness record lands in pipeline_ingest (the `dataset_freshness` KPI counts them),
// and an owner would be notified of a dataset late or recovered.
import { humanDuration } from '../domain/dataset/freshness';
import type { DataQualityRow } from '../report/build-report';
import type { FreshnessCheckReport } from '../usecases/check-dataset-freshness';
import type { LocalCloud } from './local-cloud';

const MINUTE = 60_000;

/** Runs the check once at `at` (the run's time, to the minute) and prints a line per dataset. */
export async function runFreshnessStage(
  cloud: LocalCloud,
  at: number,
  log: (line: string) => void,
): Promise<FreshnessCheckReport | null> {
  const [schedule] = cloud.schedules.targeting('check-freshness');
  if (!schedule) return null;
  const report = (await cloud.schedules.run(
    schedule,
    new Date(Math.floor(at / MINUTE) * MINUTE),
  )) as FreshnessCheckReport;
  for (const dataset of report.datasets) {
    const since =
      dataset.lastArrivalAt === null
        ? 'no batch committed yet'
        : `last batch committed ${humanDuration(dataset.silentMillis)} ago`;
    const notice = dataset.noticesSent.length > 0 ? `; ${dataset.owner} notified (${dataset.transition})` : '';
    log(`  ${dataset.dataset.padEnd(20)} ${dataset.status.padEnd(13)} ${since}${notice}`);
  }
  if (report.unchecked.length > 0) log(`  not checked (no freshness declared): ${report.unchecked.join(', ')}`);
  return report;
}

/** The report's data-quality rows with the check's verdict on each dataset it judged. */
export function withFreshness(rows: readonly DataQualityRow[], report: FreshnessCheckReport | null): DataQualityRow[] {
  const verdicts = new Map((report?.datasets ?? []).map((d) => [d.dataset, d]));
  return rows.map((row) => {
    const verdict = verdicts.get(row.dataset);
    if (!verdict) return row;
    return {
      ...row,
      freshness: {
        status: verdict.status,
        lastArrivalAt: verdict.lastArrivalAt === null ? null : new Date(verdict.lastArrivalAt).toISOString(),
        silentMinutes: Math.round(verdict.silentMillis / MINUTE),
      },
    };
  });
}

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
const HOUR = 60 * MINUTE;

/**
 * Runs the check once, as its schedule fired at the start of the current hour (or at the run's end,
 * when later), and prints a line per dataset. The files just landed count as arrived; the run's
 * records are named by that hour, so two runs within one hour write the same keys.
 */
export async function runFreshnessStage(
  cloud: LocalCloud,
  end: number,
  log: (line: string) => void,
): Promise<FreshnessCheckReport | null> {
  const [schedule] = cloud.schedules.targeting('check-freshness');
  if (!schedule) return null;
  const at = Math.max(end, Math.floor(Date.now() / HOUR) * HOUR);
  const report = (await cloud.schedules.run(schedule, new Date(at))) as FreshnessCheckReport;
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

// Local runtime: the fix-and-replay recovery as `npm start` shows it. The sample plants a flawed
// web-sessions export (a tracking change upstream); among its quarantined rows, those without a
// `bounced` flag are sessions the new tracking sends without it when it is false. A new version of
// the declaration says so (a default), the quarantine of the ingestion days is replayed under it
// through the production drop-zone function, and the schedules of the KPIs reading the dataset fire
// again: their refresh recomputes the hours the replay marked late and restates the values.

import type { LoadedDataset } from '../adapters/local/dataset-files';
import type { ComputeSummary } from '../contracts/compute-function';
import type { DatasetDeclaration } from '../domain/dataset';
import { datasetsOfCalculation, type KpiDefinition } from '../domain/definition/schema';
import type { ReplayReport } from '../usecases/replay-quarantine';
import { publishDeclaration } from './dataset-versions';
import type { LocalCloud } from './local-cloud';

const DAY = 86_400_000;
const DATASET = 'web_sessions';

export interface RecoveryResult {
  readonly dataset: string;
  readonly version: number;
  readonly replay: ReplayReport;
  /** Values of the KPIs reading the dataset that the refresh restated. */
  readonly restatements: number;
  readonly kpis: readonly string[];
}

/** The fix: `bounced` is false when the new tracking leaves it out. */
export function fixedWebSessions(declaration: DatasetDeclaration): DatasetDeclaration {
  const bounced = declaration.fields.bounced;
  if (!bounced) throw new Error(`${DATASET} declares no bounced field`);
  return { ...declaration, fields: { ...declaration.fields, bounced: { ...bounced, default: 'false' } } };
}

/** Publishes the fix, replays the quarantine of the last two days of ingestion, and refreshes the KPIs. */
export async function runRecoveryStage(
  cloud: LocalCloud,
  catalog: ReadonlyMap<string, LoadedDataset>,
  definitions: readonly KpiDefinition[],
  end: number,
  log: (line: string) => void,
): Promise<RecoveryResult | null> {
  const loaded = catalog.get(DATASET);
  if (!loaded) return null;
  const published = await publishDeclaration(cloud, fixedWebSessions(loaded.declaration), {
    author: 'npm-start',
    reason: 'the tracking change leaves bounced out when it is false',
  });
  const version = published?.published.version ?? 0;
  log(`  ${DATASET}: version ${version} published: fields.bounced.default "false" (rows without it pass)`);
  // Days of ingestion: the files were dropped moments ago (today, or yesterday just before midnight).
  const today = Math.floor(Date.now() / DAY) * DAY;
  const replay = (await cloud.functions.invoke('ingest-drop-zone', {
    replay: { dataset: DATASET, from: new Date(today - DAY).toISOString(), to: new Date(today + DAY).toISOString() },
  })) as ReplayReport;
  const t = replay.totals;
  const late = replay.days.reduce((n, d) => n + d.lateHours.length, 0);
  log(
    `  replayed the quarantine under version ${replay.declarationVersion}: before ${t.before} = after ${t.after} + moved ${t.moved}${t.duplicate ? ` + duplicate ${t.duplicate}` : ''}; ${late} hours marked late`,
  );
  const reasons = new Map<string, number>();
  for (const day of replay.days)
    for (const [code, n] of Object.entries(day.stillQuarantinedByReason))
      reasons.set(code, (reasons.get(code) ?? 0) + n);
  if (reasons.size > 0) {
    log(`  still in quarantine with their reasons: ${[...reasons].map(([code, n]) => `${code} ${n}`).join(', ')}`);
  }
  const groupName = cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup');
  const readers = definitions.filter((d) => datasetsOfCalculation(d.calculation).includes(DATASET)).map((d) => d.id);
  let restatements = 0;
  for (const id of readers) {
    const summary = (await cloud.scheduler.fire(`kpi-${id}`, groupName, new Date(end))) as ComputeSummary;
    restatements += summary.restatements;
  }
  await cloud.lambda.drain();
  log(`  ${readers.join(', ')} refreshed: ${restatements} values restated from the replayed rows`);
  return { dataset: DATASET, version, replay, restatements, kpis: readers };
}

// Local runtime: one run of the whole pipeline on the local cloud, stage by stage, through the
// production handlers, schedules and state machines: publish the KPI definitions, feed the sources,
// ingest, compute the history, let the schedules refresh and evaluate the latest periods (violations
// go to the guardrail intake and on to approvers), decide as a demo approver, export snapshots and
// build the report. `npm start` prints it; the end-to-end test checks it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { DynamoDbKpiValueStore } from '../adapters/aws/dynamodb-kpi-value-store';
import { kpiDefinitionStore, storedDefinition } from '../adapters/aws/kpi-definitions';
import { SchedulerKpiSchedules } from '../adapters/aws/scheduler-kpi-schedules';
import { definitionsNotFitting } from '../adapters/files/definition-fit';
import {
  type LoadedDataset,
  landingNameOf,
  loadDatasetCatalog,
  resolveDatasetFiles,
} from '../adapters/local/dataset-files';
import { systemClock } from '../adapters/system-clock';
import type { ComputeSummary } from '../contracts/compute-function';
import { readDefinitionFiles } from '../contracts/kpi-definition-files';
import { MANIFEST_PREFIX } from '../contracts/raw-layout';
import { ingestionOf } from '../domain/dataset';
import type { KpiDefinition } from '../domain/definition/schema';
import { periodStart, shiftPeriod } from '../domain/engine/time';
import { GOVERNANCE_DATASET_ID } from '../domain/guardrails/audit';
import { type BatchManifest, batchManifestSchema } from '../domain/ingest/manifest';
import { DefinitionUnchangedError } from '../domain/versioning/errors';
import { buildReportModel, type DataQualityRow, proposalRows } from '../report/build-report';
import { governanceReportData } from '../report/governance';
import { type ReportModel, reportModelSchema } from '../report/model';
import { renderReportHtml } from '../report/render-html';
import { writeFlawedSample, writeSampleFiles } from '../sample/files';
import { generateSampleData } from '../sample/generate';
import { publishDefinition } from '../usecases/publish-definition';
import { definitionChangesOf } from '../usecases/reviews/definition-changes';
import {
  type CalibrationStageResult,
  describeGatedOutcome,
  proposalsSince,
  runCalibrationStage,
} from './calibration-stage';
import { publishDatasetCatalog } from './dataset-versions';
import { runFreshnessStage, withFreshness } from './freshness-stage';
import { localGuardrailStores, runGuardrailsDemo } from './guardrails-demo';
import { dropFiles, importGovernanceHistory, pushAgentEvents, runDropZone } from './ingestion';
import type { LocalCloud } from './local-cloud';
import { type RecoveryResult, runRecoveryStage } from './recovery-stage';
import { type ReviewsDemoResult, runReviewsDemo } from './reviews-demo';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400_000;

export interface LocalRunOptions {
  /** Seed of the sample data. @default 42 */
  readonly seed?: number;
  /** Days of sample data, ending at `end`; six weeks give drift a baseline. @default 42 */
  readonly days?: number;
  /** The instant the run happens at (the end of the sample). @default now, on the hour */
  readonly end?: number;
  /**
   * Your own data instead of the sample: `<dir>/datasets/*.yaml` declarations (their `files` are
   * dropped in the landing zone) and `<dir>/definitions/*.yaml` KPIs.
   */
  readonly dataDir?: string;
  /** Where the report and the run summary are written. */
  readonly outDir: string;
  /** What the demo approver answers; `none` leaves approvals open (serve them with --serve). */
  readonly decide: 'approve' | 'reject' | 'none';
  readonly log: (line: string) => void;
  readonly stage: (title: string) => void;
  /** After each KPI of the compute and evaluate stages: how many of how many, and what it did. */
  readonly progress?: (done: number, total: number, what: string) => void;
}

export interface LocalRunResult {
  readonly report: ReportModel;
  readonly reportFile: string;
  /** The weekly review packs built after the run, and what the demo reviewer recorded. */
  readonly review: ReviewsDemoResult;
  /** Approval links sent to approvers, by approval id. */
  readonly links: Record<string, string[]>;
  readonly window: { readonly from: number; readonly to: number };
  /** The calibration proposals, and the target change of a high KPI that waited for approval. */
  readonly calibration: CalibrationStageResult;
  /** The fix-and-replay of the flawed export (sample data only). */
  readonly recovery: RecoveryResult | null;
  readonly counts: {
    readonly definitions: number;
    readonly rowsRead: number;
    readonly rowsQuarantined: number;
    readonly values: number;
    readonly violations: number;
    readonly approvals: number;
    readonly snapshots: number;
  };
}

/** Runs every stage of the pipeline once. */
export async function runLocalPipeline(cloud: LocalCloud, options: LocalRunOptions): Promise<LocalRunResult> {
  const { log, stage } = options;
  const runAt = options.end ?? Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const definitionsDir = options.dataDir
    ? path.join(options.dataDir, 'definitions')
    : path.join(root, 'kpis', 'definitions');
  const datasetsDir = options.dataDir ? path.join(options.dataDir, 'datasets') : path.join(root, 'kpis', 'datasets');

  stage('Define: the KPI definitions published as immutable versions, with a schedule per cadence');
  const definitions = await publishDefinitions(cloud, definitionsDir, datasetsDir, log);
  const ingested = await ingestStage(cloud, options, datasetsDir, runAt);
  const { from, end, catalog } = ingested;
  const computed = await computeHistoryStage(cloud, options, definitions, from, end);
  const evaluated = await evaluateStage(cloud, options, definitions, end);

  // The flawed export's quarantine, fixed by a new declaration version and replayed; the refresh restates.
  let recovery: RecoveryResult | null = null;
  if (!options.dataDir) {
    stage('Recover: a fixed web_sessions declaration is published and its quarantine replayed');
    recovery = await runRecoveryStage(cloud, catalog, definitions, end, log);
  }

  stage('Calibrate: threshold proposals on each calibration cadence; a target change on a high KPI waits for approval');
  const calibration = await runCalibrationStage(cloud, end, log);

  stage('Govern: the guardrail policy notifies owners or asks approvers through the approval workflow');
  const guardrails = await runGuardrailsDemo(cloud, null, { decide: options.decide, log, topics: evaluated.topics });
  if (calibration.gated) log(`  ${await describeGatedOutcome(cloud, calibration.gated)}`);

  const snapshots = await publishStage(cloud, options, definitions, from, end);

  stage('Review: the weekly review pack, built from the stores as its schedule would, signed off');
  const review = await runReviewsDemo(cloud, {
    at: end,
    outDir: options.outDir,
    decide: options.decide === 'none' ? 'none' : 'sign',
    log,
  });

  stage('Report');
  const dataQuality = withFreshness(ingested.dataQuality, ingested.freshness).map((row) =>
    recovery && row.dataset === recovery.dataset ? withReplay(row, recovery) : row,
  );
  const { report, reportFile } = await reportStage(cloud, options, { definitions, from, end, dataQuality, review });
  const values = (summaries: readonly ComputeSummary[]) =>
    summaries.reduce((n, c) => n + c.values.created + c.values.updated, 0);
  return {
    report,
    reportFile,
    review,
    links: guardrails.links,
    window: { from, to: end },
    calibration,
    recovery,
    counts: {
      definitions: definitions.length,
      rowsRead: ingested.dataQuality.reduce((n, d) => n + d.read, 0),
      rowsQuarantined: ingested.dataQuality.reduce((n, d) => n + d.quarantined, 0),
      values: values(computed) + values(evaluated.refreshed),
      violations: evaluated.violations,
      approvals: guardrails.approvalIds.length,
      snapshots,
    },
  };
}

interface IngestStageResult {
  readonly catalog: Awaited<ReturnType<typeof loadDatasetCatalog>>;
  /** The window the run covers: from the first day of data to the instant the run happens at. */
  readonly from: number;
  readonly end: number;
  readonly dataQuality: DataQualityRow[];
  /** What the freshness check found after the ingestion, as its schedule would have. */
  readonly freshness: Awaited<ReturnType<typeof runFreshnessStage>>;
}

/**
 * Publishes the dataset declarations and feeds the sources: the sample's files (or yours) dropped in
 * the landing zone and ingested by the drop-zone schedule, the governance history, the telemetry push.
 */
async function ingestStage(
  cloud: LocalCloud,
  options: LocalRunOptions,
  datasetsDir: string,
  runAt: number,
): Promise<IngestStageResult> {
  const { log } = options;
  const days = options.days ?? 42;
  let end = runAt;
  options.stage(
    options.dataDir
      ? `Ingest: your files from ${datasetsDir}`
      : `Ingest: ${days} days of sample data through the connectors`,
  );
  const catalog = await loadDatasetCatalog(datasetsDir);
  const datasetVersions = await publishDatasetCatalog(cloud, catalog, {
    author: 'npm-start',
    reason: 'initial publication of the dataset declarations',
  });
  log(`  ${datasetVersions} dataset declarations published as versions the ingestion reads at run time`);
  let from = periodStart('day', end - days * DAY);
  const { drops, histories } = options.dataDir
    ? { drops: await yourDrops(catalog), histories: [] }
    : await sampleDrops(catalog, options, from, end);
  await dropFiles(cloud, drops);
  log(
    `  dropped ${drops.length} files in s3://${cloud.functions.get('ingest-drop-zone').environment.LANDING_BUCKET}/landing/`,
  );
  const dropZone = await runDropZone(cloud);
  for (const history of histories) await importGovernanceHistory(cloud, history.loaded, history.file);
  if (!options.dataDir) {
    const push = await pushAgentEvents(cloud, end);
    log(`  telemetry endpoint: an agent pushed ${push.accepted} signed events → HTTP ${push.status}`);
  }
  const manifests = await readManifests(cloud);
  if (options.dataDir) {
    // Your files set the window: from the day of the first event to the end of the day of the
    // last one (or now, if that is earlier), so the schedules evaluate the periods your data covers.
    const times = manifests
      .flatMap((m) => [m.oldestEventTime, m.newestEventTime])
      .filter((t): t is number => t !== null);
    if (times.length > 0) {
      from = periodStart('day', Math.min(...times));
      if (options.end === undefined) end = Math.min(end, periodStart('day', Math.max(...times)) + DAY);
      log(
        `  your events span ${new Date(from).toISOString().slice(0, 10)} → ${new Date(end).toISOString().slice(0, 10)}; the run happens at the end of that window`,
      );
    }
  }
  log(`  connector runs: ${dropZone.datasets.reduce((n, d) => n + d.files, 0)} files through the drop-zone schedule`);
  log('  freshness check (its schedule): each dataset against its declared freshness');
  const freshness = await runFreshnessStage(cloud, end, log);
  return { catalog, from, end, dataQuality: dataQualityRows(manifests, end), freshness };
}

type LocalDrop = { dataset: string; file: string; name?: string };

/** Your datasets' files, for the drop zone; keys keep the folders `files` captures fields from. */
async function yourDrops(catalog: Awaited<ReturnType<typeof loadDatasetCatalog>>): Promise<LocalDrop[]> {
  const drops: LocalDrop[] = [];
  for (const [id, loaded] of catalog) {
    if (!ingestionOf(loaded.declaration).dropZone) continue;
    for (const file of await resolveDatasetFiles(loaded))
      drops.push({ dataset: id, file, name: landingNameOf(loaded, file) });
  }
  return drops;
}

/** The sample's files, written to the out folder: those for the drop zone, and the governance history. */
async function sampleDrops(
  catalog: Awaited<ReturnType<typeof loadDatasetCatalog>>,
  options: LocalRunOptions,
  from: number,
  end: number,
): Promise<{ drops: LocalDrop[]; histories: { loaded: LoadedDataset; file: string }[] }> {
  const drops: LocalDrop[] = [];
  const histories: { loaded: LoadedDataset; file: string }[] = [];
  const start = new Date(from).toISOString().slice(0, 10);
  const sampleDir = path.join(options.outDir, 'sample-data');
  const data = generateSampleData({ seed: options.seed ?? 42, start, days: options.days ?? 42 });
  const files = await writeSampleFiles(sampleDir, data);
  // A tracking change upstream: some rows arrive broken, and are quarantined with their reasons.
  const flawed = await writeFlawedSample(sampleDir, data, { seed: options.seed ?? 42 });
  for (const f of [...files, flawed]) {
    const loaded = catalog.get(f.dataset);
    if (loaded && ingestionOf(loaded.declaration).dropZone) drops.push({ dataset: f.dataset, file: f.file });
    // No connector writes the governance dataset: its history is copied in as a migration would.
    else if (loaded && f.dataset === GOVERNANCE_DATASET_ID) histories.push({ loaded, file: f.file });
  }
  options.log(
    `  sample: seed ${options.seed ?? 42}, ${start} → ${new Date(end).toISOString().slice(0, 16)}Z, planted anomalies included`,
  );
  return { drops, histories };
}

/**
 * History up to the previous period, computed without evaluation (the past wakes nobody); the
 * schedules then compute the latest periods as they do every day, and evaluate them.
 */
async function computeHistoryStage(
  cloud: LocalCloud,
  options: LocalRunOptions,
  definitions: readonly KpiDefinition[],
  from: number,
  end: number,
): Promise<ComputeSummary[]> {
  options.stage('Compute: the history of every KPI through the compute function, with lineage');
  const computed: ComputeSummary[] = [];
  for (const [index, definition] of definitions.entries()) {
    const refresh = shiftPeriod(definition.grain, periodStart(definition.grain, end), -1);
    if (refresh <= from) {
      options.progress?.(index + 1, definitions.length, `${definition.id}: no complete period before the latest`);
      continue;
    }
    const summary = (await cloud.functions.invoke('compute', {
      kpiId: definition.id,
      from: new Date(from).toISOString(),
      to: new Date(refresh).toISOString(),
      asOf: new Date(end).toISOString(),
    })) as ComputeSummary;
    computed.push(summary);
    options.progress?.(
      index + 1,
      definitions.length,
      `${definition.id}: ${summary.periods.finalized} periods, ${summary.values.created + summary.values.updated} values`,
    );
  }
  const sum = (pick: (c: ComputeSummary) => number) => computed.reduce((n, c) => n + pick(c), 0);
  options.log(
    `  ${computed.length} KPIs, ${sum((c) => c.periods.finalized)} periods, ${sum((c) => c.values.created + c.values.updated)} values written; ${sum((c) => c.partitions.aggregated)} raw partitions aggregated`,
  );
  return computed;
}

/** Each KPI's schedule fires at `end`: the refresh computes the latest periods and evaluates them. */
async function evaluateStage(
  cloud: LocalCloud,
  options: LocalRunOptions,
  definitions: readonly KpiDefinition[],
  end: number,
): Promise<{ refreshed: ComputeSummary[]; violations: number; topics: { approvals: string; owners: string } }> {
  options.stage(
    'Evaluate: each KPI schedule fires; the refresh computes the latest periods, status, drift and forecasts',
  );
  const { approvalsTopic, ownersTopic } = await watchGuardrailTopics(cloud);
  const groupName = cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup');
  let violations = 0;
  const refreshed: ComputeSummary[] = [];
  for (const [index, definition] of definitions.entries()) {
    const summary = (await cloud.scheduler.fire(`kpi-${definition.id}`, groupName, new Date(end))) as ComputeSummary;
    refreshed.push(summary);
    violations += summary.violations;
    options.progress?.(
      index + 1,
      definitions.length,
      `${definition.id}: ${summary.periods.finalized} periods${summary.violations > 0 ? `, ${summary.violations} violations` : ''}`,
    );
  }
  await cloud.lambda.drain();
  options.log(
    `  ${refreshed.length} schedules fired at ${new Date(end).toISOString().slice(0, 16)}Z: ${refreshed.reduce((n, c) => n + c.periods.finalized, 0)} periods refreshed, ${violations} violations handed to the guardrail intake`,
  );
  return { refreshed, violations, topics: { approvals: approvalsTopic, owners: ownersTopic } };
}

/** Parquet snapshots of every date of the window; returns how many dates were written. */
async function publishStage(
  cloud: LocalCloud,
  options: LocalRunOptions,
  definitions: readonly KpiDefinition[],
  from: number,
  end: number,
): Promise<number> {
  options.stage('Publish: Parquet snapshots with manifests for data teams');
  const dates: string[] = [];
  for (let day = from; day < end; day += DAY) dates.push(new Date(day).toISOString().slice(0, 10));
  // A value is filed under the date its period starts: a month, year or all_time period may start earlier.
  for (const definition of definitions) {
    const date = new Date(periodStart(definition.grain, from)).toISOString().slice(0, 10);
    if (!dates.includes(date)) dates.unshift(date);
  }
  const exported = (await cloud.functions.invoke('export-snapshots', { dates })) as {
    exports: { date: string; outcome: string; rows: number; key: string | null }[];
  };
  const written = exported.exports.filter((e) => e.outcome === 'written');
  const snapshotBucket = cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket');
  options.log(
    `  ${written.length} dates, ${written.reduce((n, e) => n + e.rows, 0)} rows in s3://${snapshotBucket}/kpi_values/date=…/values.parquet, each with a manifest`,
  );
  return written.length;
}

/** A data-quality row with the replay of its dataset's quarantine. */
function withReplay(row: DataQualityRow, recovery: RecoveryResult): DataQualityRow {
  return {
    ...row,
    replay: {
      version: recovery.version,
      moved: recovery.replay.totals.moved,
      stillQuarantined: recovery.replay.totals.after,
      restated: recovery.restatements,
    },
  };
}

/** The HTML report of the run, from the stores, written to the out folder. */
async function reportStage(
  cloud: LocalCloud,
  options: LocalRunOptions,
  run: {
    definitions: readonly KpiDefinition[];
    from: number;
    end: number;
    dataQuality: DataQualityRow[];
    review: ReviewsDemoResult;
  },
): Promise<{ report: ReportModel; reportFile: string }> {
  const { definitions, from, end, review } = run;
  const values = new DynamoDbKpiValueStore({
    client: cloud.clients.dynamodb,
    tableName: cloud.physicalName('ValuesTable'),
  });
  const definitionStore = kpiDefinitionStore(
    cloud.clients.dynamodb,
    cloud.physicalName('DefinitionsTable'),
    systemClock,
  );
  const governance = await governanceReportData(localGuardrailStores(cloud), {
    from: new Date(from - DAY).toISOString(),
    to: new Date(Date.now() + DAY).toISOString(),
  });
  const report = reportModelSchema.parse(
    await buildReportModel({
      definitions: [...definitions],
      values,
      from,
      to: end,
      dataQuality: run.dataQuality,
      governance,
      links: [
        {
          label: `Review pack ${review.latest.reviewId}`,
          href: path.relative(options.outDir, review.latest.htmlFile).split(path.sep).join('/'),
        },
      ],
      changeLog: (id) => definitionChangesOf(definitionStore, id),
      proposals: proposalRows(await proposalsSince(cloud, from), (id) => definitions.find((d) => d.id === id)),
      run: {
        description: options.dataDir
          ? `your data from ${options.dataDir}`
          : `sample data, seed ${options.seed ?? 42}, ${options.days ?? 42} days`,
      },
    }),
  );
  mkdirSync(options.outDir, { recursive: true });
  const reportFile = path.join(options.outDir, 'report.html');
  writeFileSync(reportFile, renderReportHtml(report));
  options.log(`  ${reportFile}`);
  return { report, reportFile };
}

async function publishDefinitions(
  cloud: LocalCloud,
  dir: string,
  datasetsDir: string,
  log: (line: string) => void,
): Promise<KpiDefinition[]> {
  const store = kpiDefinitionStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
    now: () => Date.now(),
  });
  const compute = cloud.functions.get('compute');
  const role = cloud.resolver
    .resourcesOfType('AWS::IAM::Role')
    .find((r) => r.logicalId.startsWith('ComputationSchedulerRole'));
  const groupName = cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup');
  const schedules = new SchedulerKpiSchedules({
    client: cloud.clients.scheduler,
    groupName,
    targetArn: compute.arn,
    roleArn: role ? cloud.resolver.arn(role.stackName, role.logicalId) : '',
  });
  const { definitions, errors } = readDefinitionFiles([dir]);
  errors.push(...definitionsNotFitting(definitions, await loadDatasetCatalog(datasetsDir)));
  if (errors.length > 0)
    throw new Error(`the KPI definitions do not validate:\n  ${errors.map((e) => e.message).join('\n  ')}`);
  let published = 0;
  for (const { definition } of definitions) {
    try {
      await publishDefinition(
        { store, schedules, cadenceOf: (d: KpiDefinition) => d.cadence },
        storedDefinition(definition),
        { author: 'npm-start', reason: 'initial publication of the KPI pack' },
      );
      published += 1;
    } catch (error) {
      if (!(error instanceof DefinitionUnchangedError)) throw error;
    }
  }
  const byCategory = new Map<string, number>();
  for (const { definition } of definitions)
    byCategory.set(definition.category, (byCategory.get(definition.category) ?? 0) + 1);
  log(
    `  ${published} definitions published from ${path.relative(process.cwd(), dir) || dir} (${[...byCategory].map(([c, n]) => `${n} ${c.replace(/_/g, ' ')}`).join(', ')})`,
  );
  log(`  ${(await schedules.names()).length} schedules in group ${groupName}, one per KPI, at each KPI's cadence`);
  return definitions.map((d) => d.definition);
}

async function watchGuardrailTopics(cloud: LocalCloud): Promise<{ approvalsTopic: string; ownersTopic: string }> {
  const arnOf = (prefix: string) => {
    const topic = cloud.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => t.logicalId.startsWith(prefix));
    if (!topic) throw new Error(`the app has no ${prefix} topic`);
    return cloud.resolver.arn(topic.stackName, topic.logicalId);
  };
  const approvalsTopic = arnOf('GuardrailsApprovalsTopic');
  const ownersTopic = arnOf('GuardrailsOwnersTopic');
  await cloud.watchTopic(approvalsTopic);
  await cloud.watchTopic(ownersTopic);
  return { approvalsTopic, ownersTopic };
}

/** Every batch manifest the ingestion wrote. */
async function readManifests(cloud: LocalCloud): Promise<BatchManifest[]> {
  const bucket = cloud.functions.get('ingest-drop-zone').environment.RAW_BUCKET;
  const manifests: BatchManifest[] = [];
  for await (const page of paginateListObjectsV2(
    { client: cloud.clients.s3 },
    { Bucket: bucket, Prefix: MANIFEST_PREFIX },
  )) {
    for (const object of page.Contents ?? []) {
      const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      const parsed = batchManifestSchema.safeParse(JSON.parse((await Body?.transformToString()) ?? 'null'));
      if (parsed.success) manifests.push(parsed.data);
    }
  }
  return manifests;
}

/** Rows read, valid and quarantined by reason, and freshness, per dataset, from the batch manifests. */
export function dataQualityRows(manifests: readonly BatchManifest[], now: number): DataQualityRow[] {
  const byDataset = new Map<string, DataQualityRow>();
  for (const m of manifests) {
    const row = byDataset.get(m.dataset) ?? {
      dataset: m.dataset,
      read: 0,
      valid: 0,
      quarantined: 0,
      byReason: {},
      newestEventAt: null,
      freshnessLagMinutes: null,
    };
    const byReason: Record<string, number> = { ...row.byReason };
    for (const [reason, n] of Object.entries(m.counts.quarantinedByReason))
      byReason[reason] = (byReason[reason] ?? 0) + n;
    const newest = Math.max(
      m.newestEventTime ?? Number.NEGATIVE_INFINITY,
      row.newestEventAt ? Date.parse(row.newestEventAt) : Number.NEGATIVE_INFINITY,
    );
    byDataset.set(m.dataset, {
      dataset: m.dataset,
      read: row.read + m.counts.read,
      valid: row.valid + m.counts.valid,
      quarantined: row.quarantined + m.counts.quarantined,
      byReason,
      newestEventAt: Number.isFinite(newest) ? new Date(newest).toISOString() : null,
      freshnessLagMinutes: Number.isFinite(newest) ? Math.max(0, Math.round((now - newest) / 60_000)) : null,
    });
  }
  return [...byDataset.values()].sort((a, b) => (a.dataset < b.dataset ? -1 : 1));
}

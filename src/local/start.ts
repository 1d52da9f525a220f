// `npm start`: the whole pipeline on this machine, on in-process emulators, printing what it did.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../domain/errors';
import type { ReportKpi } from '../report/model';
import { detail, formatTable, paint, paintStatus, progressPrinter, stage } from './console-output';
import { localStateDir, openLocalDeployment } from './local-deployment';
import { listenOnLoopback } from './loopback-http';
import { runLocalPipeline } from './pipeline-run';
import { copySnapshotFiles } from './snapshot-files';
import { describeHolder } from './state-lock';

const USAGE = `Usage: npm start [-- options]

Runs the Agent KPI Pipeline on this machine: starts the emulators, creates what the CDK app
declares, publishes the KPI definitions, ingests weeks of sample data through the connectors,
computes and evaluates every KPI, routes violations to approval, writes Parquet snapshots, builds
the weekly review pack and an HTML report, then prints a summary.

  --days N              days of sample data, ending now (default 42: six weeks, so drift has a baseline)
  --seed N              seed of the sample data (default 42)
  --data DIR            your own data instead: DIR/datasets/*.yaml (with their files) and DIR/definitions/*.yaml
  --demo-approver MODE  approve | reject | none: how the demo approver answers each approval, and
                        whether the demo reviewer signs the weekly pack off (default approve; none with --serve)
  --serve               keep serving the report and the approval pages until Ctrl-C
  --out DIR             where the report, the snapshots and the sample files go (default .local/run)
  --keep                keep the local deployment (.local/state) of the previous run instead of
                        starting afresh (definitions, data and values add up across runs)
  -h, --help            show this help`;

const { values: options } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h', default: false },
    days: { type: 'string', default: '42' },
    seed: { type: 'string', default: '42' },
    data: { type: 'string' },
    'demo-approver': { type: 'string' },
    serve: { type: 'boolean', default: false },
    out: { type: 'string', default: '.local/run' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});

if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive whole number, not ${text}`);
    process.exit(2);
  }
  return value;
}

const days = positiveInteger('days', options.days);
const seed = positiveInteger('seed', options.seed);
const decide = options['demo-approver'] ?? (options.serve ? 'none' : 'approve');
if (decide !== 'approve' && decide !== 'reject' && decide !== 'none') {
  console.error(`--demo-approver must be approve, reject or none, not ${decide}`);
  process.exit(2);
}
const outDir = path.resolve(options.out);
const dataDir = options.data ? path.resolve(options.data) : undefined;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
let lastStage = started;
const timedStage = (title: string) => {
  const now = Date.now();
  if (now - lastStage > 0 && lastStage !== started)
    detail(paint(`(${((now - lastStage) / 1000).toFixed(1)} s)`, 'grey'));
  lastStage = now;
  stage(title);
};

timedStage('Local cloud: DynamoDB, S3, SNS/SQS, Step Functions, Scheduler, Secrets Manager, Lambda on 127.0.0.1');
// The CLI's local deployment: `kpi history`, `kpi backfill`, `kpi diff --impact` act on this run afterwards.
const stateDir = localStateDir(process.cwd());
const shown = (file: string) =>
  file.startsWith(`${process.cwd()}${path.sep}`) ? path.relative(process.cwd(), file) : file;
const local = await openLocalDeployment({
  stateDir,
  // Who waits for this run is told what it is: a --serve run holds the deployment until Ctrl-C.
  command: options.serve ? 'npm start --serve, until Ctrl-C' : 'npm start',
  fresh: !options.keep,
  record: {
    createdBy: 'npm start',
    functionEnvironment: dataDir ? { DATASETS_DIR: path.join(dataDir, 'datasets') } : {},
  },
  onWaiting: (holder) =>
    detail(`waiting for ${describeHolder(holder)} to finish with the local deployment (${shown(stateDir)})…`),
});
const cloud = local.cloud;
let keepServing = false;
try {
  detail(`state in ${shown(stateDir)} (${options.keep ? 'kept from the previous run: --keep' : 'fresh'})`);
  detail(
    `synthesized ${cloud.resolver.stackNames.join(' and ')}; created ${Object.keys(cloud.resources.buckets).length} buckets, ${Object.keys(cloud.resources.tables).length} tables, ${Object.keys(cloud.resources.topics).length} topics`,
  );
  detail(
    `${cloud.functions.list().length} functions and ${cloud.stepFunctions.stateMachines.length} state machines, as the templates define them`,
  );

  timedStage('Self check: the self-check state machine probes every bucket and table');
  const selfCheck = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('SelfCheck'));
  if (!selfCheck) throw new Error('the app has no self-check state machine');
  const check = await cloud.stepFunctions.startExecution(selfCheck.arn, {}).done;
  const report = (check.output as { report?: { summary?: string } } | undefined)?.report;
  detail(`${check.status}: ${report?.summary ?? `${check.error}: ${check.cause}`}`);
  if (check.status !== 'SUCCEEDED') throw new Error('the self check failed');

  const run = await runLocalPipeline(cloud, {
    seed,
    days,
    outDir,
    decide,
    ...(dataDir ? { dataDir } : {}),
    log: detail,
    stage: timedStage,
    progress: progressPrinter(),
  });
  local.updateRecord({
    window: { from: new Date(run.window.from).toISOString(), to: new Date(run.window.to).toISOString() },
  });
  const snapshotBucket = cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket');
  const snapshots = await copySnapshotFiles(cloud.clients.s3, snapshotBucket, path.join(outDir, 'snapshots'));

  timedStage(`Summary (${elapsed()})`);
  // The latest complete period: the current one is still open (provisional).
  const latest = (kpi: ReportKpi) => kpi.series.filter((p) => !p.provisional).at(-1) ?? kpi.series.at(-1);
  const rows = run.report.kpis
    .slice()
    .sort((a, b) => (a.category === b.category ? (a.id < b.id ? -1 : 1) : a.category < b.category ? -1 : 1))
    .map((kpi) => {
      const point = latest(kpi);
      const drifting = kpi.series.slice(-7).some((p) => p.drift);
      return [
        kpi.category.replace(/_/g, ' '),
        kpi.id,
        point ? point.periodStart.slice(0, 10) : '—',
        point?.value === null || point === undefined ? '—' : formatValue(point.value, kpi.unit),
        point ? paintStatus(point.status) : paintStatus('insufficient_data'),
        drifting ? paint('drift', 'magenta') : '',
      ];
    });
  console.log(formatTable(['category', 'kpi', 'period', 'value', 'status', 'last 7'], rows).replace(/^/gm, '  '));
  const c = run.counts;
  console.log('');
  detail(
    `${c.definitions} KPIs, ${c.rowsRead.toLocaleString('en-US')} rows ingested (${c.rowsQuarantined} quarantined with reasons), ${c.values.toLocaleString('en-US')} values, ${c.violations} violations, ${c.approvals} approvals, ${c.snapshots} snapshot dates`,
  );
  if (run.recovery) {
    const r = run.recovery;
    detail(
      `recovery:  ${r.dataset} fixed as version ${r.version} and its quarantine replayed: ${r.replay.totals.moved} rows moved to raw, ${r.replay.totals.after} still quarantined with their reasons; ${r.restatements} values of ${r.kpis.join(', ')} restated`,
    );
  }
  detail(`report:    ${paint(`file://${run.reportFile}`, 'cyan')}`);
  const table = path.join(snapshots.dir, 'kpi_values');
  detail(
    `review:    ${paint(`file://${run.review.latest.htmlFile}`, 'cyan')} (${run.review.latest.reviewId}, ${run.review.latest.headline})`,
  );
  detail(
    `snapshots: ${shown(table)}/ (${snapshots.parquetFiles} Parquet files, manifests in ${shown(path.join(snapshots.dir, 'manifests'))}/; the same as s3://${snapshotBucket}/ of the local deployment)`,
  );
  detail(
    `           duckdb -c "SELECT kpi_id, period_start, value, status FROM read_parquet('${shown(table)}/date=*/values.parquet', hive_partitioning = true) LIMIT 10"`,
  );
  detail(`sample:    ${shown(path.join(outDir, 'sample-data'))}${dataDir ? ' (not used: --data)' : ''}`);
  detail(
    `state:     ${shown(stateDir)}: \`npx kpi status\`, \`npx kpi history ctr\`, \`npx kpi backfill\`, \`npx kpi diff --impact\` act on this run; \`npm start -- --keep\` builds on it`,
  );

  if (options.serve) {
    const html = readFileSync(run.reportFile);
    const server = createServer((request, response) => {
      const pack = path.relative(outDir, run.review.latest.htmlFile).split(path.sep).join('/');
      if (request.method === 'GET' && (request.url === '/' || request.url === '/report.html')) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(html);
      } else if (request.method === 'GET' && request.url === `/${pack}`) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(readFileSync(run.review.latest.htmlFile));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the report is at /');
      }
    });
    const port = await listenOnLoopback(server);
    stage('Serving until Ctrl-C');
    detail(`report: http://127.0.0.1:${port}/`);
    detail('kpi commands on the local deployment wait until this stops (Ctrl-C)');
    for (const [approvalId, links] of Object.entries(run.links)) detail(`approval ${approvalId}: ${links.at(-1)}`);
    for (const link of run.review.latest.links) detail(`review ${run.review.latest.reviewId}: ${link}`);
    keepServing = true;
    await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    server.close();
  }
} catch (error) {
  console.error(`\n${paint('✗', 'red')} ${describeError(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exitCode = 1;
} finally {
  if (keepServing) detail('stopping');
  await local.close();
}

function formatValue(value: number, unit: string): string {
  if (unit === 'percent') return `${(value * 100).toFixed(2)} %`;
  const rounded =
    Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
  const suffix: Record<string, string> = { milliseconds: 'ms', seconds: 's', minutes: 'min', hours: 'h', days: 'd' };
  return suffix[unit] ? `${rounded} ${suffix[unit]}` : rounded;
}

// Bench: the AWS requests the pipeline makes, and what the default KPI pack costs a month on AWS.
// The whole `npm start` run (the sample data, BENCH_COST_DAYS days, default 42) goes through the
// production handlers and state machines on the emulators with the request meter attached
// (src/local/request-meter.ts: S3, DynamoDB with capacity units, SNS, SQS, Step Functions state
// transitions, Lambda invocations with their GB-seconds). From the run it takes:
// - a KPI run with new data: the Evaluate stage, where each KPI's schedule fires once and computes
//   its latest periods (new raw partitions), averaged over the KPIs;
// - a KPI run without new data: every schedule fired again at the same time after the run;
// - an ingested million rows: the Ingest stage (files dropped in the landing bucket, the drop-zone
//   connector, the governance history, the telemetry push) scaled linearly from the sample's rows;
// - an approval: the Govern stage (the guardrail workflow, its notifications, the demo approver's
//   decisions) divided by the approvals it ran;
// - each static schedule of the app (drop zone, sweeper, snapshots, reviews, calibration, self
//   check, key rotation) fired once.
// The month is priced from bench/prices/aws-us-east-1.json at the sample's scale (its rows a day,
// 30 days) and at 100× the rows (see `monthlyModel` for what scales). Ends with one JSON line:
// {"bench":"cost","requestsPerRun":…,"monthlyUsd":…,"monthlyUsd100x":…}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import { PipelineMetric } from '../../src/contracts/metrics';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import { cadenceExpression } from '../../src/domain/scheduling/kpi-schedule';
import { LocalCloud } from '../../src/local/local-cloud';
import { runLocalPipeline } from '../../src/local/pipeline-run';
import { type MeterReading, RequestMeter, servicePortsOf } from '../../src/local/request-meter';
import {
  addReadings,
  loadPrices,
  type PriceTable,
  requestCost,
  runsPerMonth,
  scaleReading,
} from '../support/aws-prices';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAYS = Number(process.env.BENCH_COST_DAYS ?? 42);
const SCALE = 100;
/** Log bytes a Lambda invocation writes (START, END and REPORT lines, two or three JSON log lines). */
const LOG_BYTES_PER_INVOCATION = 1024;
const GB = 1024 ** 3;

/** What the run measured: one reading per thing priced. */
interface Measured {
  readonly definitions: readonly KpiDefinition[];
  readonly rowsIngested: number;
  readonly approvals: number;
  readonly days: number;
  readonly stages: ReadonlyMap<string, MeterReading>;
  readonly runWithNewData: MeterReading;
  readonly runWithoutNewData: MeterReading;
  readonly ingestMillion: MeterReading;
  readonly approval: MeterReading;
  readonly schedules: readonly { name: string; expression: string; reading: MeterReading }[];
  readonly s3Bytes: number;
  readonly dynamodbBytes: number;
  readonly fixed: { alarms: number; dashboards: number; secrets: number; keys: number };
}

export async function run(): Promise<void> {
  const prices = loadPrices();
  const outDir = mkdtempSync(path.join(tmpdir(), 'kpi-bench-cost-'));
  let meter: RequestMeter | undefined;
  const cloud = await LocalCloud.start({
    emulatorThread: false,
    onStepFunctionsEvent: (event) => {
      if (event.type === 'state-transition') meter?.add('states', 'StateTransition');
    },
  });
  try {
    meter = RequestMeter.attach(servicePortsOf(cloud));
    const m = meter;
    cloud.functions.observe(({ fn, durationMs }) =>
      m.add('lambda', 'Invocation', 1, { gbSeconds: (durationMs / 1000) * (fn.memoryMb / 1024) }),
    );
    const measured = await measure(cloud, m, outDir);
    m.detach();
    report(measured, prices);
  } finally {
    meter?.detach();
    await cloud.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function measure(cloud: LocalCloud, meter: RequestMeter, outDir: string): Promise<Measured> {
  const stages = new Map<string, MeterReading>();
  let title = 'Start';
  let since = meter.reading();
  const closeStage = () => {
    const now = meter.reading();
    stages.set(title, RequestMeter.since(since, now));
    since = now;
  };
  const started = performance.now();
  const result = await runLocalPipeline(cloud, {
    days: DAYS,
    outDir,
    decide: 'approve',
    log: () => undefined,
    stage: (next) => {
      closeStage();
      title = next.split(':')[0] ?? next;
    },
  });
  closeStage();
  console.log(
    `  npm start's run, ${DAYS} days of sample data, metered in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.counts.rowsRead.toLocaleString('en-US')} rows, ${result.counts.definitions} KPIs, ${result.counts.approvals} approvals`,
  );
  const definitions = readDefinitionFiles([path.join(root, 'kpis', 'definitions')]).definitions.map(
    (d) => d.definition,
  );
  const end = result.window.to;

  // The same schedules again, at the same time: nothing new to compute.
  const groupName = cloud.physicalName('ComputationKpiSchedules', 'AWS::Scheduler::ScheduleGroup');
  let before = meter.reading();
  for (const definition of definitions) await cloud.scheduler.fire(`kpi-${definition.id}`, groupName, new Date(end));
  await cloud.lambda.drain();
  const runWithoutNewData = scaleReading(RequestMeter.since(before, meter.reading()), 1 / definitions.length);

  const schedules: { name: string; expression: string; reading: MeterReading }[] = [];
  for (const schedule of cloud.schedules.all.filter((s) => s.enabled)) {
    before = meter.reading();
    await cloud.schedules.run(schedule, new Date(end));
    await cloud.lambda.drain();
    schedules.push({
      name: schedule.logicalId,
      expression: schedule.expression,
      reading: RequestMeter.since(before, meter.reading()),
    });
  }
  meter.detach();

  const evaluate = stages.get('Evaluate') ?? {};
  const ingest = stages.get('Ingest') ?? {};
  const govern = stages.get('Govern') ?? {};
  return {
    definitions,
    rowsIngested: result.counts.rowsRead,
    approvals: result.counts.approvals,
    days: DAYS,
    stages,
    runWithNewData: scaleReading(evaluate, 1 / definitions.length),
    runWithoutNewData,
    ingestMillion: scaleReading(ingest, 1e6 / result.counts.rowsRead),
    approval: scaleReading(govern, 1 / Math.max(1, result.counts.approvals)),
    schedules,
    s3Bytes: await bucketBytes(cloud),
    dynamodbBytes: await tableBytes(cloud),
    fixed: {
      alarms: cloud.resolver.resourcesOfType('AWS::CloudWatch::Alarm').length,
      dashboards: cloud.resolver.resourcesOfType('AWS::CloudWatch::Dashboard').length,
      secrets: cloud.resolver.resourcesOfType('AWS::SecretsManager::Secret').length,
      keys: cloud.resolver.resourcesOfType('AWS::KMS::Key').length,
    },
  };
}

async function bucketBytes(cloud: LocalCloud): Promise<number> {
  let bytes = 0;
  for (const bucket of Object.values(cloud.resources.buckets)) {
    let token: string | undefined;
    do {
      const page = await cloud.clients.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) bytes += object.Size ?? 0;
      token = page.NextContinuationToken;
    } while (token);
  }
  return bytes;
}

/**
 * Bytes of every table's items, as the size of their DynamoDB JSON (a little above DynamoDB's own
 * count; the emulator reports no table size).
 */
async function tableBytes(cloud: LocalCloud): Promise<number> {
  let bytes = 0;
  for (const table of Object.values(cloud.resources.tables)) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await cloud.clients.dynamodb.send(
        new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      for (const item of page.Items ?? []) bytes += Buffer.byteLength(JSON.stringify(item));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return bytes;
}

interface MonthLine {
  readonly what: string;
  readonly reading: MeterReading;
  /** Costs that are not requests: storage, metrics, alarms, secrets, logs. */
  readonly otherUsd?: number;
}

/**
 * One month of the default pack. At the sample's scale: every KPI schedule fires at its cadence and
 * finds new data each time (an upper bound: a run without new data costs less, see the table), the
 * sample's rows a day are ingested every day, the run's approvals happen every day, each static
 * schedule fires at its expression, and a month of the sample's data is stored. At `scale`× the
 * rows: ingestion, storage and the compute time of the KPI runs grow by `scale`; the KPI runs'
 * request counts do not (they read one object and write one partial per hour and dataset, and
 * write one value per group and period, whatever the rows), nor do the approvals and schedules.
 */
function monthlyModel(m: Measured, prices: PriceTable, scale: number): MonthLine[] {
  const kpiRuns = m.definitions.reduce((n, d) => n + runsPerMonth(cadenceExpression(d.cadence)), 0);
  const runReading = scaleReading(m.runWithNewData, kpiRuns);
  const computeGbSeconds = Object.values(runReading)
    .filter((c) => c.service === 'lambda')
    .reduce((n, c) => n + c.gbSeconds, 0);
  const kpiLine = addReadings(runReading, {
    'lambda:ScaledCompute': {
      service: 'lambda',
      operation: 'ScaledCompute',
      requests: 0,
      capacityUnits: 0,
      gbSeconds: computeGbSeconds * (scale - 1),
    },
    'scheduler:Invocation': {
      service: 'scheduler',
      operation: 'Invocation',
      requests: kpiRuns,
      capacityUnits: 0,
      gbSeconds: 0,
    },
  });
  const rowsPerMonth = (m.rowsIngested / m.days) * 30 * scale;
  const staticSchedules = addReadings(...m.schedules.map((s) => scaleReading(s.reading, runsPerMonth(s.expression))), {
    'scheduler:Invocation': {
      service: 'scheduler',
      operation: 'Invocation',
      requests: m.schedules.reduce((n, s) => n + runsPerMonth(s.expression), 0),
      capacityUnits: 0,
      gbSeconds: 0,
    },
  });
  const lines: MonthLine[] = [
    { what: `${Math.round(kpiRuns).toLocaleString('en-US')} KPI runs`, reading: kpiLine },
    {
      what: `${Math.round(rowsPerMonth).toLocaleString('en-US')} rows ingested`,
      reading: scaleReading(m.ingestMillion, rowsPerMonth / 1e6),
    },
    { what: `${m.approvals * 30} approvals`, reading: scaleReading(m.approval, 30) },
    { what: `${m.schedules.length} static schedules`, reading: staticSchedules },
  ];
  const monthOfData = (30 / m.days) * scale;
  const invocations = lines.reduce(
    (n, line) =>
      n +
      Object.values(line.reading).reduce(
        (k, c) => k + (c.operation === 'Invocation' && c.service === 'lambda' ? c.requests : 0),
        0,
      ),
    0,
  );
  // KpiValue, KpiForecast and KpiRedProbability have a series per KPI; the others one each.
  const customMetrics = Object.keys(PipelineMetric).length - 3 + 3 * m.definitions.length;
  const cw = prices.cloudwatch;
  lines.push(
    {
      what: `storage of a month of data: S3 ${((m.s3Bytes * monthOfData) / GB).toFixed(3)} GB, DynamoDB ${((m.dynamodbBytes * monthOfData) / GB).toFixed(3)} GB`,
      reading: {},
      otherUsd:
        ((m.s3Bytes * monthOfData) / GB) * prices.s3.standardStoragePerGbMonth +
        ((m.dynamodbBytes * monthOfData) / GB) * prices.dynamodb.standardStoragePerGbMonth,
    },
    {
      what: `CloudWatch: ${customMetrics} custom metrics, ${m.fixed.alarms} alarms, ${m.fixed.dashboards} dashboard(s), ${Math.round(invocations).toLocaleString('en-US')} invocations' logs (${LOG_BYTES_PER_INVOCATION} B each)`,
      reading: {},
      otherUsd:
        customMetrics * cw.customMetricPerMonth +
        m.fixed.alarms * cw.alarmPerMonth +
        m.fixed.dashboards * cw.dashboardPerMonth +
        ((invocations * LOG_BYTES_PER_INVOCATION) / GB) * cw.logsIngestionPerGb,
    },
    {
      what: `Secrets Manager: ${m.fixed.secrets} secrets; KMS: ${m.fixed.keys} customer-managed key(s)`,
      reading: {},
      otherUsd: m.fixed.secrets * prices.secretsmanager.perSecretMonth + m.fixed.keys * prices.kms.perKeyMonth,
    },
  );
  return lines;
}

function lineUsd(line: MonthLine, prices: PriceTable): number {
  return Object.values(requestCost(line.reading, prices)).reduce((n, usd) => n + usd, 0) + (line.otherUsd ?? 0);
}

function describe(reading: MeterReading): string {
  return Object.values(reading)
    .filter((c) => c.requests >= 0.05)
    .sort((a, b) => b.requests - a.requests)
    .map(
      (c) =>
        `${c.service}:${c.operation} ${c.requests < 10 ? c.requests.toFixed(1) : Math.round(c.requests).toLocaleString('en-US')}`,
    )
    .join(', ');
}

function report(m: Measured, prices: PriceTable): void {
  console.log('  requests by stage of the run (S3, DynamoDB, SNS, SQS, Lambda invocations, state transitions):');
  for (const [stage, reading] of m.stages) {
    console.log(
      `    ${stage.padEnd(10)} ${Math.round(RequestMeter.total(reading)).toLocaleString('en-US').padStart(8)}  ${describe(reading)}`,
    );
  }
  const rows: [string, MeterReading][] = [
    ['a KPI run with new data (mean of the KPIs)', m.runWithNewData],
    ['a KPI run without new data (mean)', m.runWithoutNewData],
    [
      `an ingested million rows (${m.rowsIngested.toLocaleString('en-US')} measured, ×${(1e6 / m.rowsIngested).toFixed(2)})`,
      m.ingestMillion,
    ],
    [`an approval (the Govern stage / ${m.approvals})`, m.approval],
  ];
  for (const [what, reading] of rows) {
    const usd = Object.values(requestCost(reading, prices)).reduce((n, x) => n + x, 0);
    console.log(
      `  ${what}: ${Math.round(RequestMeter.total(reading)).toLocaleString('en-US')} requests, $${usd.toFixed(6)}`,
    );
    console.log(`      ${describe(reading)}`);
  }
  for (const s of m.schedules) {
    console.log(
      `  schedule ${s.name} (${s.expression}, ${Math.round(runsPerMonth(s.expression))}×/month): ${Math.round(RequestMeter.total(s.reading))} requests a run`,
    );
  }
  console.log(
    `  stored after the run: S3 ${(m.s3Bytes / 1024 ** 2).toFixed(1)} MiB, DynamoDB ${(m.dynamodbBytes / 1024 ** 2).toFixed(1)} MiB; ${m.fixed.alarms} alarms, ${m.fixed.dashboards} dashboards, ${m.fixed.secrets} secrets, ${m.fixed.keys} KMS keys`,
  );
  const totals: number[] = [];
  for (const scale of [1, SCALE]) {
    const lines = monthlyModel(m, prices, scale);
    const total = lines.reduce((n, line) => n + lineUsd(line, prices), 0);
    totals.push(total);
    console.log(
      `  a month at ${scale === 1 ? "the sample's scale" : `${scale}× the rows`} (${prices.region} list prices of ${prices.takenOn}): $${total.toFixed(2)}`,
    );
    for (const line of lines) console.log(`    ${`$${lineUsd(line, prices).toFixed(2)}`.padStart(10)}  ${line.what}`);
  }
  console.log(
    `  requests: ${Math.round(RequestMeter.total(m.runWithoutNewData))} a KPI run without new data, ${Math.round(RequestMeter.total(m.ingestMillion)).toLocaleString('en-US')} a million rows ingested, ${Math.round(RequestMeter.total(m.approval))} an approval`,
  );
  console.log(
    JSON.stringify({
      bench: 'cost',
      requestsPerRun: Math.round(RequestMeter.total(m.runWithNewData)),
      monthlyUsd: Math.round((totals[0] ?? 0) * 100) / 100,
      monthlyUsd100x: Math.round((totals[1] ?? 0) * 100) / 100,
    }),
  );
}

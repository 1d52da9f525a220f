// Local runtime: the `npm start` part of issue 5. The KPI pack is published (versions and schedules),
// a selection of KPIs is computed over the last days of the ingested sample through the compute
// function, one KPI refreshes on its schedule (violations to the guardrail intake), and the values
// are exported as Parquet snapshots with their manifests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComputeSummary } from '../../functions/compute';
import { DynamoKpiValueStore } from '../adapters/aws/dynamo-kpi-value-store';
import { kpiDefinitionStore, storedDefinition } from '../adapters/aws/kpi-definitions';
import { SchedulerKpiSchedules } from '../adapters/aws/scheduler-kpi-schedules';
import { readDefinitionFiles } from '../adapters/files/kpi-definition-files';
import type { KpiDefinition } from '../domain/definition/schema';
import { DefinitionUnchangedError } from '../domain/versioning/errors';
import { DEFAULT_SAMPLE } from '../sample/generate';
import { publishDefinition } from '../usecases/publish-definition';
import { formatTable } from './console-output';
import type { LocalCloud } from './local-cloud';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAY = 86_400_000;

/** KPIs computed by the demo: one per category, over the datasets the sample ingests. */
export const DEMO_KPIS = ['ctr', 'retry_rate', 'runtime_error_rate', 'conversion_rate', 'lead_handoff_cycle_time_p95'];

export async function runComputeDemo(
  cloud: LocalCloud,
  options: { log: (line: string) => void; days?: number },
): Promise<{ computed: ComputeSummary[] }> {
  const { log } = options;
  const days = options.days ?? 7;
  const sampleEnd = Date.parse(`${DEFAULT_SAMPLE.start}T00:00:00Z`) + DEFAULT_SAMPLE.days * DAY;
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

  // 1. Publish the pack: a version and a schedule per KPI.
  const { definitions, errors } = readDefinitionFiles([path.join(root, 'kpis', 'definitions')]);
  if (errors.length > 0) throw new Error(`the KPI pack does not validate: ${errors.map((e) => e.message).join('; ')}`);
  let published = 0;
  for (const { definition } of definitions) {
    try {
      await publishDefinition(
        { store, schedules, cadenceOf: (d: KpiDefinition) => d.cadence },
        storedDefinition(definition),
        { author: 'npm-start', reason: 'default KPI pack' },
      );
      published += 1;
    } catch (error) {
      if (!(error instanceof DefinitionUnchangedError)) throw error;
    }
  }
  log(
    `  published ${published} definitions (version 1 each); ${(await schedules.names()).length} schedules in ${groupName}`,
  );

  // 2. Compute a KPI per category over the last days of the sample.
  const from = new Date(sampleEnd - days * DAY).toISOString();
  const to = new Date(sampleEnd).toISOString();
  const computed: ComputeSummary[] = [];
  for (const kpiId of DEMO_KPIS) {
    computed.push((await cloud.functions.invoke('compute', { kpiId, from, to, asOf: to })) as ComputeSummary);
  }
  log(
    formatTable(
      ['kpi', 'periods', 'partitions read', 'values written'],
      computed.map((c) => [
        c.kpiId,
        String(c.periods.finalized),
        String(c.partitions.read),
        String(c.values.created + c.values.updated),
      ]),
    ).replace(/^/gm, '  '),
  );

  // 3. One value with its lineage and drift, as stored.
  const values = new DynamoKpiValueStore({
    client: cloud.clients.dynamodb,
    tableName: cloud.physicalName('ValuesTable'),
  });
  const lastDay = new Date(sampleEnd - DAY).toISOString();
  const latest = (await values.forPeriod('day', lastDay)).filter((v) => Object.keys(v.dimensions).length === 0);
  log(
    formatTable(
      ['kpi', 'period', 'value', 'status', 'drift', 'confidence'],
      latest.map((v) => [
        v.kpiId,
        v.periodStart.slice(0, 10),
        v.value === null ? '—' : String(Number(v.value.toPrecision(4))),
        v.status,
        v.drift?.verdict ?? '—',
        v.confidence === null ? '—' : v.confidence.toFixed(3),
      ]),
    ).replace(/^/gm, '  '),
  );
  const example = latest[0];
  if (example) {
    const inputs = example.lineage.inputs;
    const partitions = inputs.reduce((n, i) => n + i.partitions, 0);
    log(
      `  lineage of ${example.kpiId} ${example.periodStart.slice(0, 10)}: definition v${example.lineage.definition.version} ${example.lineage.definition.hash.slice(0, 19)}…, ${partitions} raw partitions (${inputs.map((i) => `${i.dataset} ${i.first} … ${i.last}`).join(', ')}; ${inputs.reduce((n, i) => n + i.manifestCount, 0)} batch manifests; full list ${example.lineage.inputsRef ?? 'not archived'}), code ${example.lineage.codeVersion}, computed at ${example.lineage.computedAt}`,
    );
  }

  // 4. The schedule of one KPI fires: a refresh that hands its violations to the guardrail intake.
  const refreshed = (await cloud.scheduler.fire(
    'kpi-ctr',
    groupName,
    new Date(sampleEnd - DAY + 3_600_000),
  )) as ComputeSummary;
  await cloud.lambda.drain();
  log(
    `  schedule kpi-ctr fired: ${refreshed.periods.finalized} periods refreshed, ${refreshed.violations} violations handed to the guardrail intake`,
  );

  // 5. Snapshots of the computed days, Parquet with a manifest per date.
  const dates = Array.from({ length: days }, (_, i) =>
    new Date(sampleEnd - (days - i) * DAY).toISOString().slice(0, 10),
  );
  const exported = (await cloud.functions.invoke('export-snapshots', { dates })) as {
    exports: { date: string; outcome: string; rows: number; key: string | null }[];
  };
  const written = exported.exports.filter((e) => e.outcome === 'written');
  log(
    `  snapshots: ${written.length} dates written to s3://${cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket')}/kpi_values/ (${written.reduce((n, e) => n + e.rows, 0)} rows), e.g. ${written[0]?.key ?? '—'}`,
  );
  return { computed };
}

// Lambda: the probe step of the self-check state machine (lib/constructs/self-check.ts).
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { bucketProbe, tableProbe } from '../src/adapters/aws/resource-probes';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { runSelfCheck } from '../src/usecases/run-self-check';

const BUCKETS = ['LANDING', 'RAW', 'QUARANTINE', 'SNAPSHOTS', 'WORK'] as const;
const TABLES = ['DEFINITIONS', 'VALUES', 'STATE', 'APPROVALS', 'AUDIT', 'CONTROLS', 'REVIEWS'] as const;

const name = z.string().min(1);
const environment = z.object({
  LANDING_BUCKET: name,
  RAW_BUCKET: name,
  QUARANTINE_BUCKET: name,
  SNAPSHOTS_BUCKET: name,
  WORK_BUCKET: name,
  DEFINITIONS_TABLE: name,
  VALUES_TABLE: name,
  STATE_TABLE: name,
  APPROVALS_TABLE: name,
  AUDIT_TABLE: name,
  CONTROLS_TABLE: name,
  REVIEWS_TABLE: name,
});

const event = z.object({ requestedAt: z.string().optional() }).loose();

export const { handler, create, services } = defineHandler({
  name: 'self-check',
  environment,
  event,
  clients: ['s3', 'dynamodb'],
  dependencies: (env, { clients }) => [
    ...BUCKETS.map((b) => bucketProbe(clients, b.toLowerCase(), env[`${b}_BUCKET`])),
    ...TABLES.map((t) => tableProbe(clients, t.toLowerCase(), env[`${t}_TABLE`])),
  ],
  run: async (_event, probes, { logger, metrics }) => {
    const report = await runSelfCheck(probes, systemClock);
    metrics.addMetric(PipelineMetric.UnreachableResources, MetricUnit.Count, report.failures.length);
    if (report.healthy) logger.info(report.summary);
    else logger.warn(report.summary, { failures: report.failures });
    return report;
  },
});

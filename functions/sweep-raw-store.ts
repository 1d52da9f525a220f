// Lambda: the raw store's sweeper, run by its EventBridge Scheduler schedule
// (lib/constructs/ingestion/raw-store-sweeper.ts). Deletes what no commit names once no run can
// still be writing it, and superseded batches after their retention; writes a report of each run.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { DynamoDbRawCommitLog } from '../src/adapters/aws/dynamodb-raw-commit-log';
import { S3IngestStore } from '../src/adapters/aws/s3-ingest-store';
import { S3RawMaintenance } from '../src/adapters/aws/s3-raw-maintenance';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { sweepRawStore } from '../src/usecases/sweep-raw-store';

const name = z.string().min(1);
const environment = z.object({
  RAW_BUCKET: name,
  QUARANTINE_BUCKET: name,
  STATE_TABLE: name,
  /** Hours an object no commit names is left alone (a run may still be writing it). */
  SWEEP_GRACE_HOURS: z.coerce.number().positive(),
  /** Days the objects of a superseded batch are kept after the correction. */
  SUPERSEDED_RETENTION_DAYS: z.coerce.number().nonnegative(),
});

const event = z.object({ dryRun: z.boolean().default(false) }).loose();

export const { handler, create, services } = defineHandler({
  name: 'sweep-raw-store',
  environment,
  event,
  clients: ['s3', 'dynamodb'],
  dependencies: (env, { clients }) => {
    const buckets = { raw: env.RAW_BUCKET, quarantine: env.QUARANTINE_BUCKET };
    return {
      deps: {
        maintenance: new S3RawMaintenance(clients.s3, buckets),
        store: new S3IngestStore(clients.s3, buckets),
        log: new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE),
        clock: systemClock,
      },
      options: {
        graceMillis: env.SWEEP_GRACE_HOURS * 3_600_000,
        supersededRetentionMillis: env.SUPERSEDED_RETENTION_DAYS * 86_400_000,
      },
    };
  },
  run: async (input, { deps, options }, { logger, metrics }) => {
    const report = await sweepRawStore(deps, { ...options, dryRun: input.dryRun });
    metrics.addMetric(PipelineMetric.ObjectsSwept, MetricUnit.Count, report.deleted);
    logger.info('swept the raw store', { ...report });
    return report;
  },
});

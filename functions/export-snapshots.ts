// Lambda: the scheduled Parquet export (lib/constructs/snapshots.ts). Exports given dates, or the
// days around the scheduled time, so restated values of recent days reach the snapshots too.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { DynamoDbKpiValueStore } from '../src/adapters/aws/dynamodb-kpi-value-store';
import { S3SnapshotStore } from '../src/adapters/aws/s3-snapshot-store';
import { encodeSnapshot } from '../src/adapters/parquet/kpi-values-parquet';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { exportDates, exportSnapshot } from '../src/usecases/export-snapshot';

const environment = z.object({
  VALUES_TABLE: z.string().min(1),
  SNAPSHOTS_BUCKET: z.string().min(1),
  /** Days before the scheduled day that are exported again (restatements of recent days). */
  SNAPSHOT_LOOKBACK_DAYS: z.coerce.number().int().min(0).max(366).default(3),
});

const isoDate = z.iso.date();
const event = z
  .object({
    /** Dates to export (`YYYY-MM-DD`); a backfill passes these. */
    dates: z.array(isoDate).min(1).max(400).optional(),
    /** The schedule's time; exports that day and the lookback days before it. */
    scheduledTime: z.iso.datetime().optional(),
  })
  .refine((e) => e.dates || e.scheduledTime, { message: 'give dates or scheduledTime' });

export const { handler, create, services } = defineHandler({
  name: 'export-snapshots',
  environment,
  event,
  clients: ['dynamodb', 's3'],
  dependencies: (env, { clients }) => ({
    env,
    values: new DynamoDbKpiValueStore({ client: clients.dynamodb, tableName: env.VALUES_TABLE }),
    snapshots: new S3SnapshotStore(clients.s3, env.SNAPSHOTS_BUCKET),
  }),
  run: async (input, deps, { logger, metrics }) => {
    const dates =
      input.dates ?? exportDates(Date.parse(input.scheduledTime as string), deps.env.SNAPSHOT_LOOKBACK_DAYS);
    const exports = [];
    for (const date of dates) {
      const result = await exportSnapshot(
        { values: deps.values, snapshots: deps.snapshots, encode: encodeSnapshot, clock: systemClock },
        date,
      );
      exports.push({ date, outcome: result.outcome, rows: result.rows, key: result.manifest?.object.key ?? null });
    }
    const written = exports.filter((e) => e.outcome === 'written');
    metrics.addMetric(PipelineMetric.SnapshotsWritten, MetricUnit.Count, written.length);
    logger.info('snapshots exported', { exports });
    return { exports };
  },
});

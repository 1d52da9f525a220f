// Lambda: the S3 drop zone connector, run by its EventBridge Scheduler schedule
// (lib/constructs/ingestion/drop-zone-ingestion.ts). Ingests the files waiting under
// `landing/<dataset>/` of every dataset that keeps a drop zone, or of the datasets named. Invoked
// with `{ replay: { dataset, from, to } }` (`kpi replay`), it reads the quarantined rows of those
// days again under the declaration in force instead (src/usecases/replay-quarantine.ts).
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { S3LandingZone } from '../src/adapters/aws/s3-landing-zone';
import { PipelineMetric } from '../src/contracts/metrics';
import { TransientError, ValidationError } from '../src/domain/errors';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { buildIngestionRuntime, ingestionClients, ingestionEnvironment } from '../src/runtime/ingestion';
import { ingestDropZone } from '../src/usecases/ingest-drop-zone';
import { replayQuarantine } from '../src/usecases/replay-quarantine';

const environment = ingestionEnvironment.extend({ LANDING_BUCKET: z.string().min(1) });

const event = z
  .object({
    /** Only these datasets; all with a drop zone when absent. */
    datasets: z.array(z.string()).optional(),
    /** Replay the quarantine of a dataset's days `[from, to)` (ISO-8601) instead of reading the drop zone. */
    replay: z.object({ dataset: z.string().min(1), from: z.iso.datetime(), to: z.iso.datetime() }).optional(),
  })
  .loose();

/** Time kept in hand at the end of a run: no new file is started after it. */
const SAFETY_MILLIS = 3 * 60_000;
/** When the function runs outside Lambda (tests, the local runtime) and knows no remaining time. */
const LOCAL_BUDGET_MILLIS = 10 * 60_000;

export const { handler, create, services } = defineHandler({
  name: 'ingest-drop-zone',
  environment,
  event,
  clients: ingestionClients,
  dependencies: async (env, { clients }) => {
    const runtime = await buildIngestionRuntime(env, clients);
    const landing = new S3LandingZone(clients.s3, env.LANDING_BUCKET, {
      raw: env.RAW_BUCKET,
      quarantine: env.QUARANTINE_BUCKET,
    });
    return { ...runtime, landing };
  },
  run: async (input, { ingest, datasets: active, landing }, { logger, metrics, lambda }) => {
    if (input.replay) {
      // An operator fixed the declaration just now: read it from the table, not from the cache.
      const resolved = (await active.resolve(true)).get(input.replay.dataset);
      if (!resolved) throw new ValidationError(`unknown dataset: ${input.replay.dataset}`);
      if (resolved.version === null) {
        throw new ValidationError(
          `${input.replay.dataset} has no published declaration: publish the fixed one first (kpi dataset publish)`,
        );
      }
      const report = await replayQuarantine(
        {
          dataset: resolved.dataset,
          declarationVersion: resolved.version,
          from: Date.parse(input.replay.from),
          to: Date.parse(input.replay.to),
        },
        ingest,
      );
      logger.info('quarantine replay', {
        ...report.totals,
        dataset: report.dataset,
        version: report.declarationVersion,
      });
      metrics.addMetric(PipelineMetric.RowsIngested, MetricUnit.Count, report.totals.moved);
      return report;
    }
    // The declarations in force now: a version published since the last run applies without a redeploy.
    const catalog = await active.resolve();
    const unknown = (input.datasets ?? []).filter((id) => !catalog.has(id));
    if (unknown.length > 0) throw new ValidationError(`unknown datasets: ${unknown.join(', ')}`);
    const datasets = [...catalog.values()]
      .filter((resolved) => !input.datasets || input.datasets.includes(resolved.declaration.id))
      .map((resolved) => resolved.dataset);
    const remaining = lambda?.getRemainingTimeInMillis() ?? LOCAL_BUDGET_MILLIS + SAFETY_MILLIS;
    // A quarter of a short run, at most SAFETY_MILLIS, is kept in hand.
    const deadline = ingest.clock.now() + remaining - Math.min(SAFETY_MILLIS, remaining / 4);
    const report = await ingestDropZone(
      datasets,
      deadline,
      { ...ingest, landing },
      (id) => catalog.get(id)?.version ?? null,
    );
    const total = { rows: 0, quarantined: 0, files: 0 };
    for (const dataset of report.datasets) {
      total.rows += dataset.rowsValid;
      total.quarantined += dataset.rowsQuarantined;
      total.files += dataset.unreadable;
      if (dataset.files === dataset.duplicates) continue;
      logger.info('drop zone', { ...dataset });
      // Per dataset: a metric with its own dimension, flushed at once.
      const single = metrics.singleMetric();
      single.addDimension('dataset', dataset.dataset);
      single.addMetric(PipelineMetric.RowsIngested, MetricUnit.Count, dataset.rowsValid);
    }
    metrics.addMetric(PipelineMetric.RowsIngested, MetricUnit.Count, total.rows);
    metrics.addMetric(PipelineMetric.RowsQuarantined, MetricUnit.Count, total.quarantined);
    metrics.addMetric(PipelineMetric.FilesQuarantined, MetricUnit.Count, total.files);
    const failures = report.datasets.flatMap((d) => d.failures.map((f) => `${d.dataset}/${f.key}: ${f.error}`));
    if (failures.length > 0) {
      // The files that worked are committed; failing makes the retry and the dead-letter queue see the rest.
      logger.error('files failed', { failures });
      throw new TransientError(
        `${failures.length} file(s) failed and will be retried: ${failures.slice(0, 5).join('; ')}`,
      );
    }
    return report;
  },
});

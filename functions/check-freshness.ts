// Lambda: the dataset freshness check, run by its EventBridge Scheduler schedule
// (lib/constructs/ingestion/freshness-check.ts) with the schedule's time as `time`. Judges every
// dataset in force that declares `freshness` against its last committed arrival, writes the
// `freshness` records of pipeline_ingest, and notifies a dataset's owner of each change of level.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { datasetDeclarationStore } from '../src/adapters/aws/dataset-declarations';
import { DynamoDbDatasetArrivals, DynamoDbFreshnessState } from '../src/adapters/aws/dynamodb-dataset-freshness';
import { DynamoDbRawCommitLog } from '../src/adapters/aws/dynamodb-raw-commit-log';
import { S3PipelineRecords } from '../src/adapters/aws/s3-pipeline-records';
import { SnsDatasetOwnerNotifier } from '../src/adapters/aws/sns-dataset-owner-notifier';
import { loadDatasetCatalog } from '../src/adapters/local/dataset-files';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { datasetsDirectory } from '../src/runtime/ingestion';
import { ActiveDatasets } from '../src/usecases/active-datasets';
import { checkDatasetFreshness } from '../src/usecases/check-dataset-freshness';

const name = z.string().min(1);
const environment = z.object({
  RAW_BUCKET: name,
  STATE_TABLE: name,
  DEFINITIONS_TABLE: name,
  /** The dataset owners topic: notices with `owner`, `dataset`, `freshnessStatus` attributes. */
  DATASET_OWNERS_TOPIC_ARN: name,
  /** The declarations folder the deployment ships, relative to the code root. */
  DATASETS_DIR: name,
  CODE_VERSION: name,
});

const event = z
  .object({
    /** The scheduled time (`<aws.scheduler.scheduled-time>`): the instant judged, the same on a retry. */
    time: z.iso.datetime({ offset: true }).optional(),
  })
  .loose();

export const { handler, create, services } = defineHandler({
  name: 'check-freshness',
  environment,
  event,
  // SNS is loaded on the first notice to an owner: most checks send none.
  clients: ['s3', 'dynamodb'],
  lazyClients: ['sns'],
  dependencies: async (env, { clients, lazyClient }) => {
    const commitLog = new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE);
    const active = new ActiveDatasets({
      store: datasetDeclarationStore(clients.dynamodb, env.DEFINITIONS_TABLE, systemClock),
      deployed: await loadDatasetCatalog(datasetsDirectory(env.DATASETS_DIR)),
      clock: systemClock,
      // Each run asks the table: a declaration published a minute ago is judged by its new freshness.
      ttlMillis: 0,
    });
    return {
      declarations: async () => [...(await active.resolve(true)).values()].map((d) => d.declaration),
      arrivals: new DynamoDbDatasetArrivals(clients.dynamodb, env.STATE_TABLE),
      state: new DynamoDbFreshnessState(clients.dynamodb, env.STATE_TABLE),
      notifier: new SnsDatasetOwnerNotifier(lazyClient('sns'), env.DATASET_OWNERS_TOPIC_ARN),
      records: new S3PipelineRecords(clients.s3, env.RAW_BUCKET, commitLog, env.CODE_VERSION),
      clock: systemClock,
    };
  },
  run: async (input, deps, { logger, metrics }) => {
    // Judged to the minute of the schedule, so that a retry judges the same instant.
    const at = input.time ? Date.parse(input.time) : Math.floor(deps.clock.now() / 60_000) * 60_000;
    const report = await checkDatasetFreshness(deps, { at });
    const late = report.datasets.filter((d) => d.level !== 'ok');
    metrics.addMetric(PipelineMetric.DatasetsLate, MetricUnit.Count, late.length);
    logger.info('checked dataset freshness', {
      at: report.at,
      late: late.map((d) => `${d.dataset}:${d.status}`),
      notices: report.datasets.flatMap((d) => d.noticesSent),
    });
    return report;
  },
});

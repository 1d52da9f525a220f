// Lambda: builds one kind's review pack when its schedule fires (lib/constructs/reviews.ts; one
// function and one EventBridge Scheduler schedule per review kind), writes it to the snapshots bucket
// under reviews/<kind>/<period>/ and sends each reviewer their own signed link.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { DynamoDbAnnotationStore } from '../src/adapters/aws/dynamodb-annotation-store';
import { DynamoDbApprovalStore } from '../src/adapters/aws/dynamodb-approval-store';
import { DynamoDbAutonomyControls } from '../src/adapters/aws/dynamodb-autonomy-controls';
import { DynamoDbKpiValueStore } from '../src/adapters/aws/dynamodb-kpi-value-store';
import { DynamoDbRawCommitLog } from '../src/adapters/aws/dynamodb-raw-commit-log';
import { kpiDefinitionAndProposalStore } from '../src/adapters/aws/kpi-proposals';
import { RawObjectCache, S3RawPartitions } from '../src/adapters/aws/s3-raw-partitions';
import { SnsReviewNotifier } from '../src/adapters/aws/sns-review-notifier';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { lazyReviewPageRenderer } from '../src/report/lazy-review-page';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { reviewClients, reviewStores, reviewVariables } from '../src/runtime/review-environment';
import { buildReviewPack } from '../src/usecases/reviews/build-review-pack';

const name = z.string().min(1);
const environment = z.object({
  ...reviewVariables,
  DEFINITIONS_TABLE: name,
  VALUES_TABLE: name,
  APPROVALS_TABLE: name,
  CONTROLS_TABLE: name,
  /** The raw bucket, read under `dataset=pipeline_ingest/` (the data-quality records). */
  RAW_BUCKET: name,
  /** The state table, queried for the commit log of `pipeline_ingest` only (what is visible in raw). */
  STATE_TABLE: name,
});

const event = z.object({
  /** The kind the schedule is for; must be this function's. */
  kind: z.string().optional(),
  /** When the schedule fired: the pack covers the period that ended by then. */
  scheduledTime: z.iso.datetime({ offset: true }),
  /** A missed or late pack: the period to build (`2026-W47`, `2026-11`) as of `scheduledTime`. */
  period: z.string().max(16).optional(),
});

/** What the function answers (a scheduled invocation's result is kept by nobody; the local runtime prints it). */
export interface ReviewPackSummary {
  readonly reviewId: string;
  readonly outcome: 'built' | 'exists';
  readonly headline: string;
  readonly bytes: { readonly html: number; readonly json: number };
  readonly notified: number;
  readonly casesOpened: number;
  readonly overdueItems: number;
  readonly buildMs: number;
}

/** Bytes of raw objects' text kept between invocations (of 1,024 MB). */
const RAW_CACHE_BYTES = 64 * 1024 * 1024;

export const { handler, create, services } = defineHandler({
  name: 'reviews',
  environment,
  event,
  correlationId: (e) => `${e.kind ?? 'review'}@${e.scheduledTime}`,
  clients: [...reviewClients],
  // SNS only sends the links of a pack just built: loaded then (see SnsReviewNotifier).
  lazyClients: ['sns'],
  dependencies: (env, { clients, lazyClient }) => ({
    env,
    ...reviewStores(env, clients),
    definitions: kpiDefinitionAndProposalStore(clients.dynamodb, env.DEFINITIONS_TABLE, systemClock),
    annotations: new DynamoDbAnnotationStore(clients.dynamodb, env.DEFINITIONS_TABLE),
    values: new DynamoDbKpiValueStore({ client: clients.dynamodb, tableName: env.VALUES_TABLE }),
    approvals: new DynamoDbApprovalStore(clients.dynamodb, env.APPROVALS_TABLE),
    controls: new DynamoDbAutonomyControls(clients.dynamodb, env.CONTROLS_TABLE),
    // The data-quality records' objects, kept inflated for the next pack a warm container builds
    // (a pack reads the weeks before its own, which the previous week's pack read too).
    raw: new S3RawPartitions(
      clients.s3,
      env.RAW_BUCKET,
      new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE),
      new RawObjectCache(RAW_CACHE_BYTES),
    ),
    notifier: new SnsReviewNotifier(lazyClient('sns'), env.REVIEWS_TOPIC_ARN),
    clock: systemClock,
    // The page's code is imported on the first pack built (a pack that exists needs none).
    render: lazyReviewPageRenderer(),
  }),
  run: async (input, deps, { logger, metrics }) => {
    const { env } = deps;
    if (input.kind !== undefined && input.kind !== env.REVIEW_KIND) {
      throw new Error(`this function builds ${env.REVIEW_KIND} packs, not ${input.kind}`);
    }
    const started = Date.now();
    const result = await buildReviewPack(
      { scheduledTime: Date.parse(input.scheduledTime), ...(input.period ? { period: input.period } : {}) },
      {
        kind: env.REVIEW_KIND,
        audience: env.REVIEW_AUDIENCE,
        pageUrl: env.REVIEW_PAGE_URL,
        linkDays: env.REVIEW_LINK_DAYS,
        limits: env.REVIEW_DATA_QUALITY,
      },
      deps,
    );
    const summary: ReviewPackSummary = {
      reviewId: result.reviewId,
      outcome: result.outcome,
      headline: result.headline,
      bytes: result.sizes,
      notified: result.notified.length,
      casesOpened: result.casesOpened,
      overdueItems: result.overdueItems,
      buildMs: Date.now() - started,
    };
    if (result.outcome === 'built') metrics.addMetric(PipelineMetric.ReviewPacksBuilt, MetricUnit.Count, 1);
    logger.info(result.outcome === 'built' ? 'review pack built' : 'review pack exists already', { ...summary });
    return summary;
  },
});

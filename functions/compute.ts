// Lambda: computes one KPI. Its schedule (one per KPI, kept in step with the cadence on publish)
// sends `{ kpiId, scheduledTime }`: a refresh of the recent periods whose inputs changed, with the
// violations handed to the guardrail intake. The backfill state machine and the CLI send
// `{ kpiId, from, to, asOf }`: those periods, computed without evaluation. A range with more stale
// raw partitions than one invocation should read is fanned out by the backfill state machine:
// `{ …, planParts }` counts them and writes the item list of the parts, `{ …, part }` aggregates one
// part, and the chunks (or the refresh) with `takeParts` finalize from what the parts kept.
import '../src/runtime/zod-at-cold-start';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { DynamoDbAnnotationStore } from '../src/adapters/aws/dynamodb-annotation-store';
import { DynamoDbKpiValueStore } from '../src/adapters/aws/dynamodb-kpi-value-store';
import { DynamoDbRawCommitLog } from '../src/adapters/aws/dynamodb-raw-commit-log';
import { DynamoDbRecomputeMarks } from '../src/adapters/aws/dynamodb-recompute-marks';
import { kpiDefinitionStore } from '../src/adapters/aws/kpi-definitions';
import { LambdaViolationSink } from '../src/adapters/aws/lambda-violation-sink';
import { S3InputArchive } from '../src/adapters/aws/s3-input-archive';
import { S3FanOutPlans, S3PartStates } from '../src/adapters/aws/s3-part-states';
import { S3PartialCache } from '../src/adapters/aws/s3-partial-cache';
import { RawObjectCache, S3RawPartitions } from '../src/adapters/aws/s3-raw-partitions';
import { StepFunctionsFanOutStarter } from '../src/adapters/aws/sfn-fan-out-starter';
import { systemClock } from '../src/adapters/system-clock';
import {
  type ComputeEvent,
  type ComputeSummary,
  computeEventSchema,
  type PartPlanSummary,
  type PartSummary,
} from '../src/contracts/compute-function';
import { PipelineMetric } from '../src/contracts/metrics';
import { latestOverallForecast, latestOverallValue } from '../src/domain/evaluation/headline';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { lazyForecaster } from '../src/runtime/lazy-forecaster';
import { type ComputeKpiResult, computeKpi } from '../src/usecases/compute-kpi';
import {
  computeKpiPart,
  DEFAULT_PARTITIONS_PER_PART,
  DEFAULT_REFRESH_THRESHOLD_RECORDS,
  planParts,
  refreshHandOff,
} from '../src/usecases/compute-kpi-part';
import { type RefreshKpiResult, refreshKpi } from '../src/usecases/refresh-kpi';

const name = z.string().min(1);
const environment = z.object({
  DEFINITIONS_TABLE: name,
  VALUES_TABLE: name,
  RAW_BUCKET: name,
  WORK_BUCKET: name,
  CODE_VERSION: name,
  /** JSON: dataset id → the field its raw partitions are cut by. */
  PARTITION_TIME_FIELDS: z.string().transform((text) => z.record(z.string(), z.string()).parse(JSON.parse(text))),
  /** The guardrail intake function; without it, violations are counted and logged only. */
  GUARDRAIL_INTAKE_FUNCTION: z.string().min(1).optional(),
  /** The ingestion state table: the raw store's commit log, and the hours marked for recomputation (read only). */
  STATE_TABLE: name,
  /** MiB of raw objects (inflated NDJSON text) kept in memory between invocations. */
  RAW_CACHE_MIB: z.coerce.number().int().nonnegative().default(256),
  /** Stale raw partitions one invocation aggregates; a range with more is fanned out in parts. */
  FANOUT_PARTITIONS_PER_PART: z.coerce.number().int().positive().default(DEFAULT_PARTITIONS_PER_PART),
  /** The backfill state machine, which a refresh with more new records than the threshold is handed to. */
  FANOUT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  FANOUT_REFRESH_THRESHOLD_RECORDS: z.coerce.number().int().positive().default(DEFAULT_REFRESH_THRESHOLD_RECORDS),
});

export const { handler, create, services } = defineHandler({
  name: 'compute',
  environment,
  event: computeEventSchema,
  correlationId: (e) => e.kpiId,
  // Step Functions (a refresh handed to the fan-out) and Lambda (violations handed to the intake)
  // are loaded on the first invocation that needs them.
  clients: ['dynamodb', 's3'],
  lazyClients: ['sfn', 'lambda'],
  dependencies: (env, { clients, lazyClient }) => {
    // Raw objects shared by the KPIs a warm container computes one after another.
    const objectCache = new RawObjectCache(env.RAW_CACHE_MIB * 1024 * 1024);
    return {
      definitions: kpiDefinitionStore(clients.dynamodb, env.DEFINITIONS_TABLE, systemClock),
      annotationStore: new DynamoDbAnnotationStore(clients.dynamodb, env.DEFINITIONS_TABLE),
      // A fresh raw reader per invocation: its manifest listings are only valid for one run.
      newRawReader: () =>
        new S3RawPartitions(
          clients.s3,
          env.RAW_BUCKET,
          new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE),
          objectCache,
        ),
      cache: new S3PartialCache(clients.s3, env.WORK_BUCKET),
      partStates: new S3PartStates(clients.s3, env.WORK_BUCKET),
      plans: new S3FanOutPlans(clients.s3, env.WORK_BUCKET),
      partitionsPerPart: env.FANOUT_PARTITIONS_PER_PART,
      fanOutStarter: env.FANOUT_STATE_MACHINE_ARN
        ? new StepFunctionsFanOutStarter(lazyClient('sfn'), env.FANOUT_STATE_MACHINE_ARN)
        : null,
      refreshThresholdRecords: env.FANOUT_REFRESH_THRESHOLD_RECORDS,
      inputs: new S3InputArchive(clients.s3, env.WORK_BUCKET),
      values: new DynamoDbKpiValueStore({ client: clients.dynamodb, tableName: env.VALUES_TABLE }),
      codeVersion: env.CODE_VERSION,
      partitionTimeField: (dataset: string) => env.PARTITION_TIME_FIELDS[dataset],
      lateData: new DynamoDbRecomputeMarks(clients.dynamodb, env.STATE_TABLE),
      violations: env.GUARDRAIL_INTAKE_FUNCTION
        ? new LambdaViolationSink(lazyClient('lambda'), env.GUARDRAIL_INTAKE_FUNCTION)
        : null,
      // Imported and compiled on the first refresh that forecasts, not at cold start.
      forecasting: lazyForecaster(),
    };
  },
  run: async (input, deps, { logger, metrics }): Promise<ComputeSummary | PartPlanSummary | PartSummary> => {
    if ('planParts' in input || 'part' in input) {
      const result = await fanOutStep(input, { ...deps, raw: deps.newRawReader() });
      logger.info('kpi fan-out step', { ...result });
      return result;
    }
    // Annotations are read on every run: one added a minute ago already explains or suppresses.
    const { forecasting, ...invocationDeps } = {
      ...deps,
      raw: deps.newRawReader(),
      annotations: await deps.annotationStore.list(),
      parts: input.takeParts ? deps.partStates : undefined,
      // A refresh with more new data than one invocation should read goes to the fan-out (never
      // the refresh the fan-out itself runs, which takes the parts).
      handOff:
        'scheduledTime' in input && !input.takeParts && deps.fanOutStarter
          ? refreshHandOff(deps.fanOutStarter, deps.refreshThresholdRecords, input.scheduledTime)
          : undefined,
    };
    let outcome: ComputeOutcome;
    if ('scheduledTime' in input) {
      const refresh = await refreshKpi(
        { ...invocationDeps, forecasting },
        { kpiId: input.kpiId, scheduledTime: Date.parse(input.scheduledTime) },
      );
      outcome = refreshOutcome(refresh);
      publishHeadline(refresh.compute, metrics);
      if (outcome.violations > 0 && !deps.violations)
        logger.warn('violations found, but no guardrail intake is configured', { violations: outcome.violations });
    } else {
      const result = await computeKpi(invocationDeps, {
        kpiId: input.kpiId,
        from: Date.parse(input.from),
        to: Date.parse(input.to),
        asOf: Date.parse(input.asOf),
        force: input.force,
      });
      outcome = { result, violations: 0, late: { periods: 0, restatements: 0 } };
    }
    const summary = computeSummary(outcome);
    metrics.addMetric(
      PipelineMetric.KpiValuesComputed,
      MetricUnit.Count,
      summary.values.created + summary.values.updated,
    );
    metrics.addMetric(PipelineMetric.Violations, MetricUnit.Count, summary.violations);
    logger.info('kpi computed', { ...summary });
    return summary;
  },
});

type FanOutEvent = Extract<ComputeEvent, { planParts: unknown } | { part: unknown }>;

/** A plan or a part of a fanned-out computation. */
function fanOutStep(
  input: FanOutEvent,
  deps: Parameters<typeof planParts>[0] & { partStates: S3PartStates; partitionsPerPart: number },
): Promise<PartPlanSummary | PartSummary> {
  const range = { kpiId: input.kpiId, from: Date.parse(input.from), to: Date.parse(input.to) };
  if ('part' in input) return computeKpiPart({ ...deps, parts: deps.partStates }, { ...range, part: input.part });
  return planParts(deps, { ...range, name: input.planParts.name, partitionsPerPart: deps.partitionsPerPart });
}

/** What one invocation came to: the computation, and for a refresh its violations and late-data work. */
interface ComputeOutcome {
  readonly result: ComputeKpiResult;
  readonly violations: number;
  readonly late: ComputeSummary['late'];
}

function refreshOutcome(refresh: RefreshKpiResult): ComputeOutcome {
  return {
    result: refresh.compute,
    violations: refresh.violations.length,
    late: {
      periods: refresh.late.reduce((n, c) => n + c.periods.finalized, 0),
      restatements: refresh.late.reduce((n, c) => n + c.restatements.length, 0),
    },
  };
}

/** The overall value of the latest period and the overall forecast, for the dashboard's graph and at-risk view. */
function publishHeadline(result: ComputeKpiResult, metrics: Metrics): void {
  const latest = latestOverallValue(result.written);
  if (latest) {
    const single = metrics.singleMetric();
    single.addDimension('kpi', latest.kpiId);
    single.addMetric(PipelineMetric.KpiValue, MetricUnit.NoUnit, latest.value);
  }
  const forecast = latestOverallForecast(result.written);
  if (forecast) {
    const single = metrics.singleMetric();
    single.addDimension('kpi', result.kpiId);
    single.addMetric(PipelineMetric.KpiForecast, MetricUnit.NoUnit, forecast.horizon.point);
    single.addMetric(PipelineMetric.KpiRedProbability, MetricUnit.NoUnit, forecast.forecast.probabilityRed);
  }
}

function computeSummary({ result, violations, late }: ComputeOutcome): ComputeSummary {
  return {
    kpiId: result.kpiId,
    outcome: result.outcome,
    version: result.version,
    periods: result.periods,
    partitions: result.partitions,
    values: result.values,
    restatements: result.restatements.length,
    violations,
    late,
  };
}

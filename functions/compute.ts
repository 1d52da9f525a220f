// Lambda: computes one KPI. Its schedule (one per KPI, kept in step with the cadence on publish)
// sends `{ kpiId, scheduledTime }`: a refresh of the recent periods whose inputs changed, with the
// violations handed to the guardrail intake. The backfill state machine and the CLI send
// `{ kpiId, from, to, asOf }`: those periods, computed without evaluation. A range with more stale
// raw partitions than one invocation should read is fanned out by the backfill state machine:
// `{ …, planParts }` counts them and writes the item list of the parts, `{ …, part }` aggregates one
// part, and the chunks (or the refresh) with `takeParts` finalize from what the parts kept.
import * as z from 'zod';
import { DynamoAnnotationStore } from '../src/adapters/aws/dynamo-annotation-store';
import { DynamoKpiValueStore } from '../src/adapters/aws/dynamo-kpi-value-store';
import { DynamoDbIngestLedger } from '../src/adapters/aws/dynamodb-ingest-ledger';
import { DynamoDbRawCommitLog } from '../src/adapters/aws/dynamodb-raw-commit-log';
import { kpiDefinitionStore } from '../src/adapters/aws/kpi-definitions';
import { LambdaViolationSink } from '../src/adapters/aws/lambda-violation-sink';
import { S3InputArchive } from '../src/adapters/aws/s3-input-archive';
import { S3FanOutPlans, S3PartStates } from '../src/adapters/aws/s3-part-states';
import { S3PartialCache } from '../src/adapters/aws/s3-partial-cache';
import { RawObjectCache, S3RawPartitions } from '../src/adapters/aws/s3-raw-partitions';
import { StepFunctionsFanOutStarter } from '../src/adapters/aws/sfn-fan-out-starter';
import { systemClock } from '../src/adapters/system-clock';
import {
  type ComputeSummary,
  computeEventSchema,
  type PartPlanSummary,
  type PartSummary,
} from '../src/contracts/compute-function';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { lazyForecaster } from '../src/runtime/lazy-forecaster';
import { type ComputeKpiResult, computeKpi } from '../src/usecases/compute-kpi';
import {
  computeKpiPart,
  DEFAULT_PARTITIONS_PER_PART,
  DEFAULT_REFRESH_THRESHOLD,
  planParts,
  refreshHandOff,
} from '../src/usecases/compute-kpi-part';
import { refreshKpi } from '../src/usecases/refresh-kpi';

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
  /** MiB of raw objects (as stored, gzip) kept in memory between invocations. */
  RAW_CACHE_MIB: z.coerce.number().int().nonnegative().default(256),
  /** Stale raw partitions one invocation aggregates; a range with more is fanned out in parts. */
  FANOUT_PARTITIONS_PER_PART: z.coerce.number().int().positive().default(DEFAULT_PARTITIONS_PER_PART),
  /** The backfill state machine, which a refresh with more stale partitions than the threshold is handed to. */
  FANOUT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  FANOUT_REFRESH_THRESHOLD: z.coerce.number().int().positive().default(DEFAULT_REFRESH_THRESHOLD),
});

export const { handler, create } = defineHandler({
  name: 'compute',
  environment,
  event: computeEventSchema,
  correlationId: (e) => e.kpiId,
  clients: ['dynamodb', 's3', 'lambda', 'sfn'],
  dependencies: (env, { clients }) => {
    // Raw objects shared by the KPIs a warm container computes one after another.
    const objectCache = new RawObjectCache(env.RAW_CACHE_MIB * 1024 * 1024);
    return {
      definitions: kpiDefinitionStore(clients.dynamodb, env.DEFINITIONS_TABLE, systemClock),
      annotationStore: new DynamoAnnotationStore(clients.dynamodb, env.DEFINITIONS_TABLE),
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
        ? new StepFunctionsFanOutStarter(clients.sfn, env.FANOUT_STATE_MACHINE_ARN)
        : null,
      refreshThreshold: env.FANOUT_REFRESH_THRESHOLD,
      inputs: new S3InputArchive(clients.s3, env.WORK_BUCKET),
      values: new DynamoKpiValueStore({ client: clients.dynamodb, tableName: env.VALUES_TABLE }),
      codeVersion: env.CODE_VERSION,
      partitionTimeField: (dataset: string) => env.PARTITION_TIME_FIELDS[dataset],
      lateData: new DynamoDbIngestLedger(clients.dynamodb, env.STATE_TABLE),
      violations: env.GUARDRAIL_INTAKE_FUNCTION
        ? new LambdaViolationSink(clients.lambda, env.GUARDRAIL_INTAKE_FUNCTION)
        : null,
      // Imported and compiled on the first refresh that forecasts, not at cold start.
      forecasting: lazyForecaster(),
    };
  },
  run: async (input, deps, { logger, metrics }): Promise<ComputeSummary | PartPlanSummary | PartSummary> => {
    if ('planParts' in input || 'part' in input) {
      const range = { kpiId: input.kpiId, from: Date.parse(input.from), to: Date.parse(input.to) };
      const fanOut = { ...deps, raw: deps.newRawReader() };
      const result =
        'part' in input
          ? await computeKpiPart({ ...fanOut, parts: deps.partStates }, { ...range, part: input.part })
          : await planParts(fanOut, {
              ...range,
              name: input.planParts.name,
              partitionsPerPart: deps.partitionsPerPart,
            });
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
          ? refreshHandOff(deps.fanOutStarter, deps.refreshThreshold, input.scheduledTime)
          : undefined,
    };
    let result: ComputeKpiResult;
    let violations = 0;
    let late: ComputeSummary['late'] = { periods: 0, restatements: 0 };
    if ('scheduledTime' in input) {
      const refresh = await refreshKpi(
        { ...invocationDeps, forecasting },
        {
          kpiId: input.kpiId,
          scheduledTime: Date.parse(input.scheduledTime),
        },
      );
      result = refresh.compute;
      violations = refresh.violations.length;
      late = {
        periods: refresh.late.reduce((n, c) => n + c.periods.finalized, 0),
        restatements: refresh.late.reduce((n, c) => n + c.restatements.length, 0),
      };
      // The overall value of the latest period, for the dashboard's graph of this KPI and its bands.
      const latest = result.written
        .filter((v) => Object.keys(v.dimensions).length === 0 && v.value !== null)
        .sort((a, b) => (a.periodStart < b.periodStart ? -1 : 1))
        .at(-1);
      if (latest?.value != null) {
        const single = metrics.singleMetric();
        single.addDimension('kpi', latest.kpiId);
        single.addMetric(PipelineMetric.KpiValue, MetricUnit.NoUnit, latest.value);
      }
      // The overall forecast, for the dashboard's at-risk view of this KPI.
      const forecast = result.written.findLast((v) => Object.keys(v.dimensions).length === 0 && v.forecast)?.forecast;
      const horizon = forecast?.steps.at(-1);
      if (forecast && horizon) {
        const single = metrics.singleMetric();
        single.addDimension('kpi', result.kpiId);
        single.addMetric(PipelineMetric.KpiForecast, MetricUnit.NoUnit, horizon.point);
        single.addMetric(PipelineMetric.KpiRedProbability, MetricUnit.NoUnit, forecast.probabilityRed);
      }
      if (violations > 0 && !deps.violations)
        logger.warn('violations found, but no guardrail intake is configured', { violations });
    } else {
      result = await computeKpi(invocationDeps, {
        kpiId: input.kpiId,
        from: Date.parse(input.from),
        to: Date.parse(input.to),
        asOf: Date.parse(input.asOf),
        force: input.force,
      });
    }
    const written = result.values.created + result.values.updated;
    metrics.addMetric(PipelineMetric.KpiValuesComputed, MetricUnit.Count, written);
    metrics.addMetric(PipelineMetric.Violations, MetricUnit.Count, violations);
    const summary: ComputeSummary = {
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
    logger.info('kpi computed', { ...summary });
    return summary;
  },
});

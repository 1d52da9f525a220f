// Lambda: the HTTP pull connector, one EventBridge Scheduler schedule per dataset that declares
// `ingestion.http` (lib/constructs/ingestion/http-pull-ingestion.ts). Each run fetches what is new
// since the dataset's watermark and ingests it as one batch.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { SecretAuthHeaders } from '../src/adapters/aws/secret-auth';
import { JsonApiClient } from '../src/adapters/http/json-api-client';
import { PipelineMetric } from '../src/contracts/metrics';
import { ingestionOf } from '../src/domain/dataset';
import { ValidationError } from '../src/domain/errors';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { buildIngestionRuntime, ingestionClients, ingestionEnvironment } from '../src/runtime/ingestion';
import { pullHttpSource } from '../src/usecases/pull-http-source';

const event = z.object({ dataset: z.string().min(1) }).loose();

const SAFETY_MILLIS = 2 * 60_000;
const LOCAL_BUDGET_MILLIS = 10 * 60_000;

export const { handler, create, services } = defineHandler({
  name: 'ingest-http',
  environment: ingestionEnvironment,
  event,
  correlationId: (input) => input.dataset,
  clients: [...ingestionClients, 'secrets'],
  dependencies: async (env, { clients }) => ({
    ...(await buildIngestionRuntime(env, clients)),
    auth: new SecretAuthHeaders(clients.secrets),
  }),
  run: async (input, { ingest, datasets, auth }, { logger, metrics, lambda }) => {
    const loaded = (await datasets.resolve()).get(input.dataset);
    const http = loaded && ingestionOf(loaded.declaration).http;
    if (!loaded || !http) throw new ValidationError(`dataset "${input.dataset}" declares no ingestion.http source`);
    const remaining = lambda?.getRemainingTimeInMillis() ?? LOCAL_BUDGET_MILLIS + SAFETY_MILLIS;
    // A quarter of a short run, at most SAFETY_MILLIS, is kept in hand.
    const deadline = ingest.clock.now() + remaining - Math.min(SAFETY_MILLIS, remaining / 4);
    const api = new JsonApiClient({ maxAttempts: http.maxAttempts, timeoutMillis: http.timeoutSeconds * 1000 });
    const report = await pullHttpSource(
      loaded.dataset,
      deadline,
      { ...ingest, api, authHeaders: (source) => auth.headersFor(source) },
      loaded.version,
    );
    metrics.addDimensions({ dataset: input.dataset });
    metrics.addMetric(PipelineMetric.RowsIngested, MetricUnit.Count, report.rowsValid);
    metrics.addMetric(PipelineMetric.RowsQuarantined, MetricUnit.Count, report.rowsQuarantined);
    logger.info('http pull', { ...report });
    return report;
  },
});

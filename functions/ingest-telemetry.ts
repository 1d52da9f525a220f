// Lambda: the agent telemetry endpoint, behind a Function URL
// (lib/constructs/ingestion/telemetry-ingestion.ts). Agents POST batches of events to
// /v1/datasets/<dataset>/events, signed with their key; see src/usecases/receive-push.ts.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { SecretAgentKeyring } from '../src/adapters/aws/secret-agent-keyring';
import { PipelineMetric } from '../src/contracts/metrics';
import { PUSH_HEADERS } from '../src/contracts/push-signature';
import { describeError } from '../src/domain/errors';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { buildIngestionRuntime, ingestionClients, ingestionEnvironment } from '../src/runtime/ingestion';
import { DEFAULT_PUSH_LIMITS, receivePush } from '../src/usecases/receive-push';

const environment = ingestionEnvironment.extend({
  AGENT_KEYS_SECRET: z.string().min(1),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(DEFAULT_PUSH_LIMITS.maxBodyBytes),
  MAX_DECOMPRESSED_BYTES: z.coerce.number().int().positive().default(DEFAULT_PUSH_LIMITS.maxDecompressedBytes),
});

/** The Function URL (payload format 2.0) request, as much of it as the endpoint reads. */
const event = z
  .object({
    rawPath: z.string(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().default(false),
    requestContext: z
      .object({ http: z.object({ method: z.string() }).loose(), requestId: z.string().optional() })
      .loose(),
  })
  .loose();

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const { handler, create, services } = defineHandler({
  name: 'ingest-telemetry',
  environment,
  event,
  correlationId: (input) => input.requestContext.requestId,
  clients: [...ingestionClients, 'secrets'],
  dependencies: async (env, { clients }) => {
    const runtime = await buildIngestionRuntime(env, clients);
    return {
      ...runtime,
      keyring: new SecretAgentKeyring(clients.secrets, env.AGENT_KEYS_SECRET),
      limits: {
        maxBodyBytes: env.MAX_BODY_BYTES,
        maxDecompressedBytes: env.MAX_DECOMPRESSED_BYTES,
        maxSkewSeconds: DEFAULT_PUSH_LIMITS.maxSkewSeconds,
      },
    };
  },
  run: async (input, deps, { logger, metrics }): Promise<FunctionUrlResult> => {
    const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const body =
      input.body === undefined ? new Uint8Array() : Buffer.from(input.body, input.isBase64Encoded ? 'base64' : 'utf8');
    try {
      // The declarations in force now (published versions first), cached briefly per instance.
      const inForce = await deps.datasets.resolve();
      const response = await receivePush(
        { method: input.requestContext.http.method, path: input.rawPath, headers, body },
        {
          ...deps.ingest,
          datasets: new Map([...inForce].map(([id, resolved]) => [id, resolved.dataset])),
          versionOf: (id) => inForce.get(id)?.version ?? null,
          keyring: deps.keyring,
          limits: deps.limits,
        },
      );
      const accepted = typeof response.body.accepted === 'number' ? response.body.accepted : 0;
      metrics.addMetric(PipelineMetric.RowsIngested, MetricUnit.Count, accepted);
      if (response.status >= 400) {
        // An agent pushing events in another agent's name (agent_mismatch) shows here with the signer.
        logger.warn('push refused', {
          status: response.status,
          error: response.body.error,
          agent: headers[PUSH_HEADERS.agent],
          ...(typeof response.body.mismatched === 'number' ? { mismatched: response.body.mismatched } : {}),
        });
      }
      return {
        statusCode: response.status,
        headers: { 'content-type': 'application/json', ...response.headers },
        body: JSON.stringify(response.body),
      };
    } catch (error) {
      // The agent gets an answer it can retry on; the details stay in the logs.
      logger.error('push failed', error as Error);
      return {
        statusCode: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '30' },
        body: JSON.stringify({
          error: 'unavailable',
          message: `the batch could not be stored now (${describeError(error).split(':')[0]}); retry later`,
        }),
      };
    }
  },
});

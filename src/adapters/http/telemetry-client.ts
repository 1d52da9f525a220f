// Adapters (HTTP): what an agent runs to push telemetry: events as NDJSON (or a JSON array),
// optionally gzip-compressed, signed with the agent's key, POSTed to the telemetry endpoint.
import { gzipSync } from 'node:zlib';
import { signedPushHeaders } from '../../contracts/push-signature';

export interface PushEventsOptions {
  /** The telemetry Function URL, e.g. `https://abc.lambda-url.eu-west-1.on.aws/`. */
  readonly endpoint: string;
  readonly agentId: string;
  /** The agent's key from the AgentKeys secret. */
  readonly key: string;
  readonly dataset: string;
  readonly events: readonly object[];
  /** @default 'ndjson' */
  readonly format?: 'ndjson' | 'json';
  /** @default true */
  readonly gzip?: boolean;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export interface PushEventsResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Signs and sends one batch; resolves with the endpoint's answer (see docs/ingestion.md for the
 * statuses). Resending a batch after a timeout is safe: the endpoint answers `duplicate`.
 */
export async function pushEvents(options: PushEventsOptions): Promise<PushEventsResult> {
  const format = options.format ?? 'ndjson';
  const text =
    format === 'ndjson'
      ? options.events.map((event) => JSON.stringify(event)).join('\n')
      : JSON.stringify(options.events);
  const compress = options.gzip ?? true;
  const body = compress ? gzipSync(text) : Buffer.from(text);
  const url = new URL(
    `v1/datasets/${options.dataset}/events`,
    options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`,
  );
  const headers = signedPushHeaders(
    {
      agentId: options.agentId,
      timestamp: Math.floor((options.now ?? Date.now)() / 1000),
      method: 'POST',
      path: url.pathname,
      body,
    },
    options.key,
  );
  const response = await (options.fetch ?? fetch)(url, {
    method: 'POST',
    body,
    headers: {
      ...headers,
      'content-type': format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      ...(compress ? { 'content-encoding': 'gzip' } : {}),
    },
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body: answer };
}

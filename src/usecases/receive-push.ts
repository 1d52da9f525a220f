// Use case: a batch of events pushed by an agent to the telemetry endpoint. The request is
// authenticated (per-agent HMAC signature, bounded clock skew), limited in size, and validated
// whole: one invalid event rejects the batch with 422 and the list of problems, so the agent can
// fix and resend; nothing of a rejected batch reaches raw. An event's agent is the agent whose key
// signed the request (push/agent-identity.ts). An accepted batch is ingested like any other, its id
// derived from the agent and the body: a resent batch is acknowledged, not doubled.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PUSH_HEADERS, verifyPush } from '../contracts/push-signature';
import { type CompiledDataset, ingestionOf, type PushDeclaration } from '../domain/dataset';
import type { AgentKeyring } from '../ports/agent-keyring';
import { type IngestBatchRequest, type IngestDependencies, type IngestResult, ingestBatch } from './ingest-batch';
import { holdEventsToSigner } from './push/agent-identity';

export interface PushRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lowercase. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}

export interface PushResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

export interface PushLimits {
  /** Largest body as sent (compressed or not). @default 1 MiB */
  readonly maxBodyBytes: number;
  /** Largest body once decompressed. @default 10 MiB */
  readonly maxDecompressedBytes: number;
  /** Largest difference between the request timestamp and the clock. @default 300 s */
  readonly maxSkewSeconds: number;
}

export const DEFAULT_PUSH_LIMITS: PushLimits = {
  maxBodyBytes: 1024 * 1024,
  maxDecompressedBytes: 10 * 1024 * 1024,
  maxSkewSeconds: 300,
};

export interface PushDependencies extends IngestDependencies {
  readonly datasets: ReadonlyMap<string, CompiledDataset>;
  /** The published version of each dataset's declaration (recorded in the manifest); absent: the deployed one. */
  readonly versionOf?: (dataset: string) => number | null;
  readonly keyring: AgentKeyring;
  readonly limits?: PushLimits;
}

const PATH = /^\/v1\/datasets\/([a-z][a-z0-9_]*)\/events\/?$/;

function error(status: number, code: string, message: string, extra: Record<string, unknown> = {}): PushResponse {
  return { status, headers: {}, body: { error: code, message, ...extra } };
}

function formatOf(contentType: string | undefined): 'ndjson' | 'json' | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  if (type === 'application/json') return 'json';
  return undefined;
}

/** A request refused at one of the steps below, with the response that says why. */
class PushRefused extends Error {
  constructor(readonly response: PushResponse) {
    super(String(response.body.message));
    this.name = 'PushRefused';
  }
}

function refuse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new PushRefused(error(status, code, message, extra));
}

/** A pushed body, decompressed, with its events held to the agent that signed it. */
interface PushedEvents {
  readonly type: 'ndjson' | 'json';
  /** Identifies the body as received (after decompression), for its object name. */
  readonly bodyId: string;
  readonly body: Uint8Array;
  /** Events that named another agent and were given the signer. */
  readonly overwritten: number;
}

/**
 * Receives one request: route, authenticate, find the dataset, decode the body, hold its events to
 * the signer, ingest them all or nothing, and answer. Each step refuses with the status a client
 * can act on, in that order.
 */
export async function receivePush(request: PushRequest, deps: PushDependencies): Promise<PushResponse> {
  const limits = deps.limits ?? DEFAULT_PUSH_LIMITS;
  try {
    const datasetId = routeOf(request);
    const agentId = await authenticate(request, deps, limits);
    const { dataset, push } = pushTarget(deps, datasetId, agentId);
    const events = pushedEvents(request, limits, dataset, push, agentId);
    const result = await ingestBatch(pushedBatch(deps, dataset, datasetId, agentId, events), deps);
    return answer(result, events);
  } catch (cause) {
    if (cause instanceof PushRefused) return cause.response;
    throw cause;
  }
}

/** The dataset the request's path names. */
function routeOf(request: PushRequest): string {
  const match = PATH.exec(request.path);
  if (!match) refuse(404, 'not_found', 'POST events to /v1/datasets/<dataset>/events');
  if (request.method.toUpperCase() !== 'POST') {
    throw new PushRefused({
      ...error(405, 'method_not_allowed', 'only POST is accepted here'),
      headers: { allow: 'POST' },
    });
  }
  return match[1] as string;
}

/** The agent whose key signed the request, sent within the allowed skew and size. */
async function authenticate(request: PushRequest, deps: PushDependencies, limits: PushLimits): Promise<string> {
  const agentId = request.headers[PUSH_HEADERS.agent];
  const timestampText = request.headers[PUSH_HEADERS.timestamp];
  const signature = request.headers[PUSH_HEADERS.signature];
  if (!agentId || !timestampText || !signature) {
    refuse(
      401,
      'unauthenticated',
      `sign the request: headers ${PUSH_HEADERS.agent}, ${PUSH_HEADERS.timestamp} (epoch seconds) and ${PUSH_HEADERS.signature} are required`,
    );
  }
  const timestamp = Number(timestampText);
  const skew = Math.abs(deps.clock.now() / 1000 - timestamp);
  if (!Number.isInteger(timestamp) || skew > limits.maxSkewSeconds) {
    refuse(
      401,
      'stale_request',
      `${PUSH_HEADERS.timestamp} ${timestampText} is ${Number.isFinite(skew) ? `${Math.round(skew)} s` : 'not'} within ${limits.maxSkewSeconds} s of the server clock; sign with the current time`,
    );
  }
  if (request.body.byteLength > limits.maxBodyBytes) {
    refuse(
      413,
      'too_large',
      `the body has ${request.body.byteLength} bytes, more than ${limits.maxBodyBytes}; send smaller batches`,
    );
  }
  const keys = await deps.keyring.keysOf(agentId);
  const parts = { agentId, timestamp, method: request.method, path: request.path, body: request.body };
  if (keys.length === 0 || !verifyPush(parts, signature, keys)) {
    refuse(401, 'bad_signature', `the signature does not match this request for agent "${agentId}"`);
  }
  return agentId;
}

/** The dataset, if it takes pushed events from this agent. */
function pushTarget(
  deps: PushDependencies,
  datasetId: string,
  agentId: string,
): { dataset: CompiledDataset; push: PushDeclaration } {
  const dataset = deps.datasets.get(datasetId);
  const push = dataset && ingestionOf(dataset.declaration).push;
  if (!dataset || !push?.enabled)
    refuse(404, 'unknown_dataset', `dataset "${datasetId}" does not accept pushed events`);
  if (push.agents && !push.agents.includes(agentId)) {
    refuse(403, 'forbidden', `agent "${agentId}" may not push to dataset "${datasetId}"`);
  }
  return { dataset, push };
}

/** The body in a format and encoding we read, decompressed within the limit, its events the signer's. */
function pushedEvents(
  request: PushRequest,
  limits: PushLimits,
  dataset: CompiledDataset,
  push: PushDeclaration,
  agentId: string,
): PushedEvents {
  const type = formatOf(request.headers['content-type']);
  if (!type) {
    refuse(
      415,
      'unsupported_media_type',
      'send application/x-ndjson (one event per line) or application/json (an array of events)',
    );
  }
  const body = decodedBody(request, limits);
  if (body.byteLength === 0) refuse(400, 'empty_body', 'the body holds no events');
  const bodyId = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const identity = holdEventsToSigner(body, type, dataset, push, agentId);
  if (!identity.ok) {
    const listed = identity.mismatches.map(({ line, agent }) => `${line} (${JSON.stringify(agent)})`).join(', ');
    const more =
      identity.count > identity.mismatches.length ? ` and ${identity.count - identity.mismatches.length} more` : '';
    refuse(
      403,
      'agent_mismatch',
      `${identity.count} event${identity.count === 1 ? '' : 's'} name${identity.count === 1 ? 's' : ''} another agent than "${agentId}", whose key signed the request, in field ${push.agentField}: ${type === 'json' ? 'element' : 'line'}${identity.count === 1 ? '' : 's'} ${listed}${more}. An agent pushes only its own events; nothing was stored`,
      { mismatched: identity.count, events: identity.mismatches },
    );
  }
  return { type, bodyId, body: identity.body, overwritten: identity.overwritten };
}

function decodedBody(request: PushRequest, limits: PushLimits): Uint8Array {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return request.body;
  if (encoding !== 'gzip') {
    refuse(415, 'unsupported_encoding', `content-encoding ${encoding} is not accepted; use gzip or none`);
  }
  try {
    return gunzipSync(request.body, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (cause) {
    if (cause instanceof RangeError) {
      refuse(413, 'too_large', `the body is larger than ${limits.maxDecompressedBytes} bytes once decompressed`);
    }
    refuse(400, 'bad_encoding', `the body is not valid gzip: ${(cause as Error).message}`);
  }
}

function pushedBatch(
  deps: PushDependencies,
  dataset: CompiledDataset,
  datasetId: string,
  agentId: string,
  events: PushedEvents,
): IngestBatchRequest {
  const { type, bodyId, body } = events;
  return {
    dataset,
    declarationVersion: deps.versionOf?.(datasetId) ?? null,
    connector: 'push',
    // The same events pushed again are one batch; another agent's identical body is its own.
    identity: { scope: ['push', agentId, type] },
    source: `push:${agentId}`,
    parts: [
      {
        origin: { source: `push:${agentId}`, file: bodyId },
        bytes: (async function* () {
          yield body;
        })(),
        format: { type, compression: 'none', encoding: 'utf-8', maxRowBytes: dataset.declaration.format.maxRowBytes },
        uri: `push:${agentId}/${bodyId}`,
      },
    ],
    mode: 'all_or_nothing',
    lateAfterMinutes: ingestionOf(dataset.declaration).lateAfterMinutes,
  };
}

/** The answer to a request whose events went to ingestion. */
function answer(result: IngestResult, events: PushedEvents): PushResponse {
  const batchId = 'batchId' in result ? result.batchId : events.bodyId;
  switch (result.status) {
    case 'deferred':
    case 'busy':
      return {
        ...error(409, 'in_progress', 'the same batch is being ingested; retry shortly'),
        headers: { 'retry-after': '5' },
      };
    case 'duplicate':
      if (result.outcome === 'ingested') return { status: 200, headers: {}, body: { batchId, status: 'duplicate' } };
      return error(
        result.outcome === 'rejected' ? 422 : 400,
        result.outcome === 'rejected' ? 'invalid_events' : 'unreadable_body',
        'this batch was refused before',
        { batchId, problems: result.problems },
      );
    case 'unreadable':
      return error(400, 'unreadable_body', result.problems[0] ?? 'the body cannot be read', { batchId });
    case 'too_large':
      return error(413, 'too_large', result.problems[0] ?? 'the body is too large', { batchId });
    case 'rejected':
      return error(
        422,
        'invalid_events',
        `${result.manifest.counts.quarantined} of ${result.manifest.counts.read} events are invalid; nothing was ingested. Fix them and send the batch again`,
        { batchId, counts: result.manifest.counts, problems: result.problems },
      );
    case 'ingested':
      return {
        status: 200,
        headers: {},
        body: {
          batchId,
          status: 'ingested',
          accepted: result.manifest.counts.valid,
          ...(events.overwritten > 0 ? { agentOverwritten: events.overwritten } : {}),
        },
      };
  }
}

// Contract (between agents and the telemetry endpoint): how agents sign what they push. Each agent
// holds a key (in the pipeline's agent-keys secret) and signs every request with HMAC-SHA256 over
// the timestamp, its id, the method, the path and the SHA-256 of the body as sent. The endpoint
// recomputes it with the same key: a request that was altered, replayed after the allowed clock
// skew, or signed with another agent's key is refused.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';

/** Header names (lowercase, as HTTP/2 and Function URLs deliver them). */
export const PUSH_HEADERS = {
  agent: 'x-kpi-agent',
  timestamp: 'x-kpi-timestamp',
  signature: 'x-kpi-signature',
} as const;

export interface SignedParts {
  readonly agentId: string;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly method: string;
  /** The request path, e.g. `/v1/datasets/agent_events/events`. */
  readonly path: string;
  readonly body: Uint8Array;
}

/** The text that is signed: one field per line. */
export function stringToSign(parts: SignedParts): string {
  const bodyHash = createHash('sha256').update(parts.body).digest('hex');
  return [
    SIGNATURE_VERSION,
    String(parts.timestamp),
    parts.agentId,
    parts.method.toUpperCase(),
    parts.path,
    bodyHash,
  ].join('\n');
}

/** The `x-kpi-signature` header value for a request. */
export function signPush(parts: SignedParts, key: string): string {
  return `${SIGNATURE_VERSION}=${createHmac('sha256', key).update(stringToSign(parts)).digest('hex')}`;
}

/**
 * The headers an agent sends with a push.
 *
 * @example
 * const body = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n'));
 * const headers = signedPushHeaders({ agentId: 'agent-a', timestamp: Math.floor(Date.now() / 1000), method: 'POST', path, body }, key);
 * await fetch(`${endpoint}${path}`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/x-ndjson' } });
 */
export function signedPushHeaders(parts: SignedParts, key: string): Record<string, string> {
  return {
    [PUSH_HEADERS.agent]: parts.agentId,
    [PUSH_HEADERS.timestamp]: String(parts.timestamp),
    [PUSH_HEADERS.signature]: signPush(parts, key),
  };
}

/** Whether `signature` matches any of the agent's keys (several during a rotation). */
export function verifyPush(parts: SignedParts, signature: string, keys: readonly string[]): boolean {
  const given = Buffer.from(signature);
  return keys.some((key) => {
    const expected = Buffer.from(signPush(parts, key));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

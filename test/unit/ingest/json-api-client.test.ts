import { describe, expect, it } from 'vitest';
import { JsonApiClient, retryAfterMillis } from '../../../src/adapters/http/json-api-client';

const NOW = Date.parse('2024-06-10T12:00:00Z');

function client(responses: (() => Response)[], waits: number[] = [], options: { maxBodyBytes?: number } = {}) {
  let call = 0;
  return new JsonApiClient({
    now: () => NOW,
    random: () => 1,
    baseDelayMillis: 100,
    sleep: async (ms) => void waits.push(ms),
    fetch: async () => (responses[call++] ?? responses[responses.length - 1] ?? (() => new Response('{}')))(),
    ...options,
  });
}

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('JSON API client', () => {
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(retryAfterMillis('7', NOW)).toBe(7000);
    expect(retryAfterMillis(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(retryAfterMillis('soon', NOW)).toBeUndefined();
  });

  it('backs off exponentially on server errors, then succeeds', async () => {
    const waits: number[] = [];
    const page = await client([json({}, 500), json({}, 502), json({ ok: true })], waits).get(
      'https://api/x',
      {},
      NOW + 60_000,
    );
    expect(page).toMatchObject({ status: 200, json: { ok: true }, attempts: 3 });
    expect(waits).toEqual([100, 200]);
  });

  it('does not retry a client error, and says what the API answered', async () => {
    const waits: number[] = [];
    await expect(
      client([json({ error: 'no such list' }, 404)], waits).get('https://api/x', {}, NOW + 60_000),
    ).rejects.toMatchObject({
      name: 'HttpSourceError',
      status: 404,
      message: expect.stringContaining('answered 404'),
    });
    expect(waits).toEqual([]);
  });

  it('gives up rather than wait past the deadline the API asks for', async () => {
    await expect(
      client([json({}, 429, { 'retry-after': '120' })]).get('https://api/x', {}, NOW + 60_000),
    ).rejects.toMatchObject({
      name: 'TransientError',
      message: expect.stringContaining("would pass the run's deadline"),
    });
  });

  it('refuses a page larger than its limit', async () => {
    await expect(
      client([json({ data: 'x'.repeat(2000) })], [], { maxBodyBytes: 1000 }).get('https://api/x', {}, NOW + 60_000),
    ).rejects.toMatchObject({
      name: 'HttpSourceError',
      message: expect.stringContaining('larger than the 1000-byte limit'),
    });
  });

  it('refuses a body that is not JSON', async () => {
    await expect(client([() => new Response('<html>')]).get('https://api/x', {}, NOW + 60_000)).rejects.toMatchObject({
      name: 'HttpSourceError',
      message: expect.stringContaining('not JSON'),
    });
  });
});

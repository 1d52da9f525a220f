// Test support: a paginated JSON API on loopback that checks a bearer token, filters by an
// `updated_after` watermark, paginates by cursor, page number or Link header, and fails on the
// requests it is told to (429 with Retry-After, 5xx).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiItem {
  readonly id: string;
  readonly updated_at: string;
  readonly amount: number | string;
}

export interface FakeApiOptions {
  readonly token: string;
  readonly pagination: 'cursor' | 'page' | 'link';
  readonly pageSize: number;
  readonly items?: ApiItem[];
}

export interface FakeApi {
  readonly url: string;
  /** Every request, in order: path with query, and the authorization header. */
  readonly requests: { path: string; authorization: string | undefined }[];
  items: ApiItem[];
  /** Answers for coming requests, by 1-based request number. */
  readonly failures: Map<number, { status: number; retryAfter?: string }>;
  /** Requests to this page number (or cursor offset) fail with 503 until cleared. */
  brokenOffset: number | undefined;
  stop(): Promise<void>;
}

export async function startFakeApi(options: FakeApiOptions): Promise<FakeApi> {
  const api: Omit<FakeApi, 'url' | 'stop'> = {
    requests: [],
    items: options.items ?? [],
    failures: new Map(),
    brokenOffset: undefined,
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    api.requests.push({ path: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    const failure = api.failures.get(api.requests.length);
    if (failure) {
      reply(failure.status, { error: 'try again' }, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
      return;
    }
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      reply(401, { error: 'invalid token' });
      return;
    }
    const after = url.searchParams.get('updated_after');
    const visible = api.items
      .filter((item) => after === null || Date.parse(item.updated_at) > Date.parse(after))
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
    let offset = 0;
    if (options.pagination === 'cursor') offset = Number(url.searchParams.get('cursor') ?? '0');
    else offset = (Number(url.searchParams.get('page') ?? '1') - 1) * options.pageSize;
    if (api.brokenOffset === offset && offset > 0) {
      reply(503, { error: 'down' });
      return;
    }
    const data = visible.slice(offset, offset + options.pageSize);
    const more = offset + options.pageSize < visible.length;
    if (options.pagination === 'cursor') {
      reply(200, { data, meta: { next_cursor: more ? String(offset + options.pageSize) : null } });
    } else if (options.pagination === 'page') {
      reply(200, { data });
    } else {
      const next = new URL(url);
      next.searchParams.set('page', String(offset / options.pageSize + 2));
      reply(200, data, more ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}/v1/leads`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** `n` items, one minute apart from `start`. */
export function itemsFrom(start: number, n: number, prefix = 'L'): ApiItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    updated_at: new Date(start + i * 60_000).toISOString(),
    amount: i + 1,
  }));
}

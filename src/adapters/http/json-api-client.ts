// Adapters (HTTP): a JSON API client for the pull connector, on the runtime's fetch. It retries
// 429, 5xx, timeouts and network errors with exponential back-off and full jitter, honours
// Retry-After (seconds or an HTTP date), never waits past the run's deadline, and refuses a body
// larger than its limit instead of holding it in memory.
import { PipelineError, TransientError } from '../../domain/errors';
import type { ApiPage, JsonApi } from '../../ports/json-api';

/** The API answered with a client error (other than 429) or with something that is not JSON: retrying will not help. */
export class HttpSourceError extends PipelineError {
  override readonly name: string = 'HttpSourceError';
  constructor(
    message: string,
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface JsonApiClientOptions {
  /** Requests per page before giving up. @default 5 */
  readonly maxAttempts?: number;
  /** Per request. @default 30 000 */
  readonly timeoutMillis?: number;
  /** First back-off step; doubles each retry. @default 500 */
  readonly baseDelayMillis?: number;
  /** Longest back-off step and longest Retry-After honoured. @default 60 000 */
  readonly maxDelayMillis?: number;
  /** Largest body accepted. @default 50 MiB */
  readonly maxBodyBytes?: number;
  readonly sleep?: (millis: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Retry-After as milliseconds, from seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMillis(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class JsonApiClient implements JsonApi {
  private readonly maxAttempts: number;
  private readonly timeoutMillis: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly maxBodyBytes: number;
  private readonly sleep: (millis: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(options: JsonApiClientOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.timeoutMillis = options.timeoutMillis ?? 30_000;
    this.baseDelay = options.baseDelayMillis ?? 500;
    this.maxDelay = options.maxDelayMillis ?? 60_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 50 * 1024 * 1024;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async get(url: string, headers: Readonly<Record<string, string>>, deadline: number): Promise<ApiPage> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let wait: number | undefined;
      try {
        const response = await this.fetch(url, {
          headers: { accept: 'application/json', ...headers },
          signal: AbortSignal.timeout(Math.max(1, Math.min(this.timeoutMillis, deadline - this.now()))),
        });
        if (response.ok) {
          const body = await this.readBody(response, url);
          let json: unknown;
          try {
            json = JSON.parse(Buffer.from(body).toString('utf8'));
          } catch (error) {
            throw new HttpSourceError(
              `${url} answered ${response.status} with a body that is not JSON: ${(error as Error).message}`,
              response.status,
              { cause: error },
            );
          }
          return {
            url,
            status: response.status,
            headers: Object.fromEntries(response.headers.entries()),
            body,
            json,
            attempts: attempt,
          };
        }
        const detail = (await response.text().catch(() => '')).slice(0, 300);
        if (!RETRYABLE.has(response.status)) {
          throw new HttpSourceError(
            `${url} answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}${response.status === 401 || response.status === 403 ? ' (check the token in the auth secret)' : ''}`,
            response.status,
          );
        }
        lastProblem = `${response.status} ${response.statusText}`;
        wait = retryAfterMillis(response.headers.get('retry-after'), this.now());
      } catch (error) {
        if (error instanceof HttpSourceError) throw error;
        lastProblem =
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${this.timeoutMillis} ms`
            : (error as Error).message;
      }
      if (attempt === this.maxAttempts) break;
      // Full jitter: a random wait up to the exponential step, so many clients do not retry in step.
      const backoff = Math.min(this.maxDelay, this.baseDelay * 2 ** (attempt - 1)) * this.random();
      const delay = wait !== undefined ? Math.min(wait, this.maxDelay) : backoff;
      if (this.now() + delay >= deadline) {
        throw new TransientError(`${url}: ${lastProblem}; the next attempt would pass the run's deadline`);
      }
      await this.sleep(delay);
    }
    throw new TransientError(`${url}: ${lastProblem} after ${this.maxAttempts} attempts`);
  }

  private async readBody(response: Response, url: string): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? 'NaN');
    if (declared > this.maxBodyBytes) {
      await response.body?.cancel();
      throw new HttpSourceError(
        `${url}: a page of ${declared} bytes is larger than the ${this.maxBodyBytes}-byte limit; ask for smaller pages`,
        response.status,
      );
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > this.maxBodyBytes) {
        throw new HttpSourceError(
          `${url}: the page is larger than the ${this.maxBodyBytes}-byte limit; ask for smaller pages`,
          response.status,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }
}

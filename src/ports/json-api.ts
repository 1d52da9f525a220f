// Port: a paginated JSON API, one GET at a time. The adapter owns retries, back-off and limits.

export interface ApiPage {
  /** The URL that answered (after the adapter's retries). */
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as received, for checksums. */
  readonly body: Uint8Array;
  /** The body parsed as JSON. */
  readonly json: unknown;
  /** Requests it took, retries included. */
  readonly attempts: number;
}

export interface JsonApi {
  /**
   * GETs a page. Retries 429, 5xx and network errors as its policy says, then fails with
   * TransientError; fails at once with HttpSourceError on other 4xx and on a body that is not JSON.
   */
  get(url: string, headers: Readonly<Record<string, string>>, deadline: number): Promise<ApiPage>;
}

import { type CompiledDataset, type HttpSourceDeclaration, ingestionOf, type RecordBatch } from '../domain/dataset';
import { TransientError, ValidationError } from '../domain/errors';
import type { IngestLedger, WatermarkState } from '../ports/ingest-ledger';
import type { ApiPage, JsonApi } from '../ports/json-api';
import { type IngestDependencies, type IngestPart, type IngestResult, ingestBatch } from './ingest-batch';

export interface PullDependencies extends IngestDependencies {
  readonly api: JsonApi;
  readonly ledger: IngestLedger;
  /** Headers that authenticate a request (from the source's secret), fetched once per run. */
  readonly authHeaders: (http: HttpSourceDeclaration) => Promise<Record<string, string>>;
}

export interface PullReport {
  readonly dataset: string;
  readonly status: 'ingested' | 'duplicate' | 'busy' | 'nothing_new';
  readonly batchId: string;
  readonly pages: number;
  readonly rowsRead: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  /** Whether the traversal reached its last page; otherwise the next run resumes. */
  readonly complete: boolean;
  readonly watermark: string | null;
  /** Why the run stopped early, when it did. */
  readonly stoppedBecause: string | null;
}

const ENCODER = new TextEncoder();

/** A dotted path into parsed JSON; the empty path is the value itself. */
function at(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The `rel="next"` target of a Link header. */
function nextFromLinkHeader(link: string | undefined): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (match && /\brel="?next"?/.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

function formatWatermark(millis: number, format: 'iso8601' | 'epoch_seconds' | 'epoch_millis'): string {
  if (format === 'epoch_seconds') return String(Math.floor(millis / 1000));
  if (format === 'epoch_millis') return String(millis);
  return new Date(millis).toISOString();
}

/** The URL of a request: the first page, or the page a resume position names. */
export function pageUrl(http: HttpSourceDeclaration, watermark: string | null, resume: string | null): string {
  if (resume && http.pagination.kind === 'next_link') return resume;
  const url = new URL(http.url);
  for (const [name, value] of Object.entries(http.query)) url.searchParams.set(name, value);
  if (http.watermark && watermark !== null) {
    const millis = Date.parse(watermark);
    url.searchParams.set(http.watermark.param, formatWatermark(millis, http.watermark.format));
  }
  const pagination = http.pagination;
  if (pagination.kind === 'cursor' && resume) url.searchParams.set(pagination.param, resume);
  if (pagination.kind === 'page') {
    url.searchParams.set(pagination.param, resume ?? String(pagination.start));
    if (pagination.sizeParam && pagination.size) url.searchParams.set(pagination.sizeParam, String(pagination.size));
  }
  return url.toString();
}

/** Where to go after `page`, or null at the end. */
function nextResume(
  http: HttpSourceDeclaration,
  page: ApiPage,
  items: readonly unknown[],
  resume: string | null,
): string | null {
  const pagination = http.pagination;
  switch (pagination.kind) {
    case 'none':
      return null;
    case 'cursor': {
      const cursor = at(page.json, pagination.nextPath);
      return cursor === undefined || cursor === null || cursor === '' ? null : String(cursor);
    }
    case 'page': {
      if (items.length === 0 || (pagination.size !== undefined && items.length < pagination.size)) return null;
      return String(Number(resume ?? pagination.start) + 1);
    }
    case 'next_link': {
      const link = pagination.nextPath ? at(page.json, pagination.nextPath) : nextFromLinkHeader(page.headers.link);
      if (link === undefined || link === null || link === '') return null;
      const next = new URL(String(link), page.url);
      // The auth header goes with every request: never to another origin than the source's.
      if (next.origin !== new URL(http.url).origin) {
        throw new ValidationError(
          `the next link ${next} leaves ${new URL(http.url).origin}; refusing to send credentials there`,
        );
      }
      return next.toString();
    }
  }
}

/** Runs the connector for `dataset` until its last page, `maxPages`, or `deadline`. */
export async function pullHttpSource(
  dataset: CompiledDataset,
  deadline: number,
  deps: PullDependencies,
  /** The published version of the declaration (recorded in the manifest); null: the deployed one. */
  declarationVersion: number | null = null,
): Promise<PullReport> {
  const ingestion = ingestionOf(dataset.declaration);
  const http = ingestion.http;
  if (!http) throw new ValidationError(`dataset "${dataset.id}" declares no ingestion.http source`);
  const state = await deps.ledger.readWatermark(dataset.id);
  const headers = { ...http.headers, ...(await deps.authHeaders(http)) };
  const fetchPage = (url: string) => deps.api.get(url, headers, deadline);
  const traversal = new PageTraversal(dataset, http, state);
  // Every page is fetched before the batch is claimed: a run that cannot reach the API claims
  // nothing. The same pages again are the same content, so the same batch (nothing new is written).
  const first = await fetchPage(pageUrl(http, traversal.watermarkSent, traversal.startResume));

  let saved: WatermarkState | undefined;
  const result = await ingestBatch(
    {
      dataset,
      declarationVersion,
      connector: 'http',
      // A run is identified by its content, and stands for its starting point: a rerun from the same
      // point (the first run died before it saved its position) that fetched other pages supersedes
      // whatever the first run had committed, so no page is counted twice.
      replaces: `http:${traversal.watermarkSent ?? ''}:${traversal.startResume ?? ''}`,
      source: http.url,
      parts: traversal.parts(first, fetchPage),
      mode: 'partial',
      lateAfterMinutes: ingestion.lateAfterMinutes,
      observe: (batch) => traversal.observe(batch),
      beforeComplete: async () => {
        const next = traversal.stateAfter();
        await deps.ledger.saveWatermark(dataset.id, next);
        saved = next;
      },
    },
    deps,
  );
  if (traversal.failure) {
    const { pages, stoppedBecause } = traversal;
    throw new TransientError(`${dataset.id}: stopped after ${pages} page(s): ${stoppedBecause}`, {
      cause: traversal.failure,
    });
  }
  return pullReport(dataset, result, traversal, saved ?? null);
}

/**
 * One run's walk over the source's pages, from where the last run stopped: the pages it yields to
 * ingestion, how far it got, and the newest watermark value among their records.
 */
class PageTraversal {
  /** The watermark this traversal sends with every request (kept while it spans runs). */
  readonly watermarkSent: string | null;
  readonly startResume: string | null;
  pages = 0;
  /** Where the next page is, or null past the last. */
  resume: string | null;
  complete = false;
  stoppedBecause: string | null = null;
  /** A page that could not be fetched: what was fetched before it is committed, the next run resumes there. */
  failure: unknown;
  private newest: number;

  constructor(
    private readonly dataset: CompiledDataset,
    private readonly http: HttpSourceDeclaration,
    readonly state: WatermarkState,
  ) {
    this.watermarkSent = state.traversal
      ? state.traversal.watermarkSent
      : (state.watermark ?? http.watermark?.initial ?? null);
    this.startResume = state.traversal?.resume ?? null;
    this.resume = this.startResume;
    this.newest = state.traversal?.pendingWatermark
      ? Date.parse(state.traversal.pendingWatermark)
      : Number.NEGATIVE_INFINITY;
  }

  async *parts(first: ApiPage, fetchPage: (url: string) => Promise<ApiPage>): AsyncGenerator<IngestPart> {
    const http = this.http;
    let page: ApiPage | undefined = first;
    while (page) {
      const items = itemsOf(http, page);
      const next = nextResume(http, page, items, this.resume);
      this.pages += 1;
      yield this.partOf(page, items);
      this.resume = next;
      if (next === null) {
        this.complete = true;
        return;
      }
      if (this.pages >= (http.maxPages ?? 1000)) {
        this.stoppedBecause = `reached maxPages (${http.maxPages})`;
        return;
      }
      try {
        page = await fetchPage(pageUrl(http, this.watermarkSent, next));
      } catch (error) {
        this.failure = error;
        this.stoppedBecause = (error as Error).message;
        return;
      }
    }
  }

  /** Keeps the newest value of the watermark field among the records read. */
  observe(batch: RecordBatch): void {
    const field = this.http.watermark?.field;
    if (!field) return;
    for (const record of batch.records) {
      const value = record[field];
      if (typeof value === 'number' && value > this.newest) this.newest = value;
    }
  }

  /** The position to save: a new watermark once the traversal is complete, else where to resume. */
  stateAfter(): WatermarkState {
    const { state } = this;
    const seen = Number.isFinite(this.newest) ? new Date(this.newest).toISOString() : null;
    if (this.complete) return { watermark: maxIso(state.watermark, seen), traversal: null, version: state.version };
    return {
      watermark: state.watermark,
      traversal: {
        watermarkSent: this.watermarkSent,
        resume: this.resume ?? '',
        pendingWatermark: seen,
        pages: (state.traversal?.pages ?? 0) + this.pages,
      },
      version: state.version,
    };
  }

  private partOf(page: ApiPage, items: readonly unknown[]): IngestPart {
    return {
      origin: { source: this.http.url, file: page.url },
      bytes: (async function* () {
        if (items.length > 0) yield ENCODER.encode(`${items.map((item) => JSON.stringify(item)).join('\n')}\n`);
      })(),
      format: {
        type: 'ndjson',
        compression: 'none',
        encoding: 'utf-8',
        maxRowBytes: this.dataset.declaration.format.maxRowBytes,
      },
      uri: page.url,
    };
  }
}

function itemsOf(http: HttpSourceDeclaration, page: ApiPage): unknown[] {
  const items = at(page.json, http.itemsPath ?? '');
  if (!Array.isArray(items)) {
    throw new ValidationError(
      `${page.url}: expected an array of items at "${http.itemsPath || '(the page itself)'}", found ${items === undefined ? 'nothing' : typeof items}; check ingestion.http.itemsPath`,
    );
  }
  return items;
}

function pullReport(
  dataset: CompiledDataset,
  result: IngestResult,
  traversal: PageTraversal,
  saved: WatermarkState | null,
): PullReport {
  const counts = 'manifest' in result ? result.manifest.counts : undefined;
  return {
    dataset: dataset.id,
    status:
      result.status === 'ingested' && counts?.read === 0
        ? 'nothing_new'
        : result.status === 'ingested'
          ? 'ingested'
          : result.status === 'busy'
            ? 'busy'
            : 'duplicate',
    batchId: 'batchId' in result ? result.batchId : '',
    pages: traversal.pages,
    rowsRead: counts?.read ?? 0,
    rowsValid: counts?.valid ?? 0,
    rowsQuarantined: counts?.quarantined ?? 0,
    complete: saved ? saved.traversal === null : false,
    watermark: saved?.watermark ?? traversal.state.watermark,
    stoppedBecause: traversal.stoppedBecause,
  };
}

function maxIso(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

// Test support: in-memory ports for the ingestion use cases. The store keeps staged objects apart
// from visible ones, as S3 multipart uploads do; the ledger follows the DynamoDB adapter's rules.
import { gunzipSync } from 'node:zlib';
import { GzipStagedLines, GzipStagedMembers } from '../../src/adapters/gzip-lines';
import { ConflictError } from '../../src/domain/errors';
import type { CommitEntry, SourceHead } from '../../src/domain/ingest/commit-log';
import type {
  BatchAlias,
  BatchClaim,
  ClaimRequest,
  CompletionRequest,
  IngestLedger,
  RecomputeMark,
  WatermarkState,
} from '../../src/ports/ingest-ledger';
import type {
  IngestObjectStore,
  ObjectRef,
  StagedLines,
  StagedMembers,
  StagedObject,
  StorageArea,
} from '../../src/ports/object-store';
import type { RawCommitLog } from '../../src/ports/raw-commit-log';

export class InMemoryIngestStore implements IngestObjectStore {
  /** Visible objects by `area:key`. */
  readonly objects = new Map<string, Uint8Array>();
  /** Staged objects not committed or aborted. */
  readonly pending = new Set<string>();
  /** Calls to fail: `commit` fails on the nth commit (1-based). */
  failOnCommit: number | undefined;
  private commits = 0;

  bucket(area: StorageArea): string {
    return `${area}-bucket`;
  }

  stage(ref: ObjectRef, _contentType: string): StagedObject {
    const id = `${ref.area}:${ref.key}`;
    const chunks: Uint8Array[] = [];
    let state: 'open' | 'ended' | 'done' = 'open';
    this.pending.add(id);
    return {
      write: async (chunk) => {
        if (state !== 'open') throw new Error(`write after end: ${id}`);
        chunks.push(chunk);
      },
      end: async () => {
        state = 'ended';
      },
      commit: async () => {
        this.commits += 1;
        if (this.failOnCommit === this.commits) throw new Error(`storage failed on commit ${this.commits}`);
        if (state !== 'ended') throw new Error(`commit before end: ${id}`);
        this.objects.set(id, Buffer.concat(chunks));
        this.pending.delete(id);
        state = 'done';
      },
      abort: async () => {
        this.pending.delete(id);
        state = 'done';
      },
    };
  }

  stageLines(ref: ObjectRef): StagedLines {
    return new GzipStagedLines(this.stage(ref, 'application/x-ndjson'), {
      bucket: this.bucket(ref.area),
      key: ref.key,
    });
  }

  stageMembers(ref: ObjectRef): StagedMembers {
    return new GzipStagedMembers(this.stage(ref, 'application/x-ndjson'), {
      bucket: this.bucket(ref.area),
      key: ref.key,
    });
  }

  async put(ref: ObjectRef, body: string | Uint8Array): Promise<void> {
    this.objects.set(`${ref.area}:${ref.key}`, typeof body === 'string' ? Buffer.from(body) : Uint8Array.from(body));
  }

  async get(ref: ObjectRef): Promise<Uint8Array | null> {
    return this.objects.get(`${ref.area}:${ref.key}`) ?? null;
  }

  keys(area: StorageArea, prefix = ''): string[] {
    return [...this.objects.keys()]
      .filter((id) => id.startsWith(`${area}:${prefix}`))
      .map((id) => id.slice(area.length + 1))
      .sort();
  }

  /** The JSON lines of a gzip NDJSON object, or of one member of it (its byte range). */
  lines<T = Record<string, unknown>>(
    area: StorageArea,
    key: string,
    member?: { readonly offset?: number | undefined; readonly bytes: number },
  ): T[] {
    const whole = this.objects.get(`${area}:${key}`);
    if (!whole) throw new Error(`no object ${area}:${key}`);
    const offset = member?.offset;
    const bytes = offset === undefined ? whole : whole.subarray(offset, offset + (member?.bytes ?? 0));
    return gunzipSync(bytes)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T);
  }

  json<T>(area: StorageArea, key: string): T {
    const bytes = this.objects.get(`${area}:${key}`);
    if (!bytes) throw new Error(`no object ${area}:${key}`);
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  }
}

interface BatchItem {
  status: 'in_progress' | 'done' | 'released';
  aliasOf?: string;
  owner?: string;
  leaseUntil?: number;
  firstClaimedAt: number;
  attempt: number;
  completion?: CompletionRequest;
}

export class InMemoryIngestLedger implements IngestLedger {
  readonly batches = new Map<string, BatchItem>();
  readonly marks = new Map<string, RecomputeMark>();
  readonly watermarks = new Map<string, WatermarkState>();

  async claim(request: ClaimRequest): Promise<BatchClaim> {
    const id = `${request.dataset}/${request.batchId}`;
    const item = this.batches.get(id);
    if (item?.status === 'done') {
      const c = item.completion as CompletionRequest;
      return {
        kind: 'done',
        completedAt: c.completedAt,
        outcome: c.outcome,
        manifestKey: c.manifestKey,
        problems: c.problems,
        ...(c.declarationSha256 ? { declarationSha256: c.declarationSha256 } : {}),
      };
    }
    if (item?.status === 'in_progress' && (item.leaseUntil ?? 0) >= request.now) {
      return { kind: 'busy', leaseUntil: item.leaseUntil ?? 0 };
    }
    const next: BatchItem = {
      status: 'in_progress',
      owner: request.owner,
      leaseUntil: request.now + request.leaseMillis,
      firstClaimedAt: item?.firstClaimedAt ?? request.now,
      attempt: (item?.attempt ?? 0) + 1,
    };
    this.batches.set(id, next);
    return { kind: 'claimed', firstClaimedAt: next.firstClaimedAt, attempt: next.attempt };
  }

  async completed(dataset: string, batchIds: readonly string[]): Promise<Set<string>> {
    return new Set(batchIds.filter((id) => this.batches.get(`${dataset}/${id}`)?.status === 'done'));
  }

  async complete(request: CompletionRequest): Promise<void> {
    const item = this.batches.get(`${request.dataset}/${request.batchId}`);
    if (item?.owner !== request.owner) throw new ConflictError('not the owner');
    item.status = 'done';
    item.completion = request;
    delete item.owner;
    delete item.leaseUntil;
  }

  async release(dataset: string, batchId: string, owner: string): Promise<void> {
    const item = this.batches.get(`${dataset}/${batchId}`);
    if (item?.owner !== owner) return;
    item.status = 'released';
    delete item.owner;
    delete item.leaseUntil;
  }

  async alias(alias: BatchAlias): Promise<void> {
    const id = `${alias.dataset}/${alias.aliasId}`;
    if (this.batches.has(id)) return;
    this.batches.set(id, {
      status: 'done',
      aliasOf: alias.batchId,
      firstClaimedAt: alias.completedAt,
      attempt: 0,
      completion: {
        dataset: alias.dataset,
        batchId: alias.aliasId,
        owner: '',
        completedAt: alias.completedAt,
        outcome: alias.outcome,
        manifestKey: '',
        read: 0,
        valid: 0,
        quarantined: 0,
        problems: [],
      },
    });
  }

  async reopen(dataset: string, batchId: string, outcome: string): Promise<boolean> {
    const item = this.batches.get(`${dataset}/${batchId}`);
    if (item?.status !== 'done' || item.completion?.outcome !== outcome) return false;
    item.status = 'released';
    return true;
  }

  async markForRecompute(marks: readonly RecomputeMark[]): Promise<void> {
    for (const mark of marks) this.marks.set(`${mark.dataset}/${mark.periodStart}/${mark.batchId}`, mark);
  }

  async recomputeMarks(dataset: string, markedSince = Number.NEGATIVE_INFINITY): Promise<RecomputeMark[]> {
    return [...this.marks.values()]
      .filter((m) => m.dataset === dataset && m.markedAt >= markedSince)
      .sort((a, b) => a.periodStart - b.periodStart);
  }

  async readWatermark(dataset: string): Promise<WatermarkState> {
    return this.watermarks.get(dataset) ?? { watermark: null, traversal: null, version: 0 };
  }

  async saveWatermark(dataset: string, state: WatermarkState): Promise<void> {
    const current = this.watermarks.get(dataset)?.version ?? 0;
    if (current !== state.version) throw new ConflictError('watermark changed');
    this.watermarks.set(dataset, { ...state, version: state.version + 1 });
  }
}

/** The commit log as the DynamoDB adapter keeps it: entries put if absent, heads by stamp. */
export class InMemoryRawCommitLog implements RawCommitLog {
  readonly commits = new Map<string, CommitEntry>();
  readonly heads = new Map<string, SourceHead>();
  /** Called before every append, to let a test commit something in between. */
  beforeAppend: ((entry: CommitEntry) => Promise<void>) | undefined;

  async entries(dataset: string, fromDate: string | null, toDate: string): Promise<CommitEntry[]> {
    return [...this.commits.values()]
      .filter((e) => e.dataset === dataset && (fromDate === null || e.date >= fromDate) && e.date <= toDate)
      .sort((a, b) => (a.date === b.date ? a.version - b.version : a.date < b.date ? -1 : 1));
  }

  async versions(dataset: string, date: string): Promise<{ version: number; batchId: string }[]> {
    return (await this.entries(dataset, date, date)).map(({ version, batchId }) => ({ version, batchId }));
  }

  async append(entry: CommitEntry): Promise<boolean> {
    await this.beforeAppend?.(entry);
    const id = `${entry.dataset}/${entry.date}/${entry.version}`;
    if (this.commits.has(id)) return false;
    this.commits.set(id, structuredClone(entry));
    return true;
  }

  async readSource(dataset: string, source: string): Promise<SourceHead | null> {
    const head = this.heads.get(`${dataset}/${source}`);
    return head ? structuredClone(head) : null;
  }

  async writeSource(next: SourceHead): Promise<boolean> {
    const id = `${next.dataset}/${next.source}`;
    if ((this.heads.get(id)?.stamp ?? 0) !== next.stamp - 1) return false;
    this.heads.set(id, structuredClone(next));
    return true;
  }
}

export { ManualClock } from './manual-clock';

// AWS adapter: the definition store on the `definitions` table. Only single-item conditional writes:
// each change is a compare-and-set of one pointer item on its change sequence, which carries the new
// content; the immutable version and change-log items are then written put-if-absent from it, by
// the writer or, after a crash, by whoever reads the pointer next.
//
//   pk DEF#<id>  sk POINTER        gsi1pk KPI#<status>  gsi1sk <id>     the head: version in force
//   pk DEF#<id>  sk V#<00000001>                                         an immutable version
//   pk DEF#<id>  sk LOG#<00000001>                                       an immutable change
//   pk DEF#<id>  sk PROPOSAL#<pid>                                       a proposal (dynamodb-proposal-store.ts)
// Dataset declarations are versioned the same way under their own namespace (`DATASET#<id>`, gsi1pk
// `DATASET#<status>`; see dataset-declarations.ts), so a dataset and a KPI may share an id.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { DATASET_PARTITION_PREFIX } from '../../contracts/definitions-table';
import { ConflictError, ValidationError } from '../../domain/errors';
import { canonicalJson } from '../../domain/versioning/canonical-json';
import { contentHash } from '../../domain/versioning/content-hash';
import {
  type ChangeLogEntry,
  type DefinitionPointer,
  type DefinitionVersion,
  type IdentifiedDefinition,
  type PointerTransition,
  PROPOSAL_SOURCES,
  publishTransition,
  retireTransition,
  rollbackTransition,
} from '../../domain/versioning/definition-versions';
import {
  DefinitionIntegrityError,
  DefinitionNotFoundError,
  DefinitionVersionNotFoundError,
} from '../../domain/versioning/errors';
import type { Clock } from '../../ports/clock';
import type { ChangeAuthor, DefinitionState, DefinitionStore, PublishOutcome } from '../../ports/definition-store';
import { queryAll } from './dynamodb-query';

export interface DynamoDbDefinitionStoreOptions<T> {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /**
   * Validates a definition read back (the engine's schema); throws on anything else. `hash` is the
   * content hash `raw` has just been checked against.
   */
  readonly parse: (raw: unknown, hash: string) => T;
  /** Compare-and-set attempts before a change gives up with ConflictError. @default 60 */
  readonly maxAttempts?: number;
  /** Pause between attempts, given the attempt number. @default jittered, growing from 5 ms */
  readonly backoff?: (attempt: number) => Promise<void>;
  /** What is versioned: the partition (`<prefix><id>`) and status index (`<prefix><status>`) prefixes. @default KPI_NAMESPACE */
  readonly namespace?: DefinitionNamespace;
}

/** The key prefixes of one kind of versioned definition in the table. */
export interface DefinitionNamespace {
  readonly partition: string;
  readonly status: string;
}

export const KPI_NAMESPACE: DefinitionNamespace = { partition: 'DEF#', status: 'KPI#' };
export const DATASET_NAMESPACE: DefinitionNamespace = {
  partition: DATASET_PARTITION_PREFIX,
  status: DATASET_PARTITION_PREFIX,
};

const changeSchema = z.object({
  id: z.string(),
  seq: z.number().int().positive(),
  action: z.enum(['publish', 'rollback', 'retire']),
  fromVersion: z.number().int().positive().nullable(),
  toVersion: z.number().int().positive(),
  hash: z.string(),
  author: z.string(),
  reason: z.string(),
  at: z.number(),
  proposal: z.object({ id: z.string(), source: z.enum(PROPOSAL_SOURCES), evidence: z.string().nullable() }).optional(),
  approval: z
    .object({ id: z.string(), approver: z.string(), decidedAt: z.number(), reason: z.string().nullable() })
    .optional(),
});

const versionItemSchema = z.object({
  id: z.string(),
  version: z.number().int().positive(),
  hash: z.string(),
  body: z.string(),
  author: z.string(),
  reason: z.string(),
  publishedAt: z.number(),
});

const pointerItemSchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'retired']),
  activeVersion: z.number().int().positive(),
  activeHash: z.string(),
  activeBody: z.string(),
  latestVersion: z.number().int().positive(),
  changeSeq: z.number().int().positive(),
  lastChange: changeSchema,
  lastPublished: versionItemSchema.nullable(),
});

type VersionItem = z.infer<typeof versionItemSchema>;

/** The partition of a KPI's items. */
export const pk = (id: string) => `DEF#${id}`;
const versionSk = (version: number) => `V#${String(version).padStart(8, '0')}`;
const logSk = (seq: number) => `LOG#${String(seq).padStart(8, '0')}`;
const POINTER = 'POINTER';

/**
 * {@link DefinitionStore} on DynamoDB. Twenty concurrent publishes of one KPI get versions 1 to 20:
 * each attempt reads the pointer, computes the transition and writes it only if no one else moved
 * the pointer in between; the losers read again and retry.
 */
export class DynamoDbDefinitionStore<T extends IdentifiedDefinition> implements DefinitionStore<T> {
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly namespace: DefinitionNamespace;

  constructor(protected readonly options: DynamoDbDefinitionStoreOptions<T>) {
    this.maxAttempts = options.maxAttempts ?? 60;
    this.namespace = options.namespace ?? KPI_NAMESPACE;
    this.backoff =
      options.backoff ??
      ((attempt) =>
        new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)))));
  }

  /** The partition of a definition's items. */
  protected pk(id: string): string {
    return `${this.namespace.partition}${id}`;
  }

  async publish(definition: T, by: ChangeAuthor): Promise<PublishOutcome<T>> {
    const transition = await this.change(definition.id, true, (pointer, at) =>
      publishTransition(pointer, definition, { ...by, at }),
    );
    return { published: transition.newVersion as DefinitionVersion<T>, change: transition.change };
  }

  async rollback(id: string, toVersion: number, by: ChangeAuthor): Promise<ChangeLogEntry> {
    const target = await this.getVersion(id, toVersion);
    const transition = await this.change(id, false, (pointer, at) =>
      rollbackTransition(pointer as DefinitionPointer<T>, target, { ...by, at }),
    );
    return transition.change;
  }

  async retire(id: string, by: ChangeAuthor): Promise<ChangeLogEntry> {
    const transition = await this.change(id, false, (pointer, at) =>
      retireTransition(pointer as DefinitionPointer<T>, { ...by, at }),
    );
    return transition.change;
  }

  async get(id: string): Promise<DefinitionState<T> | null> {
    const pointer = await this.readPointer(id, false);
    return pointer ? this.state(pointer) : null;
  }

  async getVersion(id: string, version: number): Promise<DefinitionVersion<T>> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: this.pk(id), sk: versionSk(version) } }),
    );
    if (Item) return this.version(versionItemSchema.parse(Item));
    // Not written yet, or never: the pointer knows a version its writer could not store before a crash.
    const pointer = await this.readPointer(id, true);
    if (!pointer) throw new DefinitionNotFoundError(id);
    if (pointer.lastPublished?.version === version) {
      await this.materialize(pointer);
      return pointer.lastPublished;
    }
    throw new DefinitionVersionNotFoundError(id, version, pointer.latestVersion);
  }

  async versions(id: string): Promise<DefinitionVersion<T>[]> {
    const pointer = await this.readPointer(id, true);
    if (!pointer) throw new DefinitionNotFoundError(id);
    const latest = pointer.lastPublished ? versionSk(pointer.lastPublished.version) : null;
    const items = await this.itemsMaterialized(pointer, 'V#', latest);
    return items.map((item) => this.version(versionItemSchema.parse(item)));
  }

  async history(id: string): Promise<ChangeLogEntry[]> {
    const pointer = await this.readPointer(id, true);
    if (!pointer) throw new DefinitionNotFoundError(id);
    const items = await this.itemsMaterialized(pointer, 'LOG#', logSk(pointer.lastChange.seq));
    return items.map((item) => changeSchema.parse(item));
  }

  /**
   * The items of a definition under `prefix`, with `latest` among them: a writer stores the items
   * its pointer names right after the pointer, so they are missing only when it stopped in between;
   * then they are written here first (a read costs no write otherwise).
   */
  private async itemsMaterialized(
    pointer: DefinitionPointer<T>,
    prefix: string,
    latest: string | null,
  ): Promise<Record<string, unknown>[]> {
    const read = () =>
      this.query({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)' }, this.pk(pointer.id), prefix);
    const items = await read();
    if (latest === null || items.some((item) => item.sk === latest)) return items;
    await this.materialize(pointer);
    return read();
  }

  async list(status: 'active' | 'retired'): Promise<DefinitionState<T>[]> {
    const items = await queryAll(this.options.client, {
      TableName: this.options.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :status',
      ExpressionAttributeValues: { ':status': `${this.namespace.status}${status}` },
    });
    // The index is eventually consistent: keep only items whose status still says so.
    return items
      .map((item) => this.pointer(item))
      .filter((p) => p.status === status)
      .map((p) => this.state(p));
  }

  /** Reads the pointer, applies `transition`, and compare-and-sets it; retries when another writer won. */
  private async change(
    id: string,
    mayCreate: boolean,
    transition: (pointer: DefinitionPointer<T> | null, at: number) => PointerTransition<T>,
  ): Promise<PointerTransition<T>> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const pointer = await this.readPointer(id, true);
      if (!pointer && !mayCreate) throw new DefinitionNotFoundError(id);
      // Domain errors (unchanged content, retired KPI) come out of here and are not retried.
      const planned = transition(pointer, this.options.clock.now());
      if (pointer) await this.materialize(pointer);
      try {
        await this.put(this.pointerItem(planned.next), {
          ConditionExpression: pointer ? 'changeSeq = :seq' : 'attribute_not_exists(pk)',
          ...(pointer ? { ExpressionAttributeValues: { ':seq': pointer.changeSeq } } : {}),
        });
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // This very change, applied and sent again by the SDK once its answer was lost: done.
        if (!isOwnChange(await this.readPointer(id, true), planned.next.lastChange)) {
          await this.backoff(attempt);
          continue;
        }
      }
      await this.materialize(planned.next);
      return planned;
    }
    throw new ConflictError(`${id}: gave up after ${this.maxAttempts} attempts; too many concurrent changes`);
  }

  /** Writes the version and change-log items a pointer names, unless they are there already. */
  private async materialize(pointer: DefinitionPointer<T>): Promise<void> {
    const writes: Promise<void>[] = [
      this.putIfAbsent({ pk: this.pk(pointer.id), sk: logSk(pointer.lastChange.seq), ...pointer.lastChange }),
    ];
    if (pointer.lastPublished) {
      writes.push(
        this.putIfAbsent({
          pk: this.pk(pointer.id),
          sk: versionSk(pointer.lastPublished.version),
          ...this.versionItem(pointer.lastPublished),
        }),
      );
    }
    await Promise.all(writes);
  }

  private async putIfAbsent(item: Record<string, unknown>): Promise<void> {
    try {
      await this.put(item, { ConditionExpression: 'attribute_not_exists(pk)' });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  protected async put(item: Record<string, unknown>, extra: Partial<PutCommandInput>): Promise<void> {
    await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item: item, ...extra }));
  }

  private async readPointer(id: string, consistent: boolean): Promise<DefinitionPointer<T> | null> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: this.pk(id), sk: POINTER },
        ConsistentRead: consistent,
      }),
    );
    return Item ? this.pointer(Item) : null;
  }

  protected async query(
    input: Pick<QueryCommandInput, 'KeyConditionExpression'>,
    partition: string,
    prefix: string,
  ): Promise<Record<string, unknown>[]> {
    const items = await queryAll(this.options.client, {
      TableName: this.options.tableName,
      ...input,
      ExpressionAttributeValues: { ':pk': partition, ':v': prefix },
      ConsistentRead: true,
    });
    return items;
  }

  private pointerItem(pointer: DefinitionPointer<T>): Record<string, unknown> {
    return {
      pk: this.pk(pointer.id),
      sk: POINTER,
      gsi1pk: `${this.namespace.status}${pointer.status}`,
      gsi1sk: pointer.id,
      id: pointer.id,
      status: pointer.status,
      activeVersion: pointer.activeVersion,
      activeHash: pointer.activeHash,
      activeBody: canonicalJson(pointer.active),
      latestVersion: pointer.latestVersion,
      changeSeq: pointer.changeSeq,
      lastChange: pointer.lastChange,
      lastPublished: pointer.lastPublished ? this.versionItem(pointer.lastPublished) : null,
    };
  }

  private versionItem(version: DefinitionVersion<T>): VersionItem {
    return {
      id: version.id,
      version: version.version,
      hash: version.hash,
      body: canonicalJson(version.definition),
      author: version.author,
      reason: version.reason,
      publishedAt: version.publishedAt,
    };
  }

  private pointer(raw: Record<string, unknown>): DefinitionPointer<T> {
    const item = pointerItemSchema.parse(raw);
    return {
      id: item.id,
      status: item.status,
      activeVersion: item.activeVersion,
      activeHash: item.activeHash,
      active: this.body(item.id, item.activeBody, item.activeHash),
      latestVersion: item.latestVersion,
      changeSeq: item.changeSeq,
      lastChange: item.lastChange,
      lastPublished: item.lastPublished ? this.version(item.lastPublished) : null,
    };
  }

  private version(item: VersionItem): DefinitionVersion<T> {
    return {
      id: item.id,
      version: item.version,
      hash: item.hash,
      definition: this.body(item.id, item.body, item.hash),
      author: item.author,
      reason: item.reason,
      publishedAt: item.publishedAt,
    };
  }

  /** Parses a stored body after checking it is the content its hash names. */
  protected body(id: string, body: string, hash: string): T {
    const raw = JSON.parse(body) as unknown;
    if (contentHash(raw) !== hash) {
      throw new DefinitionIntegrityError(`${id}: stored content does not match its hash ${hash}`);
    }
    try {
      return this.options.parse(raw, hash);
    } catch (error) {
      throw new ValidationError(`${id}: stored definition no longer validates`, { cause: error });
    }
  }

  private state(pointer: DefinitionPointer<T>): DefinitionState<T> {
    return {
      id: pointer.id,
      status: pointer.status,
      version: pointer.activeVersion,
      hash: pointer.activeHash,
      definition: pointer.active,
      latestVersion: pointer.latestVersion,
      lastChange: pointer.lastChange,
    };
  }
}

/** Whether the pointer's last change is `change`: the same sequence number, action, content, author and instant. */
function isOwnChange(pointer: { readonly lastChange: ChangeLogEntry } | null, change: ChangeLogEntry): boolean {
  const last = pointer?.lastChange;
  return (
    last !== undefined &&
    last.seq === change.seq &&
    last.action === change.action &&
    last.toVersion === change.toVersion &&
    last.hash === change.hash &&
    last.author === change.author &&
    last.reason === change.reason &&
    last.at === change.at
  );
}

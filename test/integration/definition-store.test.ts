import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { datasetDeclarationStore, storedDeclaration } from '../../src/adapters/aws/dataset-declarations';
import { DynamoDbDefinitionAndProposalStore } from '../../src/adapters/aws/dynamodb-proposal-store';
import { loadDatasetFile } from '../../src/adapters/local/dataset-files';
import { ConflictError } from '../../src/domain/errors';
import { contentHash } from '../../src/domain/versioning/content-hash';
import {
  DefinitionIntegrityError,
  DefinitionNotFoundError,
  DefinitionStateError,
  DefinitionUnchangedError,
  DefinitionVersionNotFoundError,
} from '../../src/domain/versioning/errors';
import type { DefinitionProposal } from '../../src/domain/versioning/proposals';
import { LocalCloud } from '../../src/local/local-cloud';

const definitionSchema = z.object({ id: z.string().min(1), grain: z.string(), red: z.number() }).strict();
type Definition = z.infer<typeof definitionSchema>;

let cloud: LocalCloud;
let tableName: string;
let now = Date.UTC(2024, 5, 1);
const clock = { now: () => now++ };

function store(client = cloud.clients.dynamodb) {
  return new DynamoDbDefinitionAndProposalStore<Definition>({
    client,
    tableName,
    clock,
    parse: (raw) => definitionSchema.parse(raw),
  });
}

const by = (reason: string) => ({ author: 'maria@example.com', reason });

beforeAll(async () => {
  cloud = await LocalCloud.start();
  tableName = cloud.physicalName('DefinitionsTable');
});

afterAll(async () => {
  await cloud?.stop();
});

describe('DynamoDbDefinitionStore', () => {
  it('publishes version 1 and serves it as the active definition', async () => {
    const definitions = store();
    const { published } = await definitions.publish({ id: 'ctr', grain: 'day', red: 0.01 }, by('first'));
    expect(published).toMatchObject({ version: 1, author: 'maria@example.com', reason: 'first' });
    expect(await definitions.get('ctr')).toMatchObject({
      status: 'active',
      version: 1,
      hash: published.hash,
      definition: { id: 'ctr', grain: 'day', red: 0.01 },
    });
  });

  it('refuses to publish content identical to the active version', async () => {
    const definitions = store();
    await definitions.publish({ id: 'cac', grain: 'day', red: 120 }, by('first'));
    await expect(definitions.publish({ red: 120, grain: 'day', id: 'cac' }, by('again'))).rejects.toBeInstanceOf(
      DefinitionUnchangedError,
    );
    expect(await definitions.versions('cac')).toHaveLength(1);
  });

  it('gives 20 concurrent publishes of different content the versions 1 to 20, each once', async () => {
    const definitions = store();
    const contents = Array.from({ length: 20 }, (_, i) => ({ id: 'retry_rate', grain: 'hour', red: i / 100 }));
    const outcomes = await Promise.all(contents.map((c) => definitions.publish(c, by(`change ${c.red}`))));
    expect(outcomes.map((o) => o.published.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const versions = await definitions.versions('retry_rate');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(versions.map((v) => v.definition.red)).size).toBe(20);
    expect((await definitions.history('retry_rate')).map((c) => c.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('lets exactly one of 20 concurrent publishes of the same content through', async () => {
    const definitions = store();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        definitions.publish({ id: 'availability', grain: 'day', red: 0.99 }, by('same')),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(refused.every((e) => e instanceof DefinitionUnchangedError)).toBe(true);
  });

  it('rolls back by moving the pointer, keeping every version as it was', async () => {
    const definitions = store();
    await definitions.publish({ id: 'mttr', grain: 'day', red: 60 }, by('first'));
    await definitions.publish({ id: 'mttr', grain: 'day', red: 30 }, by('stricter'));
    const before = await definitions.versions('mttr');
    const change = await definitions.rollback('mttr', 1, by('too many alerts'));
    expect(change).toMatchObject({ action: 'rollback', fromVersion: 2, toVersion: 1 });
    expect(await definitions.get('mttr')).toMatchObject({ version: 1, latestVersion: 2, definition: { red: 60 } });
    expect(await definitions.versions('mttr')).toEqual(before);
  });

  it('keeps a change log of publishes, rollbacks and retirement, oldest first', async () => {
    const definitions = store();
    await definitions.publish({ id: 'bounce', grain: 'day', red: 0.5 }, by('first'));
    await definitions.publish({ id: 'bounce', grain: 'day', red: 0.6 }, by('looser'));
    await definitions.rollback('bounce', 1, by('back'));
    await definitions.retire('bounce', by('replaced by bounce_v2'));
    const history = await definitions.history('bounce');
    expect(history.map((c) => [c.seq, c.action, c.fromVersion, c.toVersion, c.reason])).toEqual([
      [1, 'publish', null, 1, 'first'],
      [2, 'publish', 1, 2, 'looser'],
      [3, 'rollback', 2, 1, 'back'],
      [4, 'retire', 1, 1, 'replaced by bounce_v2'],
    ]);
    expect(history.every((c, i) => i === 0 || c.at > (history[i - 1]?.at ?? 0))).toBe(true);
  });

  it('lists a retired KPI as retired and no longer as active', async () => {
    const definitions = store();
    await definitions.publish({ id: 'old_kpi', grain: 'day', red: 1 }, by('first'));
    await definitions.retire('old_kpi', by('unused'));
    expect((await definitions.list('active')).map((s) => s.id)).not.toContain('old_kpi');
    expect((await definitions.list('retired')).map((s) => s.id)).toContain('old_kpi');
  });

  it('refuses to roll back a retired KPI', async () => {
    const definitions = store();
    await definitions.publish({ id: 'gone', grain: 'day', red: 1 }, by('first'));
    await definitions.publish({ id: 'gone', grain: 'day', red: 2 }, by('second'));
    await definitions.retire('gone', by('unused'));
    await expect(definitions.rollback('gone', 1, by('undo'))).rejects.toBeInstanceOf(DefinitionStateError);
  });

  it('says which versions exist when asked for one that does not', async () => {
    const definitions = store();
    await definitions.publish({ id: 'sla', grain: 'day', red: 0.9 }, by('first'));
    await expect(definitions.rollback('sla', 7, by('undo'))).rejects.toThrow(DefinitionVersionNotFoundError);
    await expect(definitions.rollback('sla', 7, by('undo'))).rejects.toThrow(/versions 1 to 1 exist/);
  });

  it('reports a KPI that was never published as not found', async () => {
    await expect(store().history('nothing')).rejects.toBeInstanceOf(DefinitionNotFoundError);
    expect(await store().get('nothing')).toBeNull();
  });

  it('finishes a publish whose writer crashed after moving the pointer', async () => {
    const real = cloud.clients.dynamodb;
    // A client that loses the connection right after the pointer write: the version item never lands.
    const crashing = {
      send: (command: { input: { Item?: { sk?: string } } }) => {
        if (command.input.Item?.sk?.startsWith('V#')) return Promise.reject(new Error('connection reset'));
        return real.send(command as never);
      },
    } as unknown as typeof real;
    await expect(store(crashing).publish({ id: 'freshness', grain: 'hour', red: 3 }, by('first'))).rejects.toThrow(
      'connection reset',
    );
    const { Item } = await real.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'DEF#freshness', sk: 'V#00000001' } }),
    );
    expect(Item).toBeUndefined();
    const versions = await store().versions('freshness');
    expect(versions.map((v) => [v.version, v.definition.red])).toEqual([[1, 3]]);
  });

  it('finishes the change log of a writer that crashed after moving the pointer when the history is read', async () => {
    const real = cloud.clients.dynamodb;
    await store().publish({ id: 'halfway', grain: 'hour', red: 3 }, by('first'));
    // The second publish loses the connection right after the pointer write: its log item never lands.
    const crashing = {
      send: (command: { input: { Item?: { sk?: string } } }) => {
        if (command.input.Item?.sk === 'LOG#00000002') return Promise.reject(new Error('connection reset'));
        return real.send(command as never);
      },
    } as unknown as typeof real;
    await expect(store(crashing).publish({ id: 'halfway', grain: 'hour', red: 4 }, by('second'))).rejects.toThrow(
      'connection reset',
    );
    const history = await store().history('halfway');
    expect(history.map((entry) => entry.reason)).toEqual(['first', 'second']);
  });

  it('reads the history and the versions of a definition without writing', async () => {
    const real = cloud.clients.dynamodb;
    await store().publish({ id: 'readonly', grain: 'day', red: 1 }, by('first'));
    await store().publish({ id: 'readonly', grain: 'day', red: 2 }, by('second'));
    const writes: string[] = [];
    const send = real.send.bind(real);
    // Every command the store sends, seen on the real client (pagination needs a document client).
    real.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
      if (!/^(Get|Query|BatchGet)/.test(command.constructor.name)) writes.push(command.constructor.name);
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof real.send;
    try {
      expect((await store().history('readonly')).map((entry) => entry.reason)).toEqual(['first', 'second']);
      expect((await store().versions('readonly')).map((v) => v.definition.red)).toEqual([1, 2]);
    } finally {
      real.send = send;
    }
    expect(writes).toEqual([]);
  });

  it('refuses a stored version whose content no longer matches its hash', async () => {
    const definitions = store();
    await definitions.publish({ id: 'tampered', grain: 'day', red: 1 }, by('first'));
    await cloud.clients.dynamodb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: 'DEF#tampered', sk: 'V#00000001' },
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': '{"grain":"day","id":"tampered","red":2}' },
      }),
    );
    await expect(definitions.getVersion('tampered', 1)).rejects.toBeInstanceOf(DefinitionIntegrityError);
  });
});

describe('DynamoDbDefinitionStore proposals', () => {
  const proposal = (
    kpiId: string,
    id: string,
    red: number,
    createdAt: number,
    status: DefinitionProposal<Definition>['status'] = 'proposed',
  ): DefinitionProposal<Definition> => {
    const definition = { id: kpiId, grain: 'day', red };
    return {
      id,
      kpiId,
      source: 'calibration',
      status,
      createdAt,
      updatedAt: createdAt,
      author: 'calibration',
      reason: 'weekly calibration',
      baseVersion: 1,
      definition,
      hash: contentHash(definition),
      evidence: null,
      impact: { periods: 7, from: null, to: null, statusChanges: 2, violationsAppeared: 0, violationsDisappeared: 1 },
      approval: null,
      publishedVersion: null,
    };
  };

  it('stores a proposal once and reads it back with its definition and impact', async () => {
    const definitions = store();
    expect(await definitions.propose(proposal('bounce', 'cal-2024-w23', 0.3, Date.UTC(2024, 5, 3)))).toBe(true);
    expect(await definitions.propose(proposal('bounce', 'cal-2024-w23', 0.9, Date.UTC(2024, 5, 3)))).toBe(false);
    const read = await definitions.getProposal('bounce', 'cal-2024-w23');
    expect(read).toMatchObject({ status: 'proposed', definition: { red: 0.3 }, impact: { statusChanges: 2 } });
    expect(await definitions.getProposal('bounce', 'missing')).toBeNull();
  });

  it('lists the proposals of a KPI, and those in one status across KPIs, newest first', async () => {
    const definitions = store();
    await definitions.propose(proposal('leads', 'cal-a', 1, Date.UTC(2024, 6, 1)));
    await definitions.propose(proposal('leads', 'cal-b', 2, Date.UTC(2024, 6, 8)));
    await definitions.propose(proposal('spend', 'cal-c', 3, Date.UTC(2024, 6, 5), 'awaiting_approval'));
    expect((await definitions.listProposals({ kpiId: 'leads' })).map((p) => p.id)).toEqual(['cal-b', 'cal-a']);
    const awaiting = await definitions.listProposals({ status: 'awaiting_approval' });
    expect(awaiting.map((p) => [p.kpiId, p.id])).toEqual([['spend', 'cal-c']]);
    const recent = await definitions.listProposals({ status: 'proposed', since: Date.UTC(2024, 6, 2) });
    expect(recent.map((p) => p.id)).toEqual(['cal-b']);
  });

  it('moves a proposal forward only, and refuses a move its status does not allow', async () => {
    const definitions = store();
    await definitions.propose(proposal('handoff', 'change-1', 5, Date.UTC(2024, 7, 1), 'awaiting_approval'));
    const approval = { id: 'a1', decidedBy: 'lead@example.com', decidedAt: Date.UTC(2024, 7, 2), reason: 'fine' };
    const published = await definitions.updateProposal('handoff', 'change-1', {
      status: 'published',
      approval,
      publishedVersion: 4,
    });
    expect(published).toMatchObject({ status: 'published', approval, publishedVersion: 4 });
    expect((await definitions.listProposals({ status: 'published' })).map((p) => p.id)).toContain('change-1');
    expect((await definitions.listProposals({ status: 'awaiting_approval' })).map((p) => p.id)).not.toContain(
      'change-1',
    );
    await expect(definitions.updateProposal('handoff', 'change-1', { status: 'rejected' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('records the proposal, its evidence and the approver in the change log of a publish', async () => {
    const definitions = store();
    await definitions.publish({ id: 'reach', grain: 'day', red: 0.99 }, by('first'));
    const provenance = {
      proposal: { id: 'cal-1', source: 'calibration' as const, evidence: 'control limits over 56 days' },
      approval: { id: 'a2', approver: 'lead@example.com', decidedAt: Date.UTC(2024, 7, 3), reason: null },
    };
    await definitions.publish({ id: 'reach', grain: 'day', red: 0.98 }, { ...by('calibrated'), ...provenance });
    const changes = await definitions.history('reach');
    expect(changes.at(-1)).toMatchObject({ action: 'publish', toVersion: 2, ...provenance });
    expect((await definitions.get('reach'))?.lastChange).toMatchObject(provenance);
  });
});

describe('datasetDeclarationStore', () => {
  const file = new URL('../../kpis/datasets/crm_leads.yaml', import.meta.url).pathname;

  it('reads a published version with the content of a declaration validated already as that declaration, and validates any other', async () => {
    const { declaration } = await loadDatasetFile(file);
    const publisher = datasetDeclarationStore(cloud.clients.dynamodb, tableName, clock);
    await publisher.publish(storedDeclaration(declaration), by('as deployed'));
    const carried = datasetDeclarationStore(cloud.clients.dynamodb, tableName, clock, [declaration]);
    const first = await carried.get(declaration.id);
    const again = await carried.get(declaration.id);
    expect(first?.definition).toStrictEqual(storedDeclaration(declaration));
    // Not validated again: validation would give a new object at every read.
    expect(again?.definition).toBe(first?.definition);
    const plain = [await publisher.get(declaration.id), await publisher.get(declaration.id)];
    expect(plain[0]?.definition).toStrictEqual(storedDeclaration(declaration));
    expect(plain[1]?.definition).not.toBe(plain[0]?.definition);

    const changed = { ...storedDeclaration(declaration), description: 'Leads, one row per lead (changed).' };
    await publisher.publish(changed, by('a new description'));
    const reads = [await carried.get(declaration.id), await carried.get(declaration.id)];
    expect(reads[0]).toMatchObject({ version: 2, definition: changed });
    expect(reads[1]?.definition).not.toBe(reads[0]?.definition);
  });
});

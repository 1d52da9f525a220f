// Writes whose answer was lost, against the emulators: DynamoDB applied a conditional write, the
// answer timed out on the way back (the fault injector's `timeout-after`), and the same write is
// sent again, as the SDK's retry sends it. The retry fails its own condition; the adapters read the
// item back and take their own write as done, instead of reading it as another run's.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/aws/clients';
import { DynamoDbApprovalStore } from '../../src/adapters/aws/dynamodb-approval-store';
import { DynamoDbAutonomyControls } from '../../src/adapters/aws/dynamodb-autonomy-controls';
import { DynamoDbIngestLedger } from '../../src/adapters/aws/dynamodb-ingest-ledger';
import { DynamoDbKpiValueStore } from '../../src/adapters/aws/dynamodb-kpi-value-store';
import { commitRecordDay, DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { DynamoDbReviewStore } from '../../src/adapters/aws/dynamodb-review-store';
import { faultInjection } from '../../src/adapters/aws/fault-injection';
import { kpiDefinitionStore, storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { kpiDefinitionAndProposalStore } from '../../src/adapters/aws/kpi-proposals';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import type { CommitProposal, SourceHead } from '../../src/domain/ingest/commit-log';
import { contentHash } from '../../src/domain/versioning/content-hash';
import { LocalCloud } from '../../src/local/local-cloud';
import type { CompletionRequest } from '../../src/ports/ingest-ledger';
import { REPO_ROOT } from '../support/cli';
import { sampleValue } from '../support/kpi-values';
import { actionItem, driftCase } from '../support/review-fixtures';
import { violation } from '../support/violations';

let cloud: LocalCloud;
/** Clients that make one attempt per call, with the fault injector in their middleware. */
let clients: Pick<AwsClients, 'dynamodb'>;
let ledger: DynamoDbIngestLedger;
let log: DynamoDbRawCommitLog;
const NOW = Date.parse('2026-11-20T10:00:00Z');
const LEASE = 16 * 60_000;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  clients = await createAwsClients(
    { ...cloud.environment, AWS_MAX_ATTEMPTS: '1', AWS_FAULT_INJECTION: '{"rate":0}' },
    { services: ['dynamodb'] },
  );
  ledger = new DynamoDbIngestLedger(clients.dynamodb, cloud.physicalName('StateTable'));
  log = new DynamoDbRawCommitLog(clients.dynamodb, cloud.physicalName('StateTable'));
});

afterAll(async () => {
  await cloud?.stop();
});

afterEach(() => {
  faultInjection.setPlan({ rate: 0 });
});

/** Runs `write` once with its answer lost after DynamoDB applied it, then sends it again. */
async function sentTwice<T>(write: () => Promise<T>): Promise<T> {
  faultInjection.setPlan({ rate: 1, kinds: ['timeout-after'], timeoutMs: 1 });
  const first = await write().then(
    () => 'answered',
    (error: Error) => error.name,
  );
  faultInjection.setPlan({ rate: 0 });
  expect(first).toBe('TimeoutError');
  return write();
}

/**
 * A DynamoDB client that loses the answer of the first `command` it sends, after DynamoDB applied
 * it, and then, as the SDK does, sends the same request again (two attempts per call). Other
 * commands (the reads before a write) go through.
 */
async function clientLosingOneAnswer(command: string) {
  const { dynamodb } = await createAwsClients(
    { ...cloud.environment, AWS_MAX_ATTEMPTS: '2', AWS_FAULT_INJECTION: '{"rate":0}' },
    { services: ['dynamodb'] },
  );
  const lost = { sent: 0, answers: 0 };
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if ((context as { commandName?: string }).commandName === command && lost.sent++ === 0) {
        lost.answers += 1;
        throw Object.assign(new Error('socket timed out after the write was applied'), {
          name: 'TimeoutError',
          code: 'ETIMEDOUT',
        });
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'loseOneAnswer' },
  );
  return { dynamodb, lost };
}

const claimOf = (batchId: string, owner: string) => ({
  dataset: 'orders',
  batchId,
  owner,
  now: NOW,
  leaseMillis: LEASE,
});

const completionOf = (batchId: string, owner: string): CompletionRequest => ({
  dataset: 'orders',
  batchId,
  owner,
  completedAt: NOW + 60_000,
  outcome: 'ingested',
  manifestKey: `raw/_manifests/dataset=orders/date=2026-11-20/${batchId}.json`,
  read: 10,
  valid: 10,
  quarantined: 0,
  problems: [],
});

describe('the ingestion ledger', () => {
  it("takes a claim it made itself, whose answer was lost, as its own, and another run's claim as busy", async () => {
    const claim = await sentTwice(() => ledger.claim(claimOf('lost-claim', 'run-a')));
    expect(claim).toEqual({ kind: 'claimed', firstClaimedAt: NOW, attempt: 1 });
    expect(await ledger.claim(claimOf('lost-claim', 'run-b'))).toEqual({ kind: 'busy', leaseUntil: NOW + LEASE });
  });

  it('takes a completion it made itself, whose answer was lost, as done, and refuses one by a run that no longer holds the batch', async () => {
    await ledger.claim(claimOf('lost-completion', 'run-a'));
    await sentTwice(() => ledger.complete(completionOf('lost-completion', 'run-a')));
    expect(await ledger.completed('orders', ['lost-completion'])).toEqual(new Set(['lost-completion']));
    await expect(ledger.complete(completionOf('lost-completion', 'run-b'))).rejects.toThrow(
      'is no longer held by this run',
    );
  });

  it('takes a reopening it made itself, whose answer was lost, as made', async () => {
    await ledger.claim(claimOf('lost-reopen', 'run-a'));
    await ledger.complete({ ...completionOf('lost-reopen', 'run-a'), outcome: 'too_large' });
    expect(await sentTwice(() => ledger.reopen('orders', 'lost-reopen', 'too_large'))).toBe(true);
    expect(await ledger.claim(claimOf('lost-reopen', 'run-b'))).toMatchObject({ kind: 'claimed', attempt: 2 });
  });

  it('takes a watermark it saved itself, whose answer was lost, as saved, and one saved by another run as a conflict', async () => {
    const state = { watermark: '2026-11-20T09:00:00Z', traversal: null, version: 0 };
    await sentTwice(() => ledger.saveWatermark('orders', state));
    expect(await ledger.readWatermark('orders')).toEqual({ ...state, version: 1 });
    await expect(ledger.saveWatermark('orders', { ...state, watermark: '2026-11-20T09:30:00Z' })).rejects.toThrow(
      'was changed by another run',
    );
  });
});

describe('the raw commit log', () => {
  const proposal = (batchId: string): CommitProposal => ({
    dataset: 'orders',
    date: '2026-11-20',
    batchId,
    source: batchId,
    supersedes: [],
    objects: [
      {
        key: `raw/dataset=orders/date=2026-11-20/hour=09/${batchId}-0000.ndjson.gz`,
        hour: Date.parse('2026-11-20T09:00:00Z'),
        records: 3,
        bytes: 120,
        sha256: 'ab'.repeat(32),
        minEventTime: Date.parse('2026-11-20T09:05:00Z'),
        maxEventTime: Date.parse('2026-11-20T09:55:00Z'),
      },
    ],
    keysKey: null,
    keys: 0,
    manifestKey: `raw/_manifests/dataset=orders/date=2026-11-20/${batchId}.json`,
    committedAt: NOW,
  });

  it('commits a batch whose commit answer was lost once, under one version', async () => {
    // The put of the entry was applied; sent again, it finds its version taken (by itself)...
    expect(await sentTwice(() => log.append({ ...proposal('lost-commit'), version: 1 }))).toBe(false);
    // ...and the commit, asking again, finds the batch in the day's log: nothing more to write.
    expect(await commitRecordDay(log, proposal('lost-commit'))).toBe(false);
    const entries = await log.entries('orders', '2026-11-20', '2026-11-20');
    expect(entries.filter((entry) => entry.batchId === 'lost-commit').map((entry) => entry.version)).toEqual([1]);
  });

  it('commits a batch once when two attempts of it commit at the same time', async () => {
    const results = await Promise.all([
      commitRecordDay(log, proposal('racing-commit')),
      commitRecordDay(log, proposal('racing-commit')),
    ]);
    const entries = await log.entries('orders', '2026-11-20', '2026-11-20');
    expect(entries.filter((entry) => entry.batchId === 'racing-commit')).toHaveLength(1);
    expect(results.filter(Boolean)).toHaveLength(1);
    // What a commit reads: each entry's version and batch, by version, and nothing of other days.
    await commitRecordDay(log, { ...proposal('next-day'), date: '2026-11-21' });
    expect(await log.versions('orders', '2026-11-20')).toEqual(
      entries.map(({ version, batchId }) => ({ version, batchId })),
    );
    expect(await log.versions('orders', '2026-11-21')).toEqual([{ version: 1, batchId: 'next-day' }]);
  });

  it("takes a file's head it wrote itself, whose answer was lost, as written, and another writer's as moved", async () => {
    const head: SourceHead = {
      dataset: 'orders',
      source: 'landing/orders/daily.csv',
      current: null,
      committing: {
        batchId: 'b1',
        contentSha256: 'c1',
        revision: 1,
        days: [],
        owner: 'run-a',
        leaseUntil: NOW + LEASE,
      },
      stamp: 1,
    };
    expect(await sentTwice(() => log.writeSource(head))).toBe(true);
    const other = {
      batchId: 'b2',
      contentSha256: 'c2',
      revision: 1,
      days: [],
      owner: 'run-b',
      leaseUntil: NOW + LEASE,
    };
    expect(await log.writeSource({ ...head, committing: other })).toBe(false);
  });
});

describe('the autonomy controls', () => {
  it('take a mode change they wrote themselves, whose answer was lost, as written, and a stale one as lost', async () => {
    const subject = { kind: 'agent' as const, id: 'lost-agent' };
    const state = {
      baseMode: 'autonomous' as const,
      holds: ['approval-1'],
      version: 1,
      updatedAt: new Date(NOW).toISOString(),
      updatedBy: 'policy:highDecisionRequestsApproval',
      reason: 'held',
    };
    const losing = await clientLosingOneAnswer('PutItemCommand');
    expect(await new DynamoDbAutonomyControls(losing.dynamodb, 'AgentKpi-controls').write(subject, state)).toBe(true);
    expect(losing.lost).toEqual({ sent: 2, answers: 1 });
    const controls = new DynamoDbAutonomyControls(clients.dynamodb, 'AgentKpi-controls');
    expect(await controls.read(subject)).toEqual(state);
    // Another writer's first version, written after this one: not its own.
    expect(await controls.write(subject, { ...state, holds: [], reason: 'other' })).toBe(false);
  });
});

describe('the KPI value store', () => {
  it('writes under its lease when the answers of the take and the release are lost, and sees the values written once', async () => {
    // The SDK's own retries (five attempts), with every answer of a write lost once in a while.
    const retrying = await createAwsClients(
      { ...cloud.environment, AWS_MAX_ATTEMPTS: '5', AWS_FAULT_INJECTION: '{"rate":0}' },
      { services: ['dynamodb'] },
    );
    const store = new DynamoDbKpiValueStore({
      client: retrying.dynamodb,
      tableName: cloud.physicalName('ValuesTable'),
    });
    const values = Array.from({ length: 30 }, (_, i) =>
      sampleValue({ kpiId: 'lost_lease', dimensions: { campaign: `c${i}` } }),
    );
    faultInjection.setPlan({ rate: 0.4, kinds: ['timeout-after'], timeoutMs: 1, seed: 7 });
    const written = await store.write(values);
    faultInjection.setPlan({ rate: 0 });
    expect(written).toMatchObject({ created: 30, updated: 0 });
    expect(faultInjection.stats().injected['timeout-after']).toBeGreaterThan(0);
    // Written once: the same values again change nothing, and the lease was given back.
    expect(await store.write(values)).toMatchObject({ created: 0, updated: 0, unchanged: 30 });
  });
});

describe('the notices to KPI owners', () => {
  const notice = (noticeKey: string, claimId: string) => ({
    noticeKey,
    claimId,
    leaseSeconds: 180,
    expiresAtEpochSeconds: Math.floor(NOW / 1000) + 7 * 86_400,
  });
  const storeAt = (millis: number) => new DynamoDbApprovalStore(clients.dynamodb, 'AgentKpi-approvals', () => millis);

  it("takes a notice claim it made itself, whose answer was lost, as its own, and another delivery's as pending", async () => {
    const store = storeAt(NOW);
    expect(await sentTwice(() => store.claimOwnerNotice(notice('lost-notice', 'delivery-a')))).toBe('claimed');
    expect(await store.claimOwnerNotice(notice('lost-notice', 'delivery-b'))).toBe('pending');
    // Past the lease, a claim never marked sent is taken over by another delivery...
    expect(await storeAt(NOW + 181_000).claimOwnerNotice(notice('lost-notice', 'delivery-b'))).toBe('claimed');
    // ...and the first delivery, late, can neither mark it sent nor release it.
    await store.markOwnerNoticeSent('lost-notice', 'delivery-a');
    await store.releaseOwnerNotice('lost-notice', 'delivery-a');
    expect(await store.claimOwnerNotice(notice('lost-notice', 'delivery-a'))).toBe('pending');
  });

  it('answers sent to every delivery once the notice is marked sent, its own retries included, until it expires', async () => {
    const store = storeAt(NOW);
    expect(await store.claimOwnerNotice(notice('sent-notice', 'delivery-a'))).toBe('claimed');
    await sentTwice(() => store.markOwnerNoticeSent('sent-notice', 'delivery-a'));
    expect(await store.claimOwnerNotice(notice('sent-notice', 'delivery-a'))).toBe('sent');
    expect(await storeAt(NOW + 3_600_000).claimOwnerNotice(notice('sent-notice', 'delivery-b'))).toBe('sent');
    const forgotten = storeAt(NOW + 8 * 86_400_000);
    expect(await forgotten.claimOwnerNotice({ ...notice('sent-notice', 'delivery-c'), expiresAtEpochSeconds: 0 })).toBe(
      'claimed',
    );
  });

  it('frees a notice whose sending failed for a retry of the same delivery, not a notice another delivery took', async () => {
    const store = storeAt(NOW);
    expect(await store.claimOwnerNotice(notice('failed-notice', 'delivery-a'))).toBe('claimed');
    await sentTwice(() => store.releaseOwnerNotice('failed-notice', 'delivery-a'));
    expect(await store.claimOwnerNotice(notice('failed-notice', 'delivery-b'))).toBe('claimed');
    await store.releaseOwnerNotice('failed-notice', 'delivery-a');
    expect(await store.claimOwnerNotice(notice('failed-notice', 'delivery-a'))).toBe('pending');
  });
});

describe('the approval store', () => {
  async function storeLosingOneAnswer(millis: number) {
    const { dynamodb, lost } = await clientLosingOneAnswer('UpdateItemCommand');
    return { store: new DynamoDbApprovalStore(dynamodb, 'AgentKpi-approvals', () => millis), lost };
  }
  const storeAt = (millis: number) => new DynamoDbApprovalStore(clients.dynamodb, 'AgentKpi-approvals', () => millis);
  /** A pending request with two tiers, its first tier open until an hour after NOW. */
  async function pendingRequest(store: DynamoDbApprovalStore, approvalId: string): Promise<void> {
    await store.createRequest({
      approvalId,
      concernKey: `concern-${approvalId}`,
      violationKey: `violation-${approvalId}`,
      violation: violation({ kpi: { id: 'sla_adherence' } }),
      policy: { action: 'request_approval', rule: 'highDecisionRequestsApproval', reason: 'high', version: 1 },
      proposal: 'supervise',
      subject: { kind: 'agent', id: 'lead-router-1' },
      previousMode: 'autonomous',
      requestedAt: new Date(NOW).toISOString(),
      tiers: [
        { name: 'owners', emails: ['ana@example.com', 'bo@example.com'], deadlineMinutes: 60 },
        { name: 'leads', emails: ['lead@example.com'], deadlineMinutes: 60 },
      ],
      status: 'pending',
      currentTier: 0,
      tierDeadline: null,
      outcome: null,
      closedAt: null,
      executionArn: null,
    });
    await store.openTier(
      {
        approvalId,
        tier: 0,
        name: 'owners',
        approvers: ['ana@example.com', 'bo@example.com'],
        notifiedAt: new Date(NOW).toISOString(),
        deadline: new Date(NOW + 3_600_000).toISOString(),
      },
      'token-0',
    );
  }
  const outcomeOf = (approver: string, decision: 'approved' | 'rejected', at = NOW + 60_000) => ({
    decision,
    approver,
    reason: null,
    decidedAt: new Date(at).toISOString(),
    tier: 0,
  });

  it("takes a decision it recorded itself, whose answer was lost, as won, and a later one (another approver's, or its own click again) as lost", async () => {
    const store = storeAt(NOW + 60_000);
    const approvalId = '11111111-2222-4333-8444-000000000001';
    await pendingRequest(store, approvalId);
    const losing = await storeLosingOneAnswer(NOW + 60_000);
    const first = await losing.store.recordDecision(approvalId, outcomeOf('ana@example.com', 'approved'));
    expect(losing.lost).toEqual({ sent: 2, answers: 1 });
    expect(first).toMatchObject({
      won: true,
      request: { status: 'approved', outcome: { approver: 'ana@example.com' } },
    });
    const other = await store.recordDecision(approvalId, outcomeOf('bo@example.com', 'rejected'));
    expect(other).toMatchObject({
      won: false,
      request: { status: 'approved', outcome: { approver: 'ana@example.com' } },
    });
    // The same approver clicking again, a moment later, finds the decision made.
    expect(
      await store.recordDecision(approvalId, outcomeOf('ana@example.com', 'approved', NOW + 61_000)),
    ).toMatchObject({ won: false });
  });

  it('takes an escalation, an expiry and a failure it wrote itself, whose answers were lost, as won', async () => {
    const store = storeAt(NOW + 3_700_000);
    const escalated = '11111111-2222-4333-8444-000000000002';
    await pendingRequest(store, escalated);
    const escalating = await storeLosingOneAnswer(NOW + 3_700_000);
    expect(await escalating.store.closeTier(escalated, 0, 'escalate')).toMatchObject({
      won: true,
      request: { status: 'pending', currentTier: 1 },
    });
    // Tier 1 opens; its deadline set, a late close of tier 0 is not taken for the escalation.
    await store.openTier(
      {
        approvalId: escalated,
        tier: 1,
        name: 'leads',
        approvers: ['lead@example.com'],
        notifiedAt: new Date(NOW + 3_700_000).toISOString(),
        deadline: new Date(NOW + 7_300_000).toISOString(),
      },
      'token-1',
    );
    expect(await store.closeTier(escalated, 0, 'escalate')).toMatchObject({ won: false, request: { currentTier: 1 } });
    expect(escalating.lost).toEqual({ sent: 2, answers: 1 });
    expect(await (await storeLosingOneAnswer(NOW + 3_700_000)).store.markFailed(escalated)).toMatchObject({
      won: true,
      request: { status: 'failed' },
    });
    const expired = '11111111-2222-4333-8444-000000000003';
    await pendingRequest(store, expired);
    expect(await (await storeLosingOneAnswer(NOW + 3_700_000)).store.closeTier(expired, 0, 'expire')).toMatchObject({
      won: true,
      request: { status: 'expired' },
    });
    expect(await store.markFailed(expired)).toMatchObject({ won: false, request: { status: 'expired' } });
  });
});

describe('the definition store', () => {
  it('takes a publish and a rollback it made itself, whose answers were lost, as made, each once in the history', async () => {
    const table = cloud.physicalName('DefinitionsTable');
    const file = readDefinitionFiles([path.join(REPO_ROOT, 'kpis', 'definitions')]).definitions[1]
      ?.definition as KpiDefinition;
    const definition = storedDefinition({ ...file, id: 'lost_publish' });
    const by = { author: 'ops@example.com', reason: 'first' };
    const publishing = await clientLosingOneAnswer('PutItemCommand');
    const first = await kpiDefinitionStore(publishing.dynamodb, table, { now: () => NOW }).publish(definition, by);
    expect(publishing.lost).toMatchObject({ answers: 1 });
    expect(first.published.version).toBe(1);
    const store = kpiDefinitionStore(clients.dynamodb, table, { now: () => NOW + 1000 });
    const changed = storedDefinition({ ...file, id: 'lost_publish', name: `${file.name} (renamed)` });
    expect((await store.publish(changed, { ...by, reason: 'renamed' })).published.version).toBe(2);
    const rollingBack = await clientLosingOneAnswer('PutItemCommand');
    const rollback = await kpiDefinitionStore(rollingBack.dynamodb, table, { now: () => NOW + 2000 }).rollback(
      'lost_publish',
      1,
      { ...by, reason: 'back' },
    );
    expect(rollingBack.lost).toMatchObject({ answers: 1 });
    expect(rollback).toMatchObject({ action: 'rollback', toVersion: 1 });
    expect((await store.history('lost_publish')).map((entry) => [entry.seq, entry.action, entry.toVersion])).toEqual([
      [1, 'publish', 1],
      [2, 'publish', 2],
      [3, 'rollback', 1],
    ]);
  });
});

describe('the definition proposals', () => {
  it('takes a status change it made itself, whose answer was lost, as made, and a change since by another as a conflict', async () => {
    const table = cloud.physicalName('DefinitionsTable');
    const definition = readDefinitionFiles([path.join(REPO_ROOT, 'kpis', 'definitions')]).definitions[0]
      ?.definition as KpiDefinition;
    const proposal = {
      id: 'lost-proposal',
      kpiId: definition.id,
      source: 'publish' as const,
      status: 'awaiting_approval' as const,
      createdAt: NOW,
      updatedAt: NOW,
      author: 'ops@example.com',
      reason: 'tighter thresholds',
      baseVersion: 1,
      definition,
      hash: contentHash(definition),
      evidence: null,
      impact: null,
      approval: null,
      publishedVersion: null,
    };
    expect(await kpiDefinitionAndProposalStore(clients.dynamodb, table, { now: () => NOW }).propose(proposal)).toBe(
      true,
    );
    const { dynamodb, lost } = await clientLosingOneAnswer('UpdateItemCommand');
    const store = kpiDefinitionAndProposalStore(dynamodb, table, { now: () => NOW + 60_000 });
    expect(
      await store.updateProposal(definition.id, 'lost-proposal', { status: 'published', publishedVersion: 2 }),
    ).toMatchObject({
      status: 'published',
      updatedAt: NOW + 60_000,
      publishedVersion: 2,
    });
    expect(lost).toEqual({ sent: 2, answers: 1 });
    // Moved on meanwhile by another caller: a conflict, not taken for this one's own.
    const other = kpiDefinitionAndProposalStore(clients.dynamodb, table, { now: () => NOW + 120_000 });
    await expect(other.updateProposal(definition.id, 'lost-proposal', { status: 'rejected' })).rejects.toThrow(
      /cannot become rejected/,
    );
  });
});

describe('the review store', () => {
  it('takes a sign-off it recorded itself, whose answer was lost, as recorded, and a later one by the same reviewer as not', async () => {
    const store = new DynamoDbReviewStore(clients.dynamodb, cloud.physicalName('ReviewsTable'));
    const signOff = {
      reviewId: 'weekly-operational/2026-W48',
      kind: 'weekly-operational' as const,
      period: '2026-W48',
      reviewer: 'ops-lead@example.com',
      signedAt: '2026-11-30T09:00:00.000Z',
      note: 'looked at every red',
    };
    expect(await sentTwice(() => store.recordSignOff(signOff))).toEqual({ recorded: true, signOff });
    const later = await store.recordSignOff({ ...signOff, signedAt: '2026-11-30T10:00:00.000Z' });
    expect(later).toEqual({ recorded: false, signOff });
  });
  it('takes the closing of an action item and the decision of a case it wrote itself, whose answers were lost, as its own', async () => {
    const store = new DynamoDbReviewStore(clients.dynamodb, cloud.physicalName('ReviewsTable'));
    await store.addActionItem(actionItem({ itemId: 'lost-close' }));
    const closing = { closedAt: '2026-11-30T10:00:00.000Z', closedBy: 'data-eng@example.com', closingNote: 'done' };
    // These read the item before the write: the write is applied, then the same call comes again, as a
    // retried request does once its answer was lost.
    expect(await store.closeActionItem('lost-close', closing)).toMatchObject({ won: true });
    expect(await store.closeActionItem('lost-close', closing)).toMatchObject({ won: true });
    expect(
      await store.closeActionItem('lost-close', { ...closing, closedAt: '2026-11-30T11:00:00.000Z' }),
    ).toMatchObject({ won: false, item: { closedAt: closing.closedAt } });
    const caseId = 'lost_case/2026-11-10T00:00:00.000Z';
    await store.openCase(driftCase({ caseId, kpiId: 'lost_case' }));
    const decision = {
      option: 'explain' as const,
      note: 'a new bidding model',
      by: 'ops-lead@example.com',
      at: '2026-11-30T10:00:00.000Z',
      reviewId: 'weekly-operational/2026-W48',
    };
    expect(await store.closeCase(caseId, decision)).toMatchObject({ won: true });
    expect(await store.closeCase(caseId, decision)).toMatchObject({ won: true });
    expect(await store.closeCase(caseId, { ...decision, at: '2026-11-30T11:00:00.000Z' })).toMatchObject({
      won: false,
    });
  });
});

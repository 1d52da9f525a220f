import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbReviewStore } from '../../src/adapters/aws/dynamodb-review-store';
import { S3ReviewPacks } from '../../src/adapters/aws/s3-review-packs';
import { LocalCloud } from '../../src/local/local-cloud';
import type { PackRecord } from '../../src/ports/review-store';
import { actionItem, driftCase } from '../support/review-fixtures';

let cloud: LocalCloud;
let store: DynamoDbReviewStore;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  store = new DynamoDbReviewStore(cloud.clients.dynamodb, cloud.physicalName('ReviewsTable'));
});

afterAll(async () => {
  await cloud?.stop();
});

function pack(period: string): PackRecord {
  return {
    reviewId: `weekly-operational/${period}`,
    kind: 'weekly-operational',
    period,
    asOf: '2026-11-23T08:00:00.000Z',
    htmlKey: `reviews/weekly-operational/${period}/pack.html`,
    jsonKey: `reviews/weekly-operational/${period}/pack.json`,
    audience: ['ops-lead@example.com'],
    headline: '1 new red',
  };
}

describe('DynamoDbReviewStore', () => {
  it('records a pack once and finds the previous one of its kind', async () => {
    expect(await store.recordPack(pack('2026-W46'))).toBe(true);
    expect(await store.recordPack(pack('2026-W47'))).toBe(true);
    expect(await store.recordPack(pack('2026-W47'))).toBe(false);
    expect((await store.previousPack('weekly-operational', '2026-W47'))?.period).toBe('2026-W46');
    expect(await store.previousPack('weekly-operational', '2026-W46')).toBeUndefined();
    expect(await store.previousPack('monthly-business', '2026-11')).toBeUndefined();
    expect(await store.getPack('weekly-operational', '2026-W47')).toEqual(pack('2026-W47'));
  });

  it('keeps the first sign-off of a reviewer and lists every reviewer once', async () => {
    const signOff = {
      reviewId: 'weekly-operational/2026-W47',
      kind: 'weekly-operational' as const,
      period: '2026-W47',
      reviewer: 'ops-lead@example.com',
      signedAt: '2026-11-23T09:00:00.000Z',
      note: 'looked at every red',
    };
    expect(await store.recordSignOff(signOff)).toEqual({ recorded: true, signOff });
    const again = await store.recordSignOff({ ...signOff, signedAt: '2026-11-23T10:00:00.000Z', note: 'again' });
    expect(again).toEqual({ recorded: false, signOff });
    await store.recordSignOff({ ...signOff, reviewer: 'cmo@example.com', note: null });
    expect((await store.listSignOffs('weekly-operational', '2026-W47')).map((s) => s.reviewer)).toEqual([
      'cmo@example.com',
      'ops-lead@example.com',
    ]);
  });

  it('lists open action items by due day, closes one exactly once and finds it among those closed in a range', async () => {
    await store.addActionItem(actionItem({ itemId: 'late', due: '2026-11-30' }));
    await store.addActionItem(actionItem({ itemId: 'early', due: '2026-11-25' }));
    expect(await store.addActionItem(actionItem({ itemId: 'early' }))).toBe(false);
    expect((await store.listOpenActionItems()).map((i) => i.itemId)).toEqual(['early', 'late']);

    const closing = { closedAt: '2026-11-24T10:00:00.000Z', closedBy: 'data-eng@example.com', closingNote: 'done' };
    const first = await store.closeActionItem('early', closing);
    expect(first.won).toBe(true);
    expect(first.item).toMatchObject({ status: 'closed', closingNote: 'done' });
    const second = await store.closeActionItem('early', { ...closing, closingNote: 'twice' });
    expect(second).toMatchObject({ won: false, item: { closingNote: 'done' } });
    expect((await store.listOpenActionItems()).map((i) => i.itemId)).toEqual(['late']);
    const range = { from: '2026-11-24T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' };
    expect((await store.listClosedActionItems(range)).map((i) => i.itemId)).toEqual(['early']);
    expect(await store.listClosedActionItems({ from: range.to, to: '2026-12-01T00:00:00.000Z' })).toEqual([]);
  });

  it('opens a case once per episode, grows it while open and closes it with a decision once', async () => {
    expect(await store.openCase(driftCase())).toBe(true);
    expect(await store.openCase(driftCase())).toBe(false);
    expect(await store.extendCase(driftCase({ lastPeriod: '2026-11-15T00:00:00.000Z', periods: 5 }))).toBe(true);
    expect(await store.getCase('bid_latency_p95/2026-11-10T00:00:00.000Z')).toMatchObject({ periods: 5 });
    expect((await store.listOpenCases()).map((c) => c.caseId)).toEqual(['bid_latency_p95/2026-11-10T00:00:00.000Z']);

    const decision = {
      option: 'explain' as const,
      note: 'a new bidding model rolled out',
      by: 'ops-lead@example.com',
      at: '2026-11-23T09:10:00.000Z',
      reviewId: 'weekly-operational/2026-W47',
    };
    expect((await store.closeCase('bid_latency_p95/2026-11-10T00:00:00.000Z', decision)).won).toBe(true);
    // Another decision later (the same one sent again is a retry of this write: see lost-answers.test.ts).
    const later = { ...decision, option: 'recalibrate_target' as const, at: '2026-11-23T09:11:00.000Z' };
    expect(await store.closeCase('bid_latency_p95/2026-11-10T00:00:00.000Z', later)).toMatchObject({
      won: false,
      driftCase: { decision: { option: 'explain' } },
    });
    expect(await store.extendCase(driftCase({ periods: 9 }))).toBe(false);
    expect(await store.listOpenCases()).toEqual([]);
    const closed = await store.listClosedCases({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-24T00:00:00.000Z' });
    expect(closed.map((c) => [c.caseId, c.status, c.decision?.option])).toEqual([
      ['bid_latency_p95/2026-11-10T00:00:00.000Z', 'closed', 'explain'],
    ]);
    expect((await store.listCasesOfKpi('bid_latency_p95')).map((c) => c.periods)).toEqual([5]);
  });

  it('keeps notes in the order they were left', async () => {
    const note = { reviewId: 'weekly-operational/2026-W47', reviewer: 'cmo@example.com', note: 'see the CRM lag' };
    await store.addNote({ ...note, at: '2026-11-23T11:00:00.000Z' });
    await store.addNote({ ...note, at: '2026-11-23T10:00:00.000Z', note: 'first' });
    expect((await store.listNotes(note.reviewId)).map((n) => n.note)).toEqual(['first', 'see the CRM lag']);
  });
});

describe('S3ReviewPacks', () => {
  it('writes a pack under reviews/<kind>/<period>/ and reads its JSON back', async () => {
    const packs = new S3ReviewPacks(cloud.clients.s3, cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket'));
    expect(await packs.readJson('monthly-business', '2026-10')).toBeUndefined();
    await packs.write('monthly-business', '2026-10', { html: '<!doctype html><p>pack</p>', json: '{"a":1}' });
    expect(await packs.readJson('monthly-business', '2026-10')).toBe('{"a":1}');
    expect(packs.location('monthly-business', '2026-10').html).toMatch(
      /^s3:\/\/agentkpi-snapshots-.+\/reviews\/monthly-business\/2026-10\/pack\.html$/,
    );
  });
});

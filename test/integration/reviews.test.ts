// The review stage end to end on the local cloud: the weekly schedule fires the synthesized review
// function, which builds the pack from the stores (dynalite, fauxqs S3) and sends each reviewer a
// link on SNS; the link is followed over loopback HTTP through the page API; a sign-off with a note,
// an action item and a case decision are posted and land in the reviews table and the audit trail;
// the next week's pack carries the open item over.
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmacSigner } from '../../src/adapters/crypto/hmac-link-signer';
import { reviewLinkSigningPayload, reviewLinkUrl } from '../../src/domain/reviews/review-link';
import { LocalCloud } from '../../src/local/local-cloud';
import type { ReviewDocument } from '../../src/report/review-pack';
import { LocalReviews, lastWeeklyRun, type ReviewerEmail, submit } from '../support/local-reviews';

const DAY = 86_400_000;
let cloud: LocalCloud;
let reviews: LocalReviews;
const at = lastWeeklyRun(Date.now());
let reviewId: string;
let email: ReviewerEmail;

beforeAll(async () => {
  cloud = await LocalCloud.start();
  reviews = await LocalReviews.attach(cloud);
  await reviews.seedWeek(at);
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

async function readPack(id: string): Promise<ReviewDocument> {
  const [kind, period] = id.split('/') as ['weekly-operational', string];
  return JSON.parse((await reviews.packs.readJson(kind, period)) ?? 'null') as ReviewDocument;
}

const auditOf = async (id: string) =>
  (
    await reviews.audit.byTime({
      from: new Date(at - 30 * DAY).toISOString(),
      to: new Date(Date.now() + DAY).toISOString(),
    })
  ).filter((e) => e.reviewId === id);

describe('the weekly review on the local cloud', () => {
  it('builds the pack when the schedule fires and writes it to S3 as a page and as JSON', async () => {
    const result = await reviews.fire('weekly-operational', at);
    expect(result).toMatchObject({ outcome: 'built', notified: 1, casesOpened: 1 });
    reviewId = result.reviewId;
    expect(reviewId).toMatch(/^weekly-operational\/\d{4}-W\d{2}$/);
    const bucket = cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket');
    const { Contents = [] } = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `reviews/${reviewId}/` }),
    );
    expect(Contents.map((o) => o.Key?.split('/').at(-1)).sort()).toEqual(['pack.html', 'pack.json']);
    const html = await (
      await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `reviews/${reviewId}/pack.html` }))
    ).Body?.transformToString();
    expect(html).toContain('What changed');
    expect(html).not.toContain('<form');
  });

  it('says what changed: the new red, the drift, the restatement, the decided approval and the data-quality incidents', async () => {
    const { pack } = await readPack(reviewId);
    expect(pack.changes.newReds.map((r) => r.kpiId)).toEqual(['sla_adherence']);
    expect(pack.changes.newDrifts.map((d) => [d.kpiId, d.periods])).toEqual([['sla_adherence', 2]]);
    expect(pack.changes.restatements).toEqual([
      expect.objectContaining({
        kpiId: 'sla_adherence',
        previous: expect.objectContaining({ value: 0.97, status: 'green' }),
        current: expect.objectContaining({ value: 0.91, status: 'yellow' }),
        why: 'late or corrected input data',
      }),
    ]);
    expect(pack.changes.approvals.map((a) => [a.event, a.agentContinued])).toEqual([
      ['asked', null],
      ['decided', false],
    ]);
    expect(pack.governance.guardrailPrecision).toBe(1);
    expect(pack.changes.dataQuality.freshnessBreaches.map((b) => [b.dataset, b.worstLagMinutes])).toEqual([
      ['crm_leads', 370],
    ]);
    expect(pack.changes.dataQuality.quarantineSpikes.map((s) => [s.dataset, s.reason])).toEqual([
      ['web_sessions', 'invalid_boolean'],
    ]);
    expect(pack.cases.map((c) => [c.kpiId, c.periods, c.checklist.inputs.map((i) => i.dataset)])).toEqual([
      ['sla_adherence', 2, ['agent_events']],
    ]);
    expect(pack.scorecard.map((e) => e.kpiId).sort()).toEqual([
      'data_freshness',
      'guardrail_violations',
      'sla_adherence',
    ]);
  });

  it('says which KPI turned at risk, with its probability of red and horizon, and holds the calibration proposals', async () => {
    const { pack, report } = await readPack(reviewId);
    const sla = pack.scorecard.find((e) => e.kpiId === 'sla_adherence');
    expect(sla).toMatchObject({ status: 'at_risk', redProbability: 0.68 });
    expect(pack.changes.statusTransitions).toEqual([
      expect.objectContaining({ kpiId: 'sla_adherence', from: 'green', to: 'at_risk', redProbability: 0.68 }),
    ]);
    expect(pack.changes.newAtRisks).toEqual([
      expect.objectContaining({ kpiId: 'sla_adherence', periods: 1, value: 0.96, redProbability: 0.68 }),
    ]);
    expect(pack.changes.newAtRisks[0]?.horizon).toBe(sla?.horizon);
    expect(
      pack.changes.proposals.map((p) => [
        p.proposalId,
        p.status,
        p.state,
        p.current,
        p.proposed,
        p.approval?.by ?? null,
      ]),
    ).toEqual([
      ['calibration-held', 'awaiting_approval', 'open', 'green 0.95, yellow 0.9', 'green 0.96, yellow 0.9', null],
      ['calibration-rejected', 'rejected', 'decided', null, 'green 0.9, yellow 0.8', 'cmo@example.com'],
    ]);
    expect(pack.changes.proposals[0]?.evidenceLines).toEqual([
      'Impact on 28 stored periods: 3 change status, 1 violations would appear, 0 disappear',
    ]);
    // The report part of the pack lists the same proposals.
    expect(report.proposals.map((p) => p.id)).toEqual(['calibration-held', 'calibration-rejected']);
    expect(pack.cases[0]?.kpiId).toBe('sla_adherence');
  });

  it('emails each reviewer their own signed, expiring link to the pack page', async () => {
    const emails = await reviews.emails();
    expect(emails.map((e) => [e.reviewer, e.reviewId])).toEqual([['ops-lead@example.com', reviewId]]);
    email = emails[0] as ReviewerEmail;
    expect(email.subject).toMatch(
      /^Weekly operational review \d{4}-W\d{2}: 1 new red, 1 newly at risk, 1 new drift, 1 restatement/,
    );
    expect(email.message).toContain('- newly at risk: sla_adherence (68 % chance of red)');
    expect(email.message).toContain('- calibration proposals: 1 held for approval, 0 for review, 1 decided');
    expect(email.link).toMatch(
      /\/reviews\/weekly-operational\/\d{4}-W\d{2}\?reviewer=ops-lead%40example\.com&expires=\d+&sig=/,
    );
  });

  it('shows the pack with the form to the reviewer, under a policy that allows its own scripts only', async () => {
    const response = await fetch(email.link);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'sha256-[^']+' 'sha256-[^']+';/);
    expect(policy).toContain("form-action 'self'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await response.text();
    expect(page).toContain('<form method="post" id="review-form">');
    expect((await auditOf(reviewId)).map((e) => e.type)).toContain('review_viewed');
  });

  it('records a sign-off with a note, an action item and a case decision, each audited and in the governance records', async () => {
    const { pack } = await readPack(reviewId);
    const caseId = pack.cases[0]?.caseId ?? '';
    const due = new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10);
    const response = await submit(email.link, {
      signOff: 'yes',
      note: 'SLA red traced to the CRM lag',
      'item0.what': 'Alert on CRM feed lag above an hour',
      'item0.owner': 'data-eng@example.com',
      'item0.due': due,
      'item0.kpi': 'data_freshness',
      [`case.${caseId}`]: 'explain',
      [`caseNote.${caseId}`]: 'CRM outage, not the agent',
    });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Signed off with your note.');
    expect(page).toContain('Action item for data-eng@example.com');
    expect(page).toContain('Closed the drift case on Lead handoff SLA adherence: explain.');

    expect(
      (await reviews.store.listSignOffs('weekly-operational', reviewId.split('/')[1] ?? '')).map((s) => s.note),
    ).toEqual(['SLA red traced to the CRM lag']);
    const [item] = await reviews.store.listOpenActionItems();
    expect(item).toMatchObject({ owner: 'data-eng@example.com', due, kpiId: 'data_freshness', reviewId });
    expect((await reviews.store.getCase(caseId))?.decision).toMatchObject({
      option: 'explain',
      by: 'ops-lead@example.com',
    });

    const types = (await auditOf(reviewId)).map((e) => e.type);
    for (const type of ['review_signed_off', 'action_item_opened', 'review_case_closed', 'review_case_opened']) {
      expect(types).toContain(type);
    }
    const raw = cloud.physicalName('RawBucket', 'AWS::S3::Bucket');
    const { Contents = [] } = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket: raw, Prefix: 'raw/dataset=pipeline_governance/' }),
    );
    const records = await Promise.all(
      Contents.map(async (o) => {
        const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: raw, Key: o.Key }));
        return JSON.parse(
          gunzipSync(await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).toString(),
        );
      }),
    );
    expect(records.find((r) => r.type === 'review_signed_off')).toMatchObject({
      review_id: reviewId,
      review_kind: 'weekly-operational',
      actor: 'reviewer:ops-lead@example.com',
    });
  });

  it('keeps the first sign-off and refuses a form with problems, recording nothing', async () => {
    const again = await (await submit(email.link, { signOff: 'yes' })).text();
    expect(again).toContain('You signed this pack off already');
    const refused = await submit(email.link, { 'item0.what': 'no owner', 'item0.due': '2020-01-01' });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('new action item 1: the owner must be an email address');
    expect(page).toContain('is in the past');
    expect(await reviews.store.listOpenActionItems()).toHaveLength(1);
  });

  it('refuses a tampered or expired link and changes nothing', async () => {
    const tampered = email.link.replace('ops-lead%40example.com', 'cmo%40example.com');
    expect((await fetch(tampered)).status).toBe(403);
    expect((await submit(tampered, { signOff: 'yes' })).status).toBe(403);

    const secretArn = String(
      cloud.functions.list().find((f) => f.environment.REVIEW_KIND === 'weekly-operational')?.environment
        .LINK_KEY_SECRET_ARN,
    );
    const signer = createHmacSigner(async () => ({
      current: String(
        (await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString,
      ),
    }));
    const [kind, period] = reviewId.split('/') as ['weekly-operational', string];
    const claims = { kind, period, reviewer: 'ops-lead@example.com', expiresAt: Math.floor(Date.now() / 1000) - 60 };
    const expired = reviewLinkUrl(
      new URL(email.link).origin,
      claims,
      await signer.sign(reviewLinkSigningPayload(claims)),
    );
    expect((await fetch(expired)).status).toBe(410);
    const posted = await submit(expired, { note: 'too late' });
    expect(posted.status).toBe(410);
    expect(await posted.text()).toContain('This link has expired');
    expect(await reviews.store.listNotes(reviewId)).toEqual([]);
  });

  it('does nothing when the same schedule fires again', async () => {
    expect((await reviews.fire('weekly-operational', at)).outcome).toBe('exists');
    expect(await reviews.emails()).toEqual([]);
  });

  it('carries the open action item into the next pack, with who signed the previous one', async () => {
    const next = await reviews.fire('weekly-operational', at + 7 * DAY);
    expect(next.outcome).toBe('built');
    const { pack } = await readPack(next.reviewId);
    expect(pack.previous).toMatchObject({ reviewId, notSignedBy: [] });
    expect(pack.previous?.signOffs.map((s) => s.reviewer)).toEqual(['ops-lead@example.com']);
    expect(pack.actionItems.open).toEqual([
      expect.objectContaining({ what: 'Alert on CRM feed lag above an hour', carried: true, overdue: false }),
    ]);
    expect(pack.cases.map((c) => [c.status, c.decision?.option])).toEqual([['closed', 'explain']]);
    await reviews.emails();
  });

  it('audits a sign-off found without its event (the page died between the two) when the reviewer comes back', async () => {
    const later = await reviews.fire('weekly-operational', at + 14 * DAY);
    expect(later.outcome).toBe('built');
    const [laterEmail] = await reviews.emails();
    const [kind, period] = later.reviewId.split('/') as ['weekly-operational', string];
    const signedAt = new Date(at + 14 * DAY + 3_600_000).toISOString();
    await reviews.store.recordSignOff({
      reviewId: later.reviewId,
      kind,
      period,
      reviewer: 'ops-lead@example.com',
      signedAt,
      note: 'signed before the page died',
    });
    await reviews.store.addActionItem({
      itemId: 'closed-before-the-page-died',
      reviewId: later.reviewId,
      what: 'Check the CRM feed',
      owner: 'data-eng@example.com',
      due: '2030-01-01',
      kpiId: null,
      openedAt: signedAt,
      openedBy: 'ops-lead@example.com',
      status: 'open',
      closedAt: null,
      closedBy: null,
      closingNote: null,
    });
    const closing = { closedAt: signedAt, closedBy: 'ops-lead@example.com', closingNote: 'fixed' };
    await reviews.store.closeActionItem('closed-before-the-page-died', closing);
    const page = await (
      await submit(laterEmail?.link ?? '', { signOff: 'yes', close: 'closed-before-the-page-died' })
    ).text();
    expect(page).toContain('You signed this pack off already');
    expect(page).toContain('was closed already by ops-lead@example.com');
    const events = await reviews.audit.byTime({
      from: new Date(at).toISOString(),
      to: new Date(at + 30 * DAY).toISOString(),
    });
    const signedOff = events.filter((e) => e.reviewId === later.reviewId && e.type === 'review_signed_off');
    const closed = events.filter((e) => e.itemId === 'closed-before-the-page-died' && e.type === 'action_item_closed');
    expect(closed).toEqual([expect.objectContaining({ occurredAt: signedAt, reason: 'fixed' })]);
    expect(signedOff).toEqual([
      expect.objectContaining({
        occurredAt: signedAt,
        reason: 'signed before the page died',
        actor: 'reviewer:ops-lead@example.com',
      }),
    ]);
  });
});

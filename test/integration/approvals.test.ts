// The guardrail stage end to end on the local cloud: the intake function, the synthesized approval
// state machine in the local Step Functions, SNS through fauxqs, the approval page over loopback
// HTTP, DynamoDB through dynalite and the governance records in the raw bucket.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFunctionsApprovalWorkflow } from '../../src/adapters/aws/sfn-approval-workflow';
import { createHmacLinkSigner } from '../../src/adapters/crypto/hmac-link-signer';
import { approvalLinkUrl } from '../../src/domain/guardrails/approval-link';
import type { ViolationInput } from '../../src/domain/guardrails/violation';
import { LocalCloud } from '../../src/local/local-cloud';
import { createAutonomyReader } from '../../src/sdk/autonomy';
import { setAutonomyMode } from '../../src/usecases/guardrails/change-autonomy';
import { launchBrowser } from '../support/browser';
import { decide, LocalApprovals, tamper, view } from '../support/local-approvals';
import { BASE_VIOLATION } from '../support/violations';

const TIERS = [
  { name: 'kpi-owners', emails: ['ana@example.com', 'ben@example.com'], deadlineMinutes: 60 },
  { name: 'marketing-ops-leads', emails: ['lead@example.com'], deadlineMinutes: 240 },
];

let cloud: LocalCloud;
let approvals: LocalApprovals;

beforeAll(async () => {
  cloud = await LocalCloud.start({ context: { agentKpiPipeline: { approverTiers: TIERS } } });
  approvals = await LocalApprovals.attach(cloud);
});

afterAll(async () => {
  await cloud?.stop();
});

/** A violation governing its own agent, so that tests never share a concern. */
function violationFor(agentId: string, overrides: Partial<ViolationInput> = {}): ViolationInput {
  return {
    ...BASE_VIOLATION,
    dimensions: { agent: agentId },
    governs: { agentId, useCase: 'lead_handoff' },
    ...overrides,
  };
}

const agent = (id: string) => ({ kind: 'agent', id }) as const;

describe('guardrail intake', () => {
  it('tells the KPI owner on SNS about a low-level violation and asks nobody', async () => {
    const { outcomes } = await approvals.intake([violationFor('owner-only', { levelOfDecision: 'low' })]);
    expect(outcomes.map((o) => o.result)).toEqual(['owner_notified']);
    const notices = await approvals.ownerNotices();
    expect(notices.map((n) => n.attributes.owner)).toContain('revops@example.com');
  });
});

describe('approval requests', () => {
  it('sends each approver of the first tier a link of their own that carries no task token', async () => {
    const approvalId = await approvals.open(violationFor('own-links'));
    const emails = await approvals.emails(approvalId, 0, 2);
    const token = await approvals.waitingToken(approvalId);
    expect(emails.map((e) => e.approver).sort()).toEqual(['ana@example.com', 'ben@example.com']);
    expect(emails.map((e) => new URL(e.link).searchParams.get('approver')).sort()).toEqual([
      'ana@example.com',
      'ben@example.com',
    ]);
    for (const email of emails) expect(`${email.subject}${email.message}`).not.toContain(token);
  });

  it('shows the KPI, its value against the target, the trend, the proposal, the approvers and the deadline on GET', async () => {
    const approvalId = await approvals.open(violationFor('context-page'));
    const { link } = await approvals.email(approvalId, 0, 'ana@example.com');
    const page = await view(link);
    expect(page.status).toBe(200);
    for (const text of [
      'Lead handoff cycle time (p95) is red for agent context-page',
      '7.4 min',
      'target 5 min',
      'Trend of the last 4 periods',
      'Supervise agent context-page',
      'ben@example.com',
      'marketing-ops-leads',
      'id="deadline"',
    ]) {
      expect(page.html).toContain(text);
    }
  });

  it('changes nothing when a link is only opened, as a mail scanner does', async () => {
    const approvalId = await approvals.open(violationFor('scanned'));
    const { link } = await approvals.email(approvalId, 0, 'ana@example.com');
    await view(link);
    await view(link);
    expect((await approvals.request(approvalId))?.status).toBe('pending');
    expect(approvals.execution(approvalId).status).toBe('RUNNING');
    expect(await approvals.mode(agent('scanned'))).toBe('autonomous');
  });

  it('serves the page uncached, unframeable and under a strict content security policy', async () => {
    const approvalId = await approvals.open(violationFor('headers'));
    const { headers } = await view((await approvals.email(approvalId, 0, 'ana@example.com')).link);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('decisions', () => {
  it('approving through the link finishes the execution and supervises the agent', async () => {
    const approvalId = await approvals.open(violationFor('approved'));
    const { link } = await approvals.email(approvalId, 0, 'ana@example.com');
    const answer = await decide(link, 'approve', 'p95 is far over the SLA');
    const execution = await approvals.execution(approvalId).done;
    expect(answer.status).toBe(200);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.map((h) => h.state)).toEqual(['RecordRequest', 'NotifyApprovers', 'ApplyDecision']);
    expect(await approvals.mode(agent('approved'))).toBe('supervised');
  });

  it('rejecting resumes the workflow through a task failure and leaves the agent autonomous', async () => {
    const approvalId = await approvals.open(violationFor('rejected'));
    const { link } = await approvals.email(approvalId, 0, 'ben@example.com');
    await decide(link, 'reject', 'campaign launch, expected');
    const execution = await approvals.execution(approvalId).done;
    expect(execution.history.find((h) => h.state === 'NotifyApprovers')?.detail).toContain('ApprovalRejected');
    expect(execution.status).toBe('SUCCEEDED');
    expect(await approvals.mode(agent('rejected'))).toBe('autonomous');
  });

  it('records who decided, when and why, queryable by KPI and by agent', async () => {
    const approvalId = await approvals.open(violationFor('audited'));
    await decide((await approvals.email(approvalId, 0, 'ben@example.com')).link, 'reject', 'known outage');
    await approvals.execution(approvalId).done;
    const byAgent = await approvals.audit.bySubject('agent#audited', {
      from: '2000-01-01T00:00:00.000Z',
      to: '2100-01-01T00:00:00.000Z',
    });
    expect(byAgent.map((e) => e.type)).toEqual([
      'violation_received',
      'approval_requested',
      'approvers_notified',
      'decision_recorded',
    ]);
    expect(byAgent.find((e) => e.type === 'decision_recorded')).toMatchObject({
      actor: 'approver:ben@example.com',
      decision: 'rejected',
      reason: 'known outage',
      falseAlarm: true,
    });
  });

  it('supervises at once on a critical violation and restores autonomy when the restore is approved', async () => {
    const approvalId = await approvals.open(violationFor('critical', { levelOfDecision: 'critical' }));
    const supervisedAtOnce = await approvals.mode(agent('critical'));
    await decide((await approvals.email(approvalId, 0, 'ana@example.com')).link, 'approve', 'fixed upstream');
    await approvals.execution(approvalId).done;
    expect({ supervisedAtOnce, after: await approvals.mode(agent('critical')) }).toEqual({
      supervisedAtOnce: 'supervised',
      after: 'autonomous',
    });
  });

  it('lets agents read their mode through the autonomy reader', async () => {
    const approvalId = await approvals.open(violationFor('reader'));
    await decide((await approvals.email(approvalId, 0, 'ana@example.com')).link, 'approve');
    await approvals.execution(approvalId).done;
    const reader = createAutonomyReader({ tableName: 'AgentKpi-controls', dynamodb: cloud.clients.dynamodb });
    expect(await reader.modeFor({ agentId: 'reader', useCase: 'lead_handoff' })).toBe('supervised');
  });

  it('writes the governance events as pipeline_governance records in the raw layout of ingestion', async () => {
    const approvalId = await approvals.open(violationFor('governance-records'));
    await decide((await approvals.email(approvalId, 0, 'ana@example.com')).link, 'approve');
    await approvals.execution(approvalId).done;
    const Bucket = 'agentkpi-raw-000000000000-us-east-1';
    const { Contents = [] } = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'raw/dataset=pipeline_governance/date=' }),
    );
    const records = await Promise.all(
      Contents.map(async ({ Key }) => {
        const object = await cloud.clients.s3.send(new GetObjectCommand({ Bucket, Key }));
        const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        return JSON.parse(gunzipSync(bytes).toString('utf8')) as Record<string, unknown>;
      }),
    );
    const ofApproval = records.filter((r) => r.approval_id === approvalId);
    expect(ofApproval.map((r) => r.type).sort()).toEqual([
      'approval_requested',
      'approvers_notified',
      'autonomy_changed',
      'decision_recorded',
    ]);
    expect(ofApproval.find((r) => r.type === 'decision_recorded')).toMatchObject({
      decision: 'approved',
      false_alarm: false,
      occurred_at: expect.any(Number),
      agent_id: 'governance-records',
    });
  });
});

describe('operators', () => {
  it('restore an agent an approval supervised by setting its mode as an operator (kpi autonomy set), audited with their reason', async () => {
    const approvalId = await approvals.open(violationFor('restored'));
    await decide((await approvals.email(approvalId, 0, 'ana@example.com')).link, 'approve');
    await approvals.execution(approvalId).done;
    // What `kpi autonomy set` runs (the command itself is tested on the local deployment in cli-local-deployment).
    const change = await setAutonomyMode(
      { subject: { kind: 'agent', id: 'restored' }, mode: 'autonomous', operator: 'ops-ana', reason: 'SLA back' },
      { controls: approvals.controls, audit: approvals.audit, clock: { now: () => Date.now() } },
    );
    const changes = (
      await approvals.audit.bySubject('agent#restored', { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' })
    ).filter((e) => e.type === 'autonomy_changed');
    expect(change).toMatchObject({ from: 'supervised', to: 'autonomous' });
    expect(changes.at(-1)).toMatchObject({ actor: 'operator:ops-ana', reason: 'SLA back', toMode: 'autonomous' });
  });
});

describe('deadlines', () => {
  it('escalates to the next tier with fresh links, and the first tier link no longer decides', async () => {
    const approvalId = await approvals.open(violationFor('escalated'));
    const first = await approvals.email(approvalId, 0, 'ana@example.com');
    await approvals.expireTier(approvalId);
    const second = await approvals.email(approvalId, 1, 'lead@example.com');
    expect((await decide(first.link, 'approve')).status).toBe(410);
    expect((await decide(second.link, 'approve', 'escalated, agreed')).status).toBe(200);
    await approvals.execution(approvalId).done;
    expect((await approvals.request(approvalId))?.outcome).toMatchObject({ approver: 'lead@example.com', tier: 1 });
  });

  it('takes the safe default after the last tier: the agent is supervised, and that is audited', async () => {
    const approvalId = await approvals.open(violationFor('unanswered'));
    await approvals.email(approvalId, 0, 'ana@example.com');
    await approvals.expireTier(approvalId);
    await approvals.email(approvalId, 1, 'lead@example.com');
    await approvals.expireTier(approvalId);
    const execution = await approvals.execution(approvalId).done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.at(-1)?.state).toBe('ApplySafeDefault');
    expect(await approvals.mode(agent('unanswered'))).toBe('supervised');
    expect((await approvals.auditOf(BASE_VIOLATION.kpi.id, approvalId)).map((e) => e.type)).toEqual(
      expect.arrayContaining(['tier_timed_out', 'escalated', 'safe_default_applied']),
    );
  });

  it('answers a callback on a timed-out task token with token_expired', async () => {
    const approvalId = await approvals.open(violationFor('late-callback'));
    await approvals.email(approvalId, 0, 'ana@example.com');
    const token = await approvals.waitingToken(approvalId);
    await approvals.expireTier(approvalId);
    const workflow = new StepFunctionsApprovalWorkflow(cloud.clients.sfn, undefined);
    const outcome = {
      decision: 'approved',
      approver: 'ana@example.com',
      reason: null,
      decidedAt: new Date().toISOString(),
      tier: 0,
    } as const;
    expect(await workflow.resume(token, approvalId, outcome)).toBe('token_expired');
  });
});

describe('attacks on approval links', () => {
  async function pending(agentId: string) {
    const approvalId = await approvals.open(violationFor(agentId));
    const { link } = await approvals.email(approvalId, 0, 'ana@example.com');
    return { approvalId, link };
  }

  async function unchanged(approvalId: string) {
    return {
      status: (await approvals.request(approvalId))?.status,
      execution: approvals.execution(approvalId).status,
    };
  }

  it('refuses a forged signature with a clear page and changes nothing', async () => {
    const { approvalId, link } = await pending('forged');
    const answer = await decide(tamper(link, { sig: 'A'.repeat(43) }), 'approve');
    expect(answer.status).toBe(403);
    expect(answer.html).toContain('This link is not valid');
    expect(await unchanged(approvalId)).toEqual({ status: 'pending', execution: 'RUNNING' });
  });

  it('refuses a link whose approver, tier or expiry was changed', async () => {
    const { approvalId, link } = await pending('tampered');
    const later = String(Number(new URL(link).searchParams.get('expires')) + 7 * 86_400);
    const statuses = [];
    const changes: Record<string, string>[] = [{ approver: 'ben@example.com' }, { tier: '1' }, { expires: later }];
    for (const change of changes) {
      statuses.push((await decide(tamper(link, change), 'approve')).status);
    }
    expect(statuses).toEqual([403, 403, 403]);
    expect(await unchanged(approvalId)).toEqual({ status: 'pending', execution: 'RUNNING' });
  });

  it('refuses a genuine signature moved onto another approval', async () => {
    const { link } = await pending('moved-from');
    const other = await pending('moved-to');
    const moved = link.replace(/approvals\/[^?]+/, `approvals/${other.approvalId}`);
    expect((await decide(moved, 'approve')).status).toBe(403);
    expect(await unchanged(other.approvalId)).toEqual({ status: 'pending', execution: 'RUNNING' });
  });

  it('refuses an expired link signed with the real key, and changes nothing', async () => {
    const { approvalId } = await pending('expired');
    const secretArn = cloud.functions.get('approval-page').environment.LINK_KEY_SECRET_ARN ?? '';
    const { SecretString = '' } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const signer = createHmacLinkSigner(async () => ({ current: SecretString }));
    const claims = { approvalId, approver: 'ana@example.com', tier: 0, expiresAt: Math.floor(Date.now() / 1000) - 60 };
    const link = approvalLinkUrl(cloud.httpApis.url('GuardrailsPageApi'), claims, await signer.sign(claims));
    const answer = await decide(link, 'approve');
    expect(answer.status).toBe(410);
    expect(answer.html).toContain('This link has expired');
    expect(await unchanged(approvalId)).toEqual({ status: 'pending', execution: 'RUNNING' });
  });

  it('refuses a replayed decision and keeps the first one', async () => {
    const { approvalId, link } = await pending('replayed');
    await decide(link, 'approve');
    const replay = await decide(link, 'reject');
    expect(replay.status).toBe(409);
    expect(replay.html).toContain('You decided this request already');
    expect((await approvals.request(approvalId))?.status).toBe('approved');
  });

  it('records exactly one decision when fifty POSTs race on one approval', async () => {
    const approvalId = await approvals.open(violationFor('fifty'));
    const links = (await approvals.emails(approvalId, 0, 2)).map((e) => e.link);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        decide(links[i % 2] ?? '', i % 3 === 0 ? 'reject' : 'approve', `click ${i}`),
      ),
    );
    const execution = await approvals.execution(approvalId).done;
    const decisions = (await approvals.auditOf(BASE_VIOLATION.kpi.id, approvalId)).filter(
      (e) => e.type === 'decision_recorded',
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(49);
    expect(decisions).toHaveLength(1);
    expect(execution.history.filter((h) => h.state === 'ApplyDecision')).toHaveLength(1);
  });
});

describe('approval page in headless Chromium', () => {
  let browser: Browser;
  const artifacts = path.resolve('test/artifacts');

  beforeAll(async () => {
    browser = await launchBrowser();
    mkdirSync(artifacts, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the context of a link, records the click on Approve and lets the execution finish', async () => {
    const approvalId = await approvals.open(violationFor('browser'));
    const { link } = await approvals.email(approvalId, 0, 'ana@example.com');
    const page = await browser.newPage({ viewport: { width: 430, height: 932 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(link);
    expect(await page.locator('h1').textContent()).toBe('Lead handoff cycle time (p95) is red for agent browser');
    expect(await page.locator('#value').textContent()).toBe('7.4 min');
    expect(await page.locator('#target').textContent()).toContain('target 5 min');
    expect(await page.locator('svg.trend polyline').count()).toBe(1);
    expect(await page.locator('#proposal').textContent()).toContain('Supervise agent browser');
    expect(await page.locator('#tiers').textContent()).toContain('ben@example.com');
    await page.screenshot({ path: path.join(artifacts, 'approval-page.png'), fullPage: true });

    await page.locator('#reason').fill('Handoffs are stalling; a person should confirm each one.');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForSelector('text=Your decision is recorded');
    await page.screenshot({ path: path.join(artifacts, 'approval-recorded.png'), fullPage: true });
    await page.close();

    const execution = await approvals.execution(approvalId).done;
    expect(execution.status).toBe('SUCCEEDED');
    expect((await approvals.request(approvalId))?.outcome).toMatchObject({
      approver: 'ana@example.com',
      reason: 'Handoffs are stalling; a person should confirm each one.',
    });
    expect(problems).toEqual([]);
  });
});

// The approval page's use cases against every way a link can be misused.
import { describe, expect, it } from 'vitest';
import { AuditBudget } from '../../../src/domain/guardrails/audit-budget';
import { decideApproval, type PageClient, viewApproval } from '../../../src/usecases/guardrails/approval-page';
import { closeTier } from '../../../src/usecases/guardrails/approval-steps';
import { linkInput, openApproval } from '../../support/approval-flow';
import { guardrailWorld } from '../../support/guardrail-fakes';
import { violation } from '../../support/violations';

const approve = { decision: 'approved', reason: 'p95 is over SLA' } as const;

async function opened() {
  const world = guardrailWorld();
  const { approvalId, links } = await openApproval(world, violation());
  const ana = linkInput(links['ana@example.com'] ?? '');
  const ben = linkInput(links['ben@example.com'] ?? '');
  return { world, approvalId, ana, ben };
}

function tampered(link: ReturnType<typeof linkInput>, query: Record<string, string>) {
  return { ...link, query: { ...link.query, ...query } };
}

describe('viewing an approval link', () => {
  it('shows the open request to the approver the link was sent to', async () => {
    const { world, ana } = await opened();
    const page = await viewApproval(ana, world);
    expect(page.kind).toBe('open');
  });

  it('records the first view of each approver and nothing else', async () => {
    const { world, ana, approvalId } = await opened();
    await viewApproval(ana, world);
    await viewApproval(ana, world);
    expect(world.audit.types().filter((t) => t === 'approval_viewed')).toHaveLength(1);
    expect((await world.approvals.getRequest(approvalId))?.status).toBe('pending');
  });

  it('shows a forged link as invalid', async () => {
    const { world, ana } = await opened();
    const page = await viewApproval(tampered(ana, { sig: 'A'.repeat(43) }), world);
    expect(page.kind).toBe('invalid');
  });
});

describe('deciding through an approval link', () => {
  it('records the decision and resumes the waiting workflow with its token', async () => {
    const { world, ana, approvalId } = await opened();
    const page = await decideApproval(ana, approve, world);
    expect(page).toMatchObject({ kind: 'recorded', resumed: 'resumed' });
    expect(world.workflow.resumed).toEqual([
      { taskToken: 'token-0', approvalId, outcome: expect.objectContaining({ approver: 'ana@example.com' }) },
    ]);
  });

  it('refuses a link whose approver was changed', async () => {
    const { world, ana } = await opened();
    expect((await decideApproval(tampered(ana, { approver: 'ben@example.com' }), approve, world)).kind).toBe('invalid');
  });

  it('refuses a link whose expiry was pushed back', async () => {
    const { world, ana } = await opened();
    const later = String(Number(ana.query.expires) + 86_400);
    expect((await decideApproval(tampered(ana, { expires: later }), approve, world)).kind).toBe('invalid');
  });

  it('refuses a link whose tier was changed', async () => {
    const { world, ana } = await opened();
    expect((await decideApproval(tampered(ana, { tier: '1' }), approve, world)).kind).toBe('invalid');
  });

  it('refuses a signed link pointed at another approval', async () => {
    const { world, ana } = await opened();
    const other = { ...ana, approvalId: '00000000-0000-4000-8000-000000000000' };
    expect((await decideApproval(other, approve, world)).kind).toBe('invalid');
  });

  it('refuses a link without a signature', async () => {
    const { world, ana } = await opened();
    const { sig: _, ...query } = ana.query;
    expect((await decideApproval({ ...ana, query }, approve, world)).kind).toBe('invalid');
  });

  it('refuses an expired link and changes nothing', async () => {
    const { world, ana, approvalId } = await opened();
    world.clock.advance(61 * 60_000);
    expect((await decideApproval(ana, approve, world)).kind).toBe('expired');
    expect((await world.approvals.getRequest(approvalId))?.status).toBe('pending');
  });

  it('tells an approver who replays their own link that they decided already', async () => {
    const { world, ana } = await opened();
    await decideApproval(ana, approve, world);
    expect(await decideApproval(ana, { decision: 'rejected', reason: null }, world)).toMatchObject({
      kind: 'decided',
      byYou: true,
    });
  });

  it('finishes a decision whose first POST died after recording it, when the approver posts again', async () => {
    const { world, ana, approvalId } = await opened();
    const decidedAt = new Date(world.clock.now()).toISOString();
    await world.approvals.recordDecision(approvalId, {
      decision: 'approved',
      approver: 'ana@example.com',
      reason: null,
      decidedAt,
      tier: 0,
    });
    expect(await decideApproval(ana, approve, world)).toMatchObject({ kind: 'decided', byYou: true });
    expect(world.audit.events.filter((e) => e.type === 'decision_recorded')).toEqual([
      expect.objectContaining({ occurredAt: decidedAt, actor: 'approver:ana@example.com', decision: 'approved' }),
    ]);
    expect(world.workflow.resumed).toEqual([expect.objectContaining({ taskToken: 'token-0', approvalId })]);
  });

  it("finishes the approver's own decision when a POST loses the write to it (a second click racing a first POST that died)", async () => {
    const { world, ana, approvalId } = await opened();
    const firstAt = new Date(world.clock.now() - 1000).toISOString();
    const record = world.approvals.recordDecision.bind(world.approvals);
    // The first click's POST records its decision between this POST's read and its write, then dies.
    world.approvals.recordDecision = async (id, outcome) => {
      await record(id, { ...outcome, decidedAt: firstAt });
      return record(id, outcome);
    };
    expect(await decideApproval(ana, approve, world)).toMatchObject({ kind: 'decided', byYou: true });
    expect(world.audit.events.filter((e) => e.type === 'decision_recorded')).toEqual([
      expect.objectContaining({ occurredAt: firstAt, actor: 'approver:ana@example.com', decision: 'approved' }),
    ]);
    expect(world.workflow.resumed).toEqual([expect.objectContaining({ taskToken: 'token-0', approvalId })]);
  });

  it('tells a second approver who decided first, and keeps the first decision', async () => {
    const { world, ana, ben, approvalId } = await opened();
    await decideApproval(ana, approve, world);
    expect(await decideApproval(ben, { decision: 'rejected', reason: null }, world)).toMatchObject({
      kind: 'decided',
      byYou: false,
    });
    expect((await world.approvals.getRequest(approvalId))?.outcome?.approver).toBe('ana@example.com');
  });

  it('refuses a first-tier link once the request has escalated', async () => {
    const { world, ana, approvalId } = await opened();
    await closeTier({ approvalId, tier: 0 }, world);
    expect((await decideApproval(ana, approve, world)).kind).toBe('escalated');
  });

  it('audits a genuine link refused, naming its approver', async () => {
    const { world, ana } = await opened();
    await decideApproval(ana, approve, world);
    await decideApproval(ana, approve, world);
    expect(world.audit.events.find((e) => e.type === 'link_refused')?.actor).toBe('approver:ana@example.com');
  });

  it('keeps a decision whose task has already timed out, for the workflow to pick up', async () => {
    const { world, ana, approvalId } = await opened();
    world.workflow.tokenExpired = true;
    expect(await decideApproval(ana, approve, world)).toMatchObject({ kind: 'recorded', resumed: 'token_expired' });
    expect((await world.approvals.getRequest(approvalId))?.status).toBe('approved');
  });

  it('keeps the decision and shows it recorded when Step Functions fails to answer the callback', async () => {
    const { world, ana, approvalId } = await opened();
    world.workflow.resume = () => Promise.reject(new Error('ServiceUnavailable'));
    expect(await decideApproval(ana, approve, world)).toMatchObject({ kind: 'recorded', resumed: 'deferred' });
    expect((await world.approvals.getRequest(approvalId))?.status).toBe('approved');
  });

  it('records the approval latency from request to decision', async () => {
    const { world, ana } = await opened();
    world.clock.advance(12 * 60_000);
    await decideApproval(ana, approve, world);
    expect(world.audit.events.find((e) => e.type === 'decision_recorded')?.latencyMs).toBe(12 * 60_000);
  });
});

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
let requests = 0;
function client(method: PageClient['method'], userAgent = BROWSER): PageClient {
  requests += 1;
  return { requestId: `req-${requests}`, sourceIp: '203.0.113.9', userAgent, method };
}

describe('auditing refused requests and scanners', () => {
  it('audits a forged link with the source address and user agent, and never its signature', async () => {
    const { world, ana } = await opened();
    const forged = tampered(ana, { sig: 'Z'.repeat(43) });
    expect((await viewApproval(forged, world, client('GET'))).kind).toBe('invalid');
    const [event] = world.audit.events.filter((e) => e.type === 'link_refused');
    expect(event).toMatchObject({
      actor: 'client:203.0.113.9',
      kpiId: null,
      approvalId: null,
      reason: 'forged or altered link: the signature does not match',
    });
    expect(event?.detail).toContain('source 203.0.113.9');
    expect(event?.detail).toContain(BROWSER);
    expect(event?.detail).toContain('ana@example.com');
    expect(JSON.stringify(event)).not.toContain('Z'.repeat(43));
    expect(JSON.stringify(world.audit.events)).not.toContain(ana.query.sig);
  });

  it('audits a malformed link naming the fields at fault', async () => {
    const { world, ana } = await opened();
    await decideApproval({ ...ana, query: { ...ana.query, tier: 'x' } }, approve, world, client('POST'));
    expect(world.audit.events.find((e) => e.type === 'link_refused')?.reason).toBe('malformed link (tier)');
  });

  it('audits each refused POST of one approver as an event of its own', async () => {
    const { world, ana } = await opened();
    await decideApproval(ana, approve, world, client('POST'));
    for (let i = 0; i < 3; i++) await decideApproval(ana, approve, world, client('POST'));
    const refused = world.audit.events.filter((e) => e.type === 'link_refused');
    expect(refused).toHaveLength(3);
    expect(refused.map((e) => e.reason)).toEqual(
      Array(3).fill(
        'a decision was posted through a link that could no longer decide: replayed: the request was decided already',
      ),
    );
  });

  it('says why an expired link was refused', async () => {
    const { world, ana } = await opened();
    world.clock.advance(61 * 60_000);
    await decideApproval(ana, approve, world, client('POST'));
    expect(world.audit.events.find((e) => e.type === 'link_refused')?.reason).toMatch(/the link has expired$/);
  });

  it('audits refusals at a bounded rate and says how many it left out', async () => {
    const { world, ana } = await opened();
    const deps = { ...world, refusals: new AuditBudget({ perMinute: 1, burst: 2 }) };
    const forged = tampered(ana, { sig: 'Y'.repeat(43) });
    for (let i = 0; i < 5; i++) await viewApproval(forged, deps, client('GET'));
    expect(world.audit.types().filter((t) => t === 'link_refused')).toHaveLength(2);
    world.clock.advance(60_000);
    await viewApproval(forged, deps, client('GET'));
    const refused = world.audit.events.filter((e) => e.type === 'link_refused');
    expect(refused).toHaveLength(3);
    expect(refused.at(-1)?.detail).toContain('3 refused requests before this one were not audited');
  });

  it("records a known link scanner's GET as a scan, not as the approver's view", async () => {
    const { world, ana, approvalId } = await opened();
    const page = await viewApproval(ana, world, client('GET', 'Mozilla/5.0 (compatible; Proofpoint URL Defense)'));
    expect(page.kind).toBe('open');
    expect(world.audit.types()).not.toContain('approval_viewed');
    expect(world.audit.events.find((e) => e.type === 'link_scanned')).toMatchObject({
      actor: 'scanner:Proofpoint URL Defense',
      approvalId,
    });
    await viewApproval(ana, world, client('GET'));
    expect(world.audit.events.find((e) => e.type === 'approval_viewed')?.actor).toBe('approver:ana@example.com');
  });
});

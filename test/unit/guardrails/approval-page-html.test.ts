import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  renderApprovalPage,
  renderBadRequest,
  renderMethodNotAllowed,
} from '../../../src/adapters/http/approval-page-html';
import { decideApproval, viewApproval } from '../../../src/usecases/guardrails/approval-page';
import { linkInput, openApproval } from '../../support/approval-flow';
import { guardrailWorld } from '../../support/guardrail-fakes';
import { violation } from '../../support/violations';

async function pages(name = 'Lead handoff cycle time (p95)') {
  const world = guardrailWorld();
  const { links } = await openApproval(world, violation({ kpi: { name } }));
  const ana = linkInput(links['ana@example.com'] ?? '');
  return { world, ana };
}

describe('approval page HTML', () => {
  it('escapes markup in the KPI name', async () => {
    const { world, ana } = await pages('<img src=x onerror=alert(1)>');
    const { body } = renderApprovalPage(await viewApproval(ana, world), 'GET', world.clock.now());
    expect(body).not.toContain('<img');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('escapes markup in the reason an approver typed', async () => {
    const { world, ana } = await pages();
    const page = await decideApproval(ana, { decision: 'approved', reason: '<script>steal()</script>' }, world);
    const { body } = renderApprovalPage(page, 'POST', world.clock.now());
    expect(body).not.toContain('<script>');
    expect(body).toContain('&lt;script&gt;steal()&lt;/script&gt;');
  });

  it('answers an invalid link with 403 and tells the approver what to do', () => {
    const { statusCode, body } = renderApprovalPage({ kind: 'invalid' }, 'POST', 0);
    expect(statusCode).toBe(403);
    expect(body).toContain('Open the link exactly as it arrived in your email');
  });

  it('answers a POST on a decided request with 409 and a GET of it with 200', async () => {
    const { world, ana } = await pages();
    await decideApproval(ana, { decision: 'approved', reason: null }, world);
    const decided = await decideApproval(ana, { decision: 'rejected', reason: null }, world);
    expect(renderApprovalPage(decided, 'POST', world.clock.now()).statusCode).toBe(409);
    expect(renderApprovalPage(decided, 'GET', world.clock.now()).statusCode).toBe(200);
  });

  it('puts the decision buttons in a form that posts back to the link itself', async () => {
    const { world, ana } = await pages();
    const { body } = renderApprovalPage(await viewApproval(ana, world), 'GET', world.clock.now());
    expect(body).toMatch(/<form method="post">/);
    expect(body).toContain('name="decision" value="approve"');
    expect(body).toContain('name="decision" value="reject"');
  });

  it('allows exactly its own inline style and nothing else under its content security policy', async () => {
    const { world, ana } = await pages();
    const { body, headers } = renderApprovalPage(await viewApproval(ana, world), 'GET', world.clock.now());
    const style = /<style>([\s\S]*?)<\/style>/.exec(body)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(headers['content-security-policy']).toContain(`style-src 'sha256-${hash}'`);
    expect(body).not.toContain('<script');
  });

  it('answers a method the page does not serve with 405, a page titled so and the Allow header', () => {
    const { statusCode, headers, body } = renderMethodNotAllowed(['GET', 'POST']);
    expect(statusCode).toBe(405);
    expect(headers.allow).toBe('GET, POST');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(body).toContain('<title>Method not allowed</title>');
    expect(body).toContain('Only GET and POST are served here');
    expect(body).not.toContain('Not found');
  });

  it('answers a form it cannot read with 400 and a page titled Bad request that names the problem', () => {
    const { statusCode, headers, body } = renderBadRequest('The form must say <approve> or reject');
    expect(statusCode).toBe(400);
    expect(headers.allow).toBeUndefined();
    expect(body).toContain('<title>Bad request</title>');
    expect(body).toContain('The form must say &lt;approve&gt; or reject');
    expect(body).toContain('Nothing was changed.');
  });
});

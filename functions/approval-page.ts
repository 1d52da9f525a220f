// Lambda: the approval page behind the HTTP API (API Gateway payload 2.0; the local runtime serves
// it the same way). GET /approvals/{approvalId} shows the request; POST decides it.
import '../src/runtime/zod-at-cold-start';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { renderApprovalPage, renderBadRequest, renderMethodNotAllowed } from '../src/adapters/http/approval-page-html';
import { PipelineMetric } from '../src/contracts/metrics';
import { AuditBudget } from '../src/domain/guardrails/audit-budget';
import {
  guardrailAdapters,
  guardrailClients,
  guardrailLazyClients,
  guardrailVariables,
  withLazyGuardrailClients,
} from '../src/runtime/guardrail-environment';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { bodyText, httpPageEvent } from '../src/runtime/http-page';
import {
  type ApprovalPage,
  decideApproval,
  type PageClient,
  viewApproval,
} from '../src/usecases/guardrails/approval-page';

const environment = z.object({
  APPROVALS_TABLE: guardrailVariables.APPROVALS_TABLE,
  AUDIT_TABLE: guardrailVariables.AUDIT_TABLE,
  GOVERNANCE_BUCKET: guardrailVariables.GOVERNANCE_BUCKET,
  STATE_TABLE: guardrailVariables.STATE_TABLE,
  LINK_KEY_SECRET_ARN: guardrailVariables.LINK_KEY_SECRET_ARN,
  APPROVAL_STATE_MACHINE_ARN: guardrailVariables.APPROVAL_STATE_MACHINE_ARN,
});

/** The form fields of a decision: `decision=approve|reject`, an optional `reason`. */
const decisionForm = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z
    .string()
    .optional()
    .transform((r) => r?.trim().slice(0, 1000) || null),
});

export const { handler, create, services } = defineHandler({
  name: 'governance',
  environment,
  event: httpPageEvent,
  correlationId: (event) => event.pathParameters?.approvalId,
  clients: guardrailClients,
  lazyClients: guardrailLazyClients,
  dependencies: (env, { clients, lazyClient }) => {
    const adapters = guardrailAdapters(env, withLazyGuardrailClients(clients, lazyClient));
    // Per warm instance: with the page's reserved concurrency, a bound on refusals audited overall.
    const refusals = new AuditBudget({ perMinute: 10, burst: 20 });
    return { ...adapters, signer: adapters.signer(), workflow: adapters.workflow(), refusals };
  },
  run: async (event, deps, { logger, metrics }) => {
    const method = event.requestContext.http.method.toUpperCase();
    const link = { approvalId: event.pathParameters?.approvalId, query: event.queryStringParameters ?? {} };
    const client = (kind: 'GET' | 'POST'): PageClient => ({
      requestId: event.requestContext.requestId ?? randomUUID(),
      sourceIp: event.requestContext.http.sourceIp ?? null,
      userAgent: event.requestContext.http.userAgent ?? null,
      method: kind,
    });
    const refused = (page: ApprovalPage) => {
      if (page.kind === 'open' || page.kind === 'recorded') return;
      metrics.addMetric(PipelineMetric.LinksRefused, MetricUnit.Count, 1);
      logger.warn('link refused', { page: page.kind, method, approvalId: link.approvalId });
    };
    if (method === 'GET') {
      const page = await viewApproval(link, deps, client('GET'));
      if (page.kind === 'invalid') refused(page);
      return renderApprovalPage(page, 'GET', deps.clock.now());
    }
    if (method !== 'POST') return renderMethodNotAllowed(['GET', 'POST']);

    const raw = bodyText(event);
    const form = decisionForm.safeParse(Object.fromEntries(new URLSearchParams(raw)));
    if (!form.success) return renderBadRequest('The form must say approve or reject');
    const decision = form.data.decision === 'approve' ? 'approved' : 'rejected';
    const page = await decideApproval(link, { decision, reason: form.data.reason }, deps, client('POST'));
    if (page.kind === 'recorded') {
      metrics.addMetric(PipelineMetric.ApprovalsDecided, MetricUnit.Count, 1);
      const minutes = (deps.clock.now() - Date.parse(page.request.requestedAt)) / 60_000;
      metrics.addMetric(PipelineMetric.ApprovalLatencyMinutes, MetricUnit.NoUnit, Math.max(0, minutes));
      const facts = { approvalId: page.request.approvalId, decision, resumed: page.resumed };
      if (page.resumed === 'resumed') logger.info('decision recorded', facts);
      else logger.warn('decision recorded; the workflow applies it at the tier deadline', facts);
    } else refused(page);
    return renderApprovalPage(page, 'POST', deps.clock.now());
  },
});

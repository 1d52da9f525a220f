// Lambda: the approval page behind the HTTP API (API Gateway payload 2.0; the local runtime serves
// it the same way). GET /approvals/{approvalId} shows the request; POST decides it.
import * as z from 'zod';
import { renderApprovalPage, renderNotFound } from '../src/adapters/http/approval-page-html';
import { PipelineMetric } from '../src/contracts/metrics';
import { guardrailAdapters, guardrailClients, guardrailVariables } from '../src/runtime/guardrail-environment';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { bodyText, httpPageEvent } from '../src/runtime/http-page';
import { decideApproval, viewApproval } from '../src/usecases/guardrails/approval-page';

const environment = z.object({
  APPROVALS_TABLE: guardrailVariables.APPROVALS_TABLE,
  AUDIT_TABLE: guardrailVariables.AUDIT_TABLE,
  GOVERNANCE_BUCKET: guardrailVariables.GOVERNANCE_BUCKET,
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

export const { handler, create } = defineHandler({
  name: 'governance',
  environment,
  event: httpPageEvent,
  correlationId: (event) => event.pathParameters?.approvalId,
  clients: guardrailClients,
  dependencies: (env, { clients }) => {
    const adapters = guardrailAdapters(env, clients);
    return { ...adapters, signer: adapters.signer(), workflow: adapters.workflow() };
  },
  run: async (event, deps, { logger, metrics }) => {
    const method = event.requestContext.http.method.toUpperCase();
    const link = { approvalId: event.pathParameters?.approvalId, query: event.queryStringParameters ?? {} };
    if (method === 'GET') return renderApprovalPage(await viewApproval(link, deps), 'GET', deps.clock.now());
    if (method !== 'POST') return renderNotFound(405, 'Only GET and POST are served here');

    const raw = bodyText(event);
    const form = decisionForm.safeParse(Object.fromEntries(new URLSearchParams(raw)));
    if (!form.success) return renderNotFound(400, 'The form must say approve or reject');
    const decision = form.data.decision === 'approve' ? 'approved' : 'rejected';
    const page = await decideApproval(link, { decision, reason: form.data.reason }, deps);
    if (page.kind === 'recorded') {
      metrics.addMetric(PipelineMetric.ApprovalsDecided, MetricUnit.Count, 1);
      const minutes = (deps.clock.now() - Date.parse(page.request.requestedAt)) / 60_000;
      metrics.addMetric(PipelineMetric.ApprovalLatencyMinutes, MetricUnit.NoUnit, Math.max(0, minutes));
      const facts = { approvalId: page.request.approvalId, decision, resumed: page.resumed };
      if (page.resumed === 'resumed') logger.info('decision recorded', facts);
      else logger.warn('decision recorded; the workflow applies it at the tier deadline', facts);
    } else {
      logger.warn('decision refused', { page: page.kind, approvalId: link.approvalId });
    }
    return renderApprovalPage(page, 'POST', deps.clock.now());
  },
});

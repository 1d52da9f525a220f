// Lambda: the steps of the approval workflow (lib/constructs/guardrails.ts). The state machine names
// the step; each is one use case of src/usecases/guardrails/approval-steps.ts. Approved definition
// changes are published to the definitions table.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { definitionBodyStore } from '../src/adapters/aws/definition-bodies';
import { PipelineMetric } from '../src/contracts/metrics';
import { approvalIdSchema, approvalStartSchema } from '../src/domain/guardrails/approval';
import {
  guardrailAdapters,
  guardrailClients,
  guardrailLazyClients,
  guardrailVariables,
  withLazyGuardrailClients,
} from '../src/runtime/guardrail-environment';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { definitionChangesIn } from '../src/usecases/definition-change-approval';
import {
  applyDecision,
  applySafeDefault,
  closeTier,
  failSafe,
  notifyApprovers,
  recordApprovalRequest,
} from '../src/usecases/guardrails/approval-steps';

const environment = z.object({
  APPROVALS_TABLE: guardrailVariables.APPROVALS_TABLE,
  AUDIT_TABLE: guardrailVariables.AUDIT_TABLE,
  CONTROLS_TABLE: guardrailVariables.CONTROLS_TABLE,
  GOVERNANCE_BUCKET: guardrailVariables.GOVERNANCE_BUCKET,
  STATE_TABLE: guardrailVariables.STATE_TABLE,
  APPROVER_TIERS: guardrailVariables.APPROVER_TIERS,
  APPROVALS_TOPIC_ARN: guardrailVariables.APPROVALS_TOPIC_ARN,
  LINK_KEY_SECRET_ARN: guardrailVariables.LINK_KEY_SECRET_ARN,
  APPROVAL_PAGE_URL: guardrailVariables.APPROVAL_PAGE_URL,
  /** Where approved definition changes are published. */
  DEFINITIONS_TABLE: z.string().min(1),
});

const tier = z.number().int().nonnegative();

export const approvalStepEventSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('record'), start: approvalStartSchema, executionArn: z.string().min(1) }),
  z.object({ step: z.literal('notify'), approvalId: approvalIdSchema, tier, taskToken: z.string().min(1) }),
  z.object({ step: z.literal('close-tier'), approvalId: approvalIdSchema, tier }),
  z.object({ step: z.literal('apply-decision'), approvalId: approvalIdSchema }),
  z.object({ step: z.literal('apply-safe-default'), approvalId: approvalIdSchema }),
  z.object({
    step: z.literal('fail-safe'),
    start: approvalStartSchema,
    error: z.object({ Error: z.string().default('Unknown'), Cause: z.string().default('') }).loose(),
  }),
]);

export const { handler, create, services } = defineHandler({
  name: 'governance',
  environment,
  event: approvalStepEventSchema,
  correlationId: (event) => ('approvalId' in event ? event.approvalId : event.start.approvalId),
  clients: guardrailClients,
  lazyClients: guardrailLazyClients,
  dependencies: (env, { clients, lazyClient }) => {
    const adapters = guardrailAdapters(env, withLazyGuardrailClients(clients, lazyClient));
    return {
      ...adapters,
      controls: adapters.controls(),
      notifier: adapters.notifier(),
      signer: adapters.signer(),
      tiers: env.APPROVER_TIERS,
      pageBaseUrl: env.APPROVAL_PAGE_URL,
      definitionChanges: definitionChangesIn(
        definitionBodyStore(clients.dynamodb, env.DEFINITIONS_TABLE, adapters.clock),
      ),
    };
  },
  run: async (event, deps, { metrics }) => {
    switch (event.step) {
      case 'record':
        return recordApprovalRequest(event.start, event.executionArn, deps);
      case 'notify':
        return notifyApprovers(event, deps);
      case 'close-tier': {
        const next = await closeTier(event, deps);
        if (next.outcome === 'escalated') metrics.addMetric(PipelineMetric.ApprovalsEscalated, MetricUnit.Count, 1);
        if (next.outcome === 'exhausted') metrics.addMetric(PipelineMetric.ApprovalsExpired, MetricUnit.Count, 1);
        return next;
      }
      case 'apply-decision':
        return applyDecision(event, deps);
      case 'apply-safe-default':
        return applySafeDefault(event, deps);
      case 'fail-safe':
        return failSafe({ start: event.start, error: event.error.Error, cause: event.error.Cause }, deps);
    }
  },
});

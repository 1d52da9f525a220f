// Lambda: the guardrail intake. Evaluate (the compute stage) invokes it with a batch of violations
// (src/domain/guardrails/violation.ts); it applies the guardrail policy to each.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { PipelineMetric } from '../src/contracts/metrics';
import { AT_RISK_ROUTES, DEFAULT_AT_RISK_ROUTING } from '../src/domain/guardrails/policy';
import { violationBatchSchema } from '../src/domain/guardrails/violation';
import {
  guardrailAdapters,
  guardrailClients,
  guardrailLazyClients,
  guardrailVariables,
  withLazyGuardrailClients,
} from '../src/runtime/guardrail-environment';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { handleViolations } from '../src/usecases/guardrails/handle-violations';

const environment = z.object({
  APPROVALS_TABLE: guardrailVariables.APPROVALS_TABLE,
  AUDIT_TABLE: guardrailVariables.AUDIT_TABLE,
  CONTROLS_TABLE: guardrailVariables.CONTROLS_TABLE,
  GOVERNANCE_BUCKET: guardrailVariables.GOVERNANCE_BUCKET,
  STATE_TABLE: guardrailVariables.STATE_TABLE,
  APPROVER_TIERS: guardrailVariables.APPROVER_TIERS,
  APPROVAL_STATE_MACHINE_ARN: guardrailVariables.APPROVAL_STATE_MACHINE_ARN,
  OWNERS_TOPIC_ARN: guardrailVariables.OWNERS_TOPIC_ARN,
  /** JSON: level of decision → how an at-risk forecast is routed (like_yellow, notify_owner, like_red). */
  AT_RISK_ROUTING: z
    .string()
    .transform((text) =>
      z
        .object({ low: z.enum(AT_RISK_ROUTES), high: z.enum(AT_RISK_ROUTES), critical: z.enum(AT_RISK_ROUTES) })
        .parse(JSON.parse(text)),
    )
    .optional(),
});

/** A concern stays claimed for the whole chain of deadlines, plus a day for the workflow to finish. */
const MARGIN_SECONDS = 24 * 3600;

export const { handler, create, services } = defineHandler({
  name: 'governance',
  environment,
  event: violationBatchSchema,
  clients: guardrailClients,
  lazyClients: guardrailLazyClients,
  dependencies: (env, { clients, lazyClient }) => {
    const adapters = guardrailAdapters(env, withLazyGuardrailClients(clients, lazyClient));
    return {
      ...adapters,
      controls: adapters.controls(),
      workflow: adapters.workflow(),
      notifier: adapters.notifier(),
      concernTtlSeconds: env.APPROVER_TIERS.reduce((sum, tier) => sum + tier.deadlineMinutes * 60, 0) + MARGIN_SECONDS,
      atRiskRouting: env.AT_RISK_ROUTING ?? DEFAULT_AT_RISK_ROUTING,
    };
  },
  run: async ({ violations }, deps, { logger, metrics }) => {
    const outcomes = await handleViolations(violations, deps);
    const count = (result: string) => outcomes.filter((o) => o.result === result).length;
    metrics.addMetric(PipelineMetric.ApprovalsRequested, MetricUnit.Count, count('approval_started'));
    logger.info('violations handled', { received: violations.length, outcomes });
    return {
      received: violations.length,
      recorded: count('recorded'),
      ownerNotified: count('owner_notified'),
      ownerAlreadyNotified: count('owner_already_notified'),
      approvalsStarted: count('approval_started'),
      joinedOpenApprovals: count('joined_open_approval'),
      alreadyHandled: count('already_handled'),
      outcomes: outcomes.map(({ violationKey, decision, result, approvalId }) => ({
        violationKey,
        action: decision.action,
        rule: decision.rule,
        result,
        approvalId: approvalId ?? null,
      })),
    };
  },
});

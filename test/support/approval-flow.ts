// Test support: drives the approval use cases the way the state machine does, on the in-memory fakes.
import type { Violation } from '../../src/domain/guardrails/violation';
import { notifyApprovers, recordApprovalRequest } from '../../src/usecases/guardrails/approval-steps';
import { handleViolations } from '../../src/usecases/guardrails/handle-violations';
import type { GuardrailWorld } from './guardrail-fakes';

/** The links in an approver email body. */
export function linksIn(body: string): string[] {
  return [...body.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
}

/** A link as the page handler sees it: the path's approval id and the query. */
export function linkInput(url: string) {
  const parsed = new URL(url);
  return {
    approvalId: decodeURIComponent(parsed.pathname.split('/').pop() ?? ''),
    query: Object.fromEntries(parsed.searchParams),
  };
}

/**
 * Intake → record → notify the first tier. Returns the approval id and the link each approver of
 * that tier received.
 */
export async function openApproval(world: GuardrailWorld, violation: Violation) {
  const [outcome] = await handleViolations([violation], world);
  const approvalId = outcome?.approvalId;
  if (!approvalId) throw new Error(`no approval opened: ${JSON.stringify(outcome)}`);
  const start = world.workflow.started.get(approvalId);
  if (!start) throw new Error('the workflow was not started');
  await recordApprovalRequest(start, `arn:execution:${approvalId}`, world);
  return { approvalId, ...(await notifyTier(world, approvalId, 0)) };
}

/** Notifies one tier with a token named after it; returns each approver's link. */
export async function notifyTier(world: GuardrailWorld, approvalId: string, tier: number) {
  const before = world.notifier.approverMessages.length;
  await notifyApprovers({ approvalId, tier, taskToken: `token-${tier}` }, world);
  const links = Object.fromEntries(
    world.notifier.approverMessages.slice(before).map((m) => [m.approver, linksIn(m.body)[0] as string]),
  );
  return { links };
}

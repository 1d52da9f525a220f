// Local runtime: the guardrail stage as `npm start` shows it. Hands violations to the intake
// function, prints what each became (an owner notice, an approval with its links), and, as a demo
// approver, follows a link and decides, then prints the resulting autonomy change.
import { DynamoDbApprovalStore } from '../adapters/aws/dynamodb-approval-store';
import { DynamoDbAuditLog } from '../adapters/aws/dynamodb-audit-log';
import { DynamoDbAutonomyControls } from '../adapters/aws/dynamodb-autonomy-controls';
import { DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { type ApprovalRequest, describeSubject, isViolationApproval } from '../domain/guardrails/approval';
import { effectiveMode } from '../domain/guardrails/autonomy';
import type { ViolationInput } from '../domain/guardrails/violation';
import type { LocalCloud, PublishedMessage } from './local-cloud';

export interface GuardrailsDemoOptions {
  /** What the demo approver answers; `none` leaves the approvals open. @default 'none' */
  readonly decide?: 'approve' | 'reject' | 'none';
  readonly log?: (line: string) => void;
  /** Topics already watched (before the violations were handed over); watched here otherwise. */
  readonly topics?: { readonly approvals: string; readonly owners: string };
}

export interface GuardrailsDemoResult {
  readonly approvalIds: string[];
  readonly ownerNotices: number;
  /** Every link sent, by approval id. */
  readonly links: Record<string, string[]>;
}

interface IntakeOutcome {
  violationKey: string;
  action: string;
  rule: string;
  result: string;
  approvalId: string | null;
}

function topicArn(cloud: LocalCloud, prefix: string): string {
  const topic = cloud.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => t.logicalId.startsWith(prefix));
  if (!topic) throw new Error(`the app has no ${prefix} topic`);
  return cloud.resolver.arn(topic.stackName, topic.logicalId);
}

/** The guardrail stage's tables on the local cloud, for reading back what the demo did. */
export function localGuardrailStores(cloud: LocalCloud) {
  const env = cloud.functions.get('guardrail-intake').environment;
  const { dynamodb, s3 } = cloud.clients;
  return {
    approvals: new DynamoDbApprovalStore(dynamodb, String(env.APPROVALS_TABLE)),
    audit: new DynamoDbAuditLog(
      dynamodb,
      String(env.AUDIT_TABLE),
      s3,
      String(env.GOVERNANCE_BUCKET),
      new DynamoDbRawCommitLog(dynamodb, String(env.STATE_TABLE)),
    ),
    controls: new DynamoDbAutonomyControls(dynamodb, String(env.CONTROLS_TABLE)),
  };
}

/**
 * Follows violations through the guardrail stage. With `violations`, hands them to the intake
 * function first; with null, they were handed already (by the compute stage) and the approvals
 * pending now are the ones followed.
 */
export async function runGuardrailsDemo(
  cloud: LocalCloud,
  violations: readonly ViolationInput[] | null,
  options: GuardrailsDemoOptions = {},
): Promise<GuardrailsDemoResult> {
  const log = options.log ?? console.log;
  const approvalsTopic = options.topics?.approvals ?? topicArn(cloud, 'GuardrailsApprovalsTopic');
  const ownersTopic = options.topics?.owners ?? topicArn(cloud, 'GuardrailsOwnersTopic');
  await cloud.watchTopic(approvalsTopic);
  await cloud.watchTopic(ownersTopic);
  const stores = localGuardrailStores(cloud);
  const approvalIds = await startedApprovals(cloud, violations, stores, log);
  const links = await firstLinks(cloud, approvalsTopic, approvalIds, log);
  const notices = await cloud.takePublished(ownersTopic);
  for (const line of describeOwnerNotices(notices)) log(line);
  const decision = options.decide ?? 'none';
  if (decision !== 'none') {
    for (const approvalId of approvalIds) await decideAsApprover(cloud, stores, approvalId, links, decision, log);
  }
  return { approvalIds, ownerNotices: notices.length, links };
}

/**
 * The approvals to follow: those the intake starts for `violations`, or, with null (the compute
 * stage handed them already), the ones pending once every workflow waits for a decision.
 */
async function startedApprovals(
  cloud: LocalCloud,
  violations: readonly ViolationInput[] | null,
  stores: ReturnType<typeof localGuardrailStores>,
  log: (line: string) => void,
): Promise<string[]> {
  if (violations) {
    const { outcomes } = (await cloud.functions.invoke('guardrail-intake', { violations })) as {
      outcomes: IntakeOutcome[];
    };
    for (const o of outcomes)
      log(`  ${o.violationKey.split('|').slice(0, 2).join(' ')}: ${o.action} (${o.rule}) → ${o.result}`);
    return outcomes.flatMap((o) => (o.approvalId && o.result === 'approval_started' ? [o.approvalId] : []));
  }
  // The schedules handed their violations to the intake, which started workflows: let each one
  // record its request and reach its first wait for a decision before listing what is pending.
  await untilWorkflowsWait(cloud);
  const pending = await stores.approvals.listRequests('pending', 1000);
  for (const r of pending) log(`  ${describeRequest(r)}: approval ${r.approvalId}`);
  return pending.map((r) => r.approvalId);
}

/** Each workflow records its request and emails its first tier: the links, once every one has (30 s at most). */
async function firstLinks(
  cloud: LocalCloud,
  approvalsTopic: string,
  approvalIds: readonly string[],
  log: (line: string) => void,
): Promise<Record<string, string[]>> {
  const links: Record<string, string[]> = {};
  const pending = new Set(approvalIds);
  const giveUpAt = Date.now() + 30_000;
  while (pending.size > 0) {
    if (Date.now() > giveUpAt) {
      throw new Error(
        `no approval link was sent for ${[...pending].join(', ')} within 30 s: see the workflow executions`,
      );
    }
    for (const message of await cloud.takePublished(approvalsTopic)) {
      const id = message.attributes.approvalId ?? '';
      const link = /https?:\/\/\S+/.exec(message.message)?.[0];
      if (!link) continue;
      links[id] = [...(links[id] ?? []), link];
      pending.delete(id);
      log(`  approval ${id} → ${message.attributes.approver}:\n    ${link}`);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return links;
}

/** Opens the approval's first link and decides it as its approver would, then says what it changed. */
async function decideAsApprover(
  cloud: LocalCloud,
  stores: ReturnType<typeof localGuardrailStores>,
  approvalId: string,
  links: Readonly<Record<string, string[]>>,
  decision: 'approve' | 'reject',
  log: (line: string) => void,
): Promise<void> {
  const request = await stores.approvals.getRequest(approvalId);
  const link = links[approvalId]?.[0];
  if (!request || !link) return;
  const modeOf = async () =>
    isViolationApproval(request) ? effectiveMode(await stores.controls.read(request.subject)) : null;
  const before = await modeOf();
  const viewed = await fetch(link);
  const decided = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision, reason: 'decided by the demo approver' }),
  });
  const execution = cloud.stepFunctions.listExecutions().find((e) => e.name === approvalId);
  const finished = execution ? await finishedWithin(execution.done, 60_000) : undefined;
  if (execution && !finished) {
    throw new Error(
      `the workflow of approval ${approvalId} did not finish within 60 s of its decision (the page answered GET ${viewed.status}, ` +
        `POST ${decided.status}; steps so far: ${execution.history.map((h) => `${h.state} ${h.outcome}`).join(' → ')})`,
    );
  }
  const after = await modeOf();
  const effect = isViolationApproval(request)
    ? `${describeSubject(request.subject)}: ${before} → ${after}`
    : `definition of ${request.change.kpi.id}: ${describeApplied(finished?.output)}`;
  log(
    `  ${describeRequest(request)}, approval ${approvalId}: GET ${viewed.status}, POST ${decision} ${decided.status}; workflow ${finished?.status} ` +
      `(${finished?.history.map((h) => h.state).join(' → ')}); ${effect}`,
  );
}

/** What `done` resolves to, or undefined when it has not within `ms`. */
async function finishedWithin<T>(done: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/** `red_status ctr (2026-11-19) for agent x`, or `target change of ctr (proposal p)`. */
function describeRequest(r: ApprovalRequest): string {
  return isViolationApproval(r)
    ? `${r.violation.kind} ${r.violation.kpi.id} (${r.violation.period.start.slice(0, 10)}) for ${describeSubject(r.subject)}`
    : `target change of ${r.change.kpi.id} (proposal ${r.change.proposalId}, v${r.change.fromVersion} in force)`;
}

/** What the workflow's ApplyDecision step reported for a definition change. */
function describeApplied(output: unknown): string {
  const applied = (output as { applied?: { decision?: string; version?: number } } | undefined)?.applied;
  if (applied?.version) return `version ${applied.version} in force`;
  return applied?.decision === 'rejected' ? 'rejected, the version in force stays' : 'unchanged';
}

/** Resolves once every running execution waits for a task token (or has finished); 30 s at most. */
async function untilWorkflowsWait(cloud: LocalCloud): Promise<void> {
  const sfn = cloud.stepFunctions;
  const giveUpAt = Date.now() + 30_000;
  const busy = () =>
    sfn.listExecutions().filter((e) => e.status === 'RUNNING' && sfn.pendingTaskTokens(e.executionArn).length === 0);
  while (busy().length > 0) {
    if (Date.now() > giveUpAt) {
      throw new Error(
        `workflows still running without asking anyone after 30 s: ${busy()
          .map((e) => e.name)
          .join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const MAX_DIMENSIONS_SHOWN = 4;

/**
 * Owner notices grouped by owner, then by what happened (the notice's headline) and period, naming
 * the dimensions: one period of a KPI with eight campaigns in red is one line, not eight alike.
 */
export function describeOwnerNotices(notices: readonly PublishedMessage[]): string[] {
  if (notices.length === 0) return [];
  const byOwner = new Map<string, Map<string, string[]>>();
  for (const notice of notices) {
    const owner = notice.attributes.owner ?? 'unknown owner';
    const headline = (notice.subject ?? '').replace(/^KPI alert: /, '');
    // The email says `Period: 2026-12-03 00:00 to 2026-12-04 00:00 UTC (day); dimensions: campaign_id=c-1`.
    const match = /Period: (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) to .*? UTC \((\w+)\); dimensions: (.*)$/m.exec(
      notice.message,
    );
    const period = match ? periodText(match[1] as string, match[2] as string, match[3] as string) : 'period not stated';
    const key = `${headline} — ${period}`;
    const groups = byOwner.get(owner) ?? new Map<string, string[]>();
    groups.set(key, [...(groups.get(key) ?? []), match ? (match[4] as string) : '']);
    byOwner.set(owner, groups);
  }
  const lines = [`  ${notices.length} owner notices (the policy told the KPI owner and asked nobody), by owner:`];
  for (const [owner, groups] of [...byOwner].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    lines.push(`    ${owner}`);
    for (const [key, dimensions] of groups) {
      const named = dimensions.filter((d) => d !== '' && d !== 'all (overall)');
      const shown = named.slice(0, MAX_DIMENSIONS_SHOWN).join('; ');
      const more = named.length > MAX_DIMENSIONS_SHOWN ? `; and ${named.length - MAX_DIMENSIONS_SHOWN} more` : '';
      const overall = dimensions.length > named.length ? 'overall' : '';
      const which = [overall, named.length > 0 ? `${shown}${more}` : ''].filter(Boolean).join('; ');
      lines.push(
        `      ${key}${which ? `: ${which}` : ''}${dimensions.length > 1 ? ` (${dimensions.length} notices)` : ''}`,
      );
    }
  }
  return lines;
}

/** `2026-12-03` for a day, `2026-12-03 14:00` for an hour, `month of 2026-11-01` for longer grains. */
function periodText(date: string, time: string, grain: string): string {
  if (grain === 'day') return date;
  if (grain === 'hour' || grain === 'minute') return `${date} ${time}`;
  return `${grain} of ${date}`;
}

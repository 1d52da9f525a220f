// Test support: the guardrail stage of a running LocalCloud, seen the way people and agents see it:
// emails on the approvals and owners topics, links followed over HTTP, tables read back.

import { DynamoDbApprovalStore } from '../../src/adapters/aws/dynamodb-approval-store';
import { DynamoDbAuditLog } from '../../src/adapters/aws/dynamodb-audit-log';
import { DynamoDbAutonomyControls } from '../../src/adapters/aws/dynamodb-autonomy-controls';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import type { ApprovalRequest } from '../../src/domain/guardrails/approval';
import type { AuditEvent } from '../../src/domain/guardrails/audit';
import type { AutonomySubject } from '../../src/domain/guardrails/autonomy';
import { effectiveMode } from '../../src/domain/guardrails/autonomy';
import type { ViolationInput } from '../../src/domain/guardrails/violation';
import type { LocalCloud, PublishedMessage } from '../../src/local/local-cloud';
import type { LocalExecution } from '../../src/local/stepfunctions/local-step-functions';
import { eventually } from './eventually';

export interface ApproverEmail extends PublishedMessage {
  readonly approver: string;
  readonly approvalId: string;
  readonly tier: number;
  readonly link: string;
}

export class LocalApprovals {
  readonly approvalsTopic: string;
  readonly ownersTopic: string;
  readonly approvals: DynamoDbApprovalStore;
  readonly audit: DynamoDbAuditLog;
  readonly controls: DynamoDbAutonomyControls;
  private readonly inbox: ApproverEmail[] = [];
  readonly ownerInbox: PublishedMessage[] = [];

  private constructor(readonly cloud: LocalCloud) {
    const topicArn = (prefix: string) => {
      const found = cloud.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => t.logicalId.startsWith(prefix));
      if (!found) throw new Error(`no topic ${prefix}`);
      return cloud.resolver.arn(found.stackName, found.logicalId);
    };
    this.approvalsTopic = topicArn('GuardrailsApprovalsTopic');
    this.ownersTopic = topicArn('GuardrailsOwnersTopic');
    const { dynamodb, s3 } = cloud.clients;
    this.approvals = new DynamoDbApprovalStore(dynamodb, 'AgentKpi-approvals');
    this.audit = new DynamoDbAuditLog(
      dynamodb,
      'AgentKpi-audit',
      s3,
      'agentkpi-raw-000000000000-us-east-1',
      new DynamoDbRawCommitLog(dynamodb, 'AgentKpi-state'),
    );
    this.controls = new DynamoDbAutonomyControls(dynamodb, 'AgentKpi-controls');
  }

  static async attach(cloud: LocalCloud): Promise<LocalApprovals> {
    const approvals = new LocalApprovals(cloud);
    await cloud.watchTopic(approvals.approvalsTopic);
    await cloud.watchTopic(approvals.ownersTopic);
    return approvals;
  }

  /** Invokes the intake function, as evaluate does. */
  intake(violations: ViolationInput[]) {
    return this.cloud.functions.invoke('guardrail-intake', { violations }) as Promise<{
      outcomes: { result: string; approvalId: string | null }[];
    }>;
  }

  /** Starts an approval for one violation and returns its id. */
  async open(violation: ViolationInput): Promise<string> {
    const { outcomes } = await this.intake([violation]);
    const approvalId = outcomes[0]?.approvalId;
    if (!approvalId) throw new Error(`no approval started: ${JSON.stringify(outcomes)}`);
    return approvalId;
  }

  private async collect(): Promise<void> {
    for (const m of await this.cloud.takePublished(this.approvalsTopic)) {
      this.inbox.push({
        ...m,
        approver: m.attributes.approver ?? '',
        approvalId: m.attributes.approvalId ?? '',
        tier: Number(m.attributes.tier),
        link: /https?:\/\/\S+/.exec(m.message)?.[0] ?? '',
      });
    }
    this.ownerInbox.push(...(await this.cloud.takePublished(this.ownersTopic)));
  }

  /** The emails of one approval's tier, once every approver of the tier has received theirs. */
  async emails(approvalId: string, tier: number, approvers: number): Promise<ApproverEmail[]> {
    return eventually(`${approvers} emails of approval ${approvalId}, tier ${tier}`, async () => {
      await this.collect();
      const found = this.inbox.filter((m) => m.approvalId === approvalId && m.tier === tier);
      return found.length >= approvers ? found : undefined;
    });
  }

  /** The email one approver received for one approval's tier. */
  email(approvalId: string, tier: number, approver: string): Promise<ApproverEmail> {
    return eventually(`the email to ${approver} for approval ${approvalId}, tier ${tier}`, async () => {
      await this.collect();
      return this.inbox.find((m) => m.approvalId === approvalId && m.tier === tier && m.approver === approver);
    });
  }

  async ownerNotices(): Promise<PublishedMessage[]> {
    await this.collect();
    return this.ownerInbox;
  }

  execution(approvalId: string): LocalExecution {
    const execution = this.cloud.stepFunctions.listExecutions().find((e) => e.name === approvalId);
    if (!execution) throw new Error(`no execution for ${approvalId}`);
    return execution;
  }

  /** The token the execution's tier task waits on, once that tier's task is waiting. */
  waitingToken(approvalId: string): Promise<string> {
    const { executionArn } = this.execution(approvalId);
    return eventually(
      `a task token of approval ${approvalId}`,
      () => this.cloud.stepFunctions.pendingTaskTokens(executionArn)[0]?.token,
    );
  }

  /** Lets the tier's deadline pass now. */
  async expireTier(approvalId: string): Promise<void> {
    this.cloud.stepFunctions.expireTask(await this.waitingToken(approvalId));
  }

  request(approvalId: string): Promise<ApprovalRequest | undefined> {
    return this.approvals.getRequest(approvalId);
  }

  async mode(subject: AutonomySubject) {
    return effectiveMode(await this.controls.read(subject));
  }

  /** Every audit event of one approval, oldest first (by KPI, over all time). */
  async auditOf(kpiId: string, approvalId: string): Promise<AuditEvent[]> {
    const events = await this.audit.byKpi(kpiId, { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' });
    return events.filter((e) => e.approvalId === approvalId);
  }
}

/** Follows a link as a browser does (GET). */
export async function view(link: string) {
  const response = await fetch(link, { redirect: 'manual' });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** Submits the page's form (POST to the link, form-encoded). */
export async function decide(link: string, decision: 'approve' | 'reject', reason = '') {
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision, reason }).toString(),
  });
  return { status: response.status, html: await response.text() };
}

/** The same link with some query parameters replaced. */
export function tamper(link: string, changes: Record<string, string>): string {
  const url = new URL(link);
  for (const [k, v] of Object.entries(changes)) url.searchParams.set(k, v);
  return url.toString();
}

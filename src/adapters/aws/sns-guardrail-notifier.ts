// AWS adapter: guardrail messages on SNS. Approval requests go to the approvals topic with an
// `approver` attribute: each approver's email subscription has a filter policy on it, so an
// approver receives their own link and nobody else's. Owner notices go to the owners topic with
// an `owner` attribute, filtered the same way. The SDK package is imported on the first message.
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { APPROVER_ATTRIBUTE, OWNER_ATTRIBUTE } from '../../contracts/messages';
import type { ApproverMessage, GuardrailNotifier, OwnerMessage } from '../../ports/guardrail-notifier';
import { type ClientSource, clientOf } from './clients';

const text = (value: string) => ({ DataType: 'String', StringValue: value });

export class SnsGuardrailNotifier implements GuardrailNotifier {
  constructor(
    private readonly sns: ClientSource<SNSClient>,
    /** A function holds the topics it publishes to; the intake tells owners, the workflow asks approvers. */
    private readonly topics: { readonly approvals?: string; readonly owners?: string },
  ) {}

  async notifyApprover(message: ApproverMessage): Promise<void> {
    if (!this.topics.approvals) throw new Error('this function has no approvals topic');
    await this.publish({
      TopicArn: this.topics.approvals,
      Subject: message.subject,
      Message: message.body,
      MessageAttributes: {
        [APPROVER_ATTRIBUTE]: text(message.approver),
        approvalId: text(message.approvalId),
        tier: { DataType: 'Number', StringValue: String(message.tier) },
      },
    });
  }

  async notifyOwner(message: OwnerMessage): Promise<void> {
    if (!this.topics.owners) throw new Error('this function has no owners topic');
    await this.publish({
      TopicArn: this.topics.owners,
      Subject: message.subject,
      Message: message.body,
      MessageAttributes: { [OWNER_ATTRIBUTE]: text(message.owner), kpiId: text(message.kpiId) },
    });
  }

  private async publish(input: PublishCommandInput): Promise<void> {
    const [{ PublishCommand }, sns] = await Promise.all([import('@aws-sdk/client-sns'), clientOf(this.sns)]);
    await sns.send(new PublishCommand(input));
  }
}

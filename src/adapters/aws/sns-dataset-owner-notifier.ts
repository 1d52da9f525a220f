// AWS adapter: notices to dataset owners on the dataset owners topic. Each message carries the
// owner, the dataset, its freshness status and what changed as attributes: an owner's email
// subscription filters on `owner`, and a team may subscribe a queue or a chat hook filtered on
// `dataset` or `freshnessStatus` instead. The SDK package is imported on the first notice: a check
// that finds nothing changed never loads it.
import type { SNSClient } from '@aws-sdk/client-sns';
import {
  DATASET_ATTRIBUTE,
  FRESHNESS_STATUS_ATTRIBUTE,
  FRESHNESS_TRANSITION_ATTRIBUTE,
  OWNER_ATTRIBUTE,
} from '../../contracts/messages';
import type { DatasetOwnerNotice, DatasetOwnerNotifier } from '../../ports/dataset-freshness';
import { type ClientSource, clientOf } from './clients';

const text = (value: string) => ({ DataType: 'String', StringValue: value });

export class SnsDatasetOwnerNotifier implements DatasetOwnerNotifier {
  constructor(
    private readonly sns: ClientSource<SNSClient>,
    private readonly topicArn: string,
  ) {}

  async notifyDatasetOwner(notice: DatasetOwnerNotice): Promise<void> {
    const [{ PublishCommand }, sns] = await Promise.all([import('@aws-sdk/client-sns'), clientOf(this.sns)]);
    await sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notice.subject,
        Message: notice.body,
        MessageAttributes: {
          [OWNER_ATTRIBUTE]: text(notice.owner.toLowerCase()),
          [DATASET_ATTRIBUTE]: text(notice.dataset),
          [FRESHNESS_STATUS_ATTRIBUTE]: text(notice.status),
          [FRESHNESS_TRANSITION_ATTRIBUTE]: text(notice.transition),
          noticeId: text(notice.noticeId),
        },
      }),
    );
  }
}

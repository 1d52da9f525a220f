// AWS adapter: review packs announced on SNS. Each message carries a `reviewer` attribute, and each
// reviewer's email subscription has a filter policy on it (lib/constructs/reviews.ts), so a reviewer
// receives their own signed link and nobody else's. The SNS package is imported on the first message
// (a pack that exists already sends none), so it costs the function's import nothing.
import type { SNSClient } from '@aws-sdk/client-sns';
import { REVIEWER_ATTRIBUTE } from '../../contracts/review-layout';
import type { ReviewerMessage, ReviewNotifier } from '../../ports/review-notifier';
import { type ClientSource, clientOf } from './clients';

const text = (value: string) => ({ DataType: 'String', StringValue: value });

export class SnsReviewNotifier implements ReviewNotifier {
  constructor(
    private readonly sns: ClientSource<SNSClient>,
    private readonly topicArn: string,
  ) {}

  async notifyReviewer(message: ReviewerMessage): Promise<void> {
    const [{ PublishCommand }, sns] = await Promise.all([import('@aws-sdk/client-sns'), clientOf(this.sns)]);
    await sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        Message: message.body,
        MessageAttributes: { [REVIEWER_ATTRIBUTE]: text(message.reviewer), reviewId: text(message.reviewId) },
      }),
    );
  }
}

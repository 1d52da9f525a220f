// AWS adapter: review packs announced on SNS. Each message carries a `reviewer` attribute, and each
// reviewer's email subscription has a filter policy on it (lib/constructs/reviews.ts), so a reviewer
// receives their own signed link and nobody else's.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { REVIEWER_ATTRIBUTE } from '../../contracts/review-layout';
import type { ReviewerMessage, ReviewNotifier } from '../../ports/review-notifier';

const text = (value: string) => ({ DataType: 'String', StringValue: value });

export class SnsReviewNotifier implements ReviewNotifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notifyReviewer(message: ReviewerMessage): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        Message: message.body,
        MessageAttributes: { [REVIEWER_ATTRIBUTE]: text(message.reviewer), reviewId: text(message.reviewId) },
      }),
    );
  }
}

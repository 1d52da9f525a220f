// Port: the email a review pack's audience receives, each reviewer their own link only.
export interface ReviewerMessage {
  /** The reviewer's email address; the message reaches this reviewer and nobody else. */
  readonly reviewer: string;
  /** `weekly-operational/2026-W47`. */
  readonly reviewId: string;
  /** One line, ASCII, under 100 characters (an email subject). */
  readonly subject: string;
  readonly body: string;
}

export interface ReviewNotifier {
  notifyReviewer(message: ReviewerMessage): Promise<void>;
}

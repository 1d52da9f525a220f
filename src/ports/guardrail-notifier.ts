// Port: messages to people. Approvers get their own link only; owners get the violations they own.
export interface ApproverMessage {
  /** The approver's email address; the message reaches this approver and nobody else. */
  readonly approver: string;
  readonly approvalId: string;
  readonly tier: number;
  /** One line, ASCII, under 100 characters (an email subject). */
  readonly subject: string;
  readonly body: string;
}

export interface OwnerMessage {
  /** The KPI owner's email address. */
  readonly owner: string;
  readonly kpiId: string;
  readonly subject: string;
  readonly body: string;
}

export interface GuardrailNotifier {
  notifyApprover(message: ApproverMessage): Promise<void>;
  notifyOwner(message: OwnerMessage): Promise<void>;
}

// Port: what the approval workflow does with a definition change once decided: publish it, or
// close its proposal unpublished.
import type { DefinitionChange } from '../domain/guardrails/definition-change';

/** Who decided, as the change log records it. */
export interface ChangeApproval {
  readonly approvalId: string;
  readonly approver: string;
  /** Epoch milliseconds. */
  readonly decidedAt: number;
  readonly reason: string | null;
}

export type AppliedChange =
  /** Published as this version (now, or by an earlier attempt of the same step). */
  | { readonly outcome: 'published'; readonly version: number }
  /** Another version was put in force meanwhile: the approved change was not applied. */
  | { readonly outcome: 'stale'; readonly activeVersion: number };

export interface DefinitionChanges {
  /** Publishes an approved change; safe to call again. */
  publish(change: DefinitionChange, approval: ChangeApproval): Promise<AppliedChange>;
  /** Closes the change's proposal unpublished; safe to call again. */
  close(
    change: DefinitionChange,
    status: 'rejected' | 'expired' | 'failed',
    approval: ChangeApproval | null,
  ): Promise<void>;
}

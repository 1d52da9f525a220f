// Domain (review): what reviewers record on a pack. A sign-off says a reviewer looked (with a note);
// an action item is work someone owns with a due date. An item stays open, and is carried into every
// later pack, until someone closes it; closing is recorded like opening.
import * as z from 'zod';
import { reviewKindSchema } from './kinds';

const utcInstant = z.iso.datetime({ offset: false });
const email = z.email().max(254);
/** Notes and item texts: one paragraph, kept in the audit trail. */
export const REVIEW_TEXT_LIMIT = 1000;

export const signOffSchema = z.object({
  reviewId: z.string().min(1),
  kind: reviewKindSchema,
  period: z.string().min(1),
  /** The reviewer's email address, lower case. */
  reviewer: email,
  signedAt: utcInstant,
  note: z.string().max(REVIEW_TEXT_LIMIT).nullable(),
});
export type SignOff = z.infer<typeof signOffSchema>;

export const ACTION_ITEM_STATUSES = ['open', 'closed'] as const;

export const actionItemSchema = z.object({
  /** A UUID. */
  itemId: z.string().min(1).max(64),
  /** The pack it was raised on (`weekly-operational/2026-W47`). */
  reviewId: z.string().min(1),
  /** What is to be done. */
  what: z.string().min(1).max(REVIEW_TEXT_LIMIT),
  /** Who does it (an email address). */
  owner: email,
  /** The day it is due, `YYYY-MM-DD` (UTC). */
  due: z.iso.date(),
  /** The KPI it is about, when it is about one. */
  kpiId: z.string().min(1).nullable(),
  openedAt: utcInstant,
  openedBy: email,
  status: z.enum(ACTION_ITEM_STATUSES),
  closedAt: utcInstant.nullable(),
  closedBy: email.nullable(),
  /** What was done, or why it was dropped. */
  closingNote: z.string().max(REVIEW_TEXT_LIMIT).nullable(),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

/** End of the due day: an item is overdue once its due day is over and it is still open. */
export function dueBy(item: Pick<ActionItem, 'due'>): number {
  return Date.parse(`${item.due}T00:00:00Z`) + 86_400_000;
}

/** Whether an item is open past its due day at `at` (epoch ms). */
export function isOverdue(item: Pick<ActionItem, 'due' | 'status'>, at: number): boolean {
  return item.status === 'open' && dueBy(item) <= at;
}

/** An item as a pack shows it: `carried` when an earlier pack raised it, `overdue` at the pack's time. */
export interface PackedActionItem extends ActionItem {
  readonly carried: boolean;
  readonly overdue: boolean;
}

/**
 * The action items a pack shows: every item open when it is built (carried over when an earlier
 * pack raised it), oldest due first, and the items closed in its change window `[from, to)`.
 */
export function actionItemsForPack(
  items: readonly ActionItem[],
  reviewId: string,
  window: { readonly from: number; readonly to: number },
): { open: PackedActionItem[]; closed: PackedActionItem[] } {
  const pack = (item: ActionItem): PackedActionItem => ({
    ...item,
    carried: item.reviewId !== reviewId,
    overdue: isOverdue(item, window.to),
  });
  const open = items
    .filter((i) => i.status === 'open' && Date.parse(i.openedAt) < window.to)
    .sort((a, b) => (a.due === b.due ? a.openedAt.localeCompare(b.openedAt) : a.due < b.due ? -1 : 1))
    .map(pack);
  const closed = items
    .filter((i) => {
      const at = i.closedAt === null ? Number.NaN : Date.parse(i.closedAt);
      return i.status === 'closed' && at >= window.from && at < window.to;
    })
    .sort((a, b) => (a.closedAt ?? '').localeCompare(b.closedAt ?? ''))
    .map(pack);
  return { open, closed };
}

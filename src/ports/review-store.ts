// Ports: where reviews live. The packs themselves (HTML and JSON) in object storage; what reviewers do
// on them (sign-offs, notes, action items, drift case decisions) in a table. Every state change is
// a conditional write, so two clicks, two reviewers or a retried schedule see exactly one winner.
import type { ActionItem, SignOff } from '../domain/reviews/action-items';
import type { DriftCase } from '../domain/reviews/drift-cases';
import type { ReviewKind } from '../domain/reviews/kinds';

/** A built pack, as the table indexes it. */
export interface PackRecord {
  readonly reviewId: string;
  readonly kind: ReviewKind;
  readonly period: string;
  /** When it was built (its schedule's time), ISO-8601. */
  readonly asOf: string;
  /** Object keys of its HTML page and its JSON. */
  readonly htmlKey: string;
  readonly jsonKey: string;
  readonly audience: readonly string[];
  /** One line: what it holds. */
  readonly headline: string;
}

/** A note a reviewer left on a pack without signing it off. */
export interface ReviewNote {
  readonly reviewId: string;
  readonly reviewer: string;
  readonly at: string;
  readonly note: string;
}

/** A half-open range `[from, to)` of ISO-8601 instants. */
export interface InstantRange {
  readonly from: string;
  readonly to: string;
}

export interface ReviewStore {
  /** Records a built pack; false when the kind and period have one already (a retried schedule). */
  recordPack(record: PackRecord): Promise<boolean>;
  getPack(kind: ReviewKind, period: string): Promise<PackRecord | undefined>;
  /** The latest pack of the kind whose period comes before `period` (periods sort by label). */
  previousPack(kind: ReviewKind, period: string): Promise<PackRecord | undefined>;

  /** Records a reviewer's sign-off once; a second one changes nothing and returns the first. */
  recordSignOff(signOff: SignOff): Promise<{ readonly recorded: boolean; readonly signOff: SignOff }>;
  listSignOffs(kind: ReviewKind, period: string): Promise<SignOff[]>;
  addNote(note: ReviewNote): Promise<void>;
  listNotes(reviewId: string): Promise<ReviewNote[]>;

  /** Stores a new action item; false when its id exists already. */
  addActionItem(item: ActionItem): Promise<boolean>;
  getActionItem(itemId: string): Promise<ActionItem | undefined>;
  /** open → closed, once: `won` is false when it was closed already (the item as it stands). */
  closeActionItem(
    itemId: string,
    closing: Pick<ActionItem, 'closedAt' | 'closedBy' | 'closingNote'>,
  ): Promise<{ readonly won: boolean; readonly item: ActionItem }>;
  /** Every open item, earliest due first. */
  listOpenActionItems(): Promise<ActionItem[]>;
  /** Items closed in the range, oldest first. */
  listClosedActionItems(range: InstantRange): Promise<ActionItem[]>;

  /** Opens a case; false when the KPI's episode has one already. */
  openCase(driftCase: DriftCase): Promise<boolean>;
  /** Grows an open case (its last drifting period, count and message); nothing when it is closed. */
  extendCase(driftCase: DriftCase): Promise<boolean>;
  getCase(caseId: string): Promise<DriftCase | undefined>;
  /** Every case of a KPI, open or closed, oldest episode first. */
  listCasesOfKpi(kpiId: string): Promise<DriftCase[]>;
  /** Every open case. */
  listOpenCases(): Promise<DriftCase[]>;
  /** Cases decided in the range, oldest first. */
  listClosedCases(range: InstantRange): Promise<DriftCase[]>;
  /** open → closed with a decision, once. */
  closeCase(
    caseId: string,
    decision: NonNullable<DriftCase['decision']>,
  ): Promise<{ readonly won: boolean; readonly driftCase: DriftCase }>;
}

/** The HTML page and JSON of packs, in object storage. */
export interface ReviewPackObjects {
  /** Writes the JSON, then the page (so a page always has its JSON). */
  write(kind: ReviewKind, period: string, pack: { readonly html: string; readonly json: string }): Promise<void>;
  /** The pack's JSON, or undefined when none was written. */
  readJson(kind: ReviewKind, period: string): Promise<string | undefined>;
  /** Where the objects are, for people (`s3://bucket/reviews/…`). */
  location(kind: ReviewKind, period: string): { readonly html: string; readonly json: string };
}

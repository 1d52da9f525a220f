// Domain (review): what a reviewer submits from a pack's page, read from the form's fields. Every
// problem is named (which row, which field), and nothing is recorded while one remains.
import * as z from 'zod';
import { REVIEW_TEXT_LIMIT } from './action-items';
import { DRIFT_DECISIONS, type DriftDecision } from './drift-cases';

export interface NewActionItem {
  readonly what: string;
  readonly owner: string;
  /** `YYYY-MM-DD`. */
  readonly due: string;
  readonly kpiId: string | null;
}

export interface ReviewSubmission {
  readonly signOff: boolean;
  readonly note: string | null;
  readonly newItems: readonly NewActionItem[];
  readonly closeItems: readonly { readonly itemId: string; readonly note: string | null }[];
  readonly caseDecisions: readonly {
    readonly caseId: string;
    readonly option: DriftDecision;
    readonly note: string | null;
  }[];
}

export type ParsedSubmission =
  | { readonly ok: true; readonly submission: ReviewSubmission }
  | { readonly ok: false; readonly problems: readonly string[] };

const text = (value: string | undefined) => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};
const email = z.email();
const date = z.iso.date();

/** The most fields a form may carry: a page with every open item and case stays far below it. */
const MAX_FIELDS = 2000;

/**
 * Reads a submission from the form's fields (`application/x-www-form-urlencoded`, in order):
 * `signOff=yes`, `note`, `item<N>.what|owner|due|kpi`, `close=<itemId>` with `closeNote.<itemId>`,
 * `case.<caseId>=<option>` with `caseNote.<caseId>`. `today` (`YYYY-MM-DD`) is the earliest due day.
 */
export function parseReviewForm(fields: readonly (readonly [string, string])[], today: string): ParsedSubmission {
  if (fields.length > MAX_FIELDS) return { ok: false, problems: [`the form has more than ${MAX_FIELDS} fields`] };
  const one = new Map<string, string>();
  const closing: string[] = [];
  for (const [key, value] of fields) {
    if (key === 'close') closing.push(value);
    else one.set(key, value);
  }
  const problems: string[] = [];
  const limited = (label: string, value: string | null) => {
    if (value !== null && value.length > REVIEW_TEXT_LIMIT) {
      problems.push(`${label}: at most ${REVIEW_TEXT_LIMIT} characters`);
      return value.slice(0, REVIEW_TEXT_LIMIT);
    }
    return value;
  };
  const note = limited('note', text(one.get('note')));

  const newItems: NewActionItem[] = [];
  const rows = new Set<number>();
  for (const key of one.keys()) {
    const match = /^item(\d{1,2})\.(what|owner|due|kpi)$/.exec(key);
    if (match) rows.add(Number(match[1]));
  }
  for (const row of [...rows].sort((a, b) => a - b)) {
    const what = text(one.get(`item${row}.what`));
    const owner = text(one.get(`item${row}.owner`));
    const due = text(one.get(`item${row}.due`));
    const kpiId = text(one.get(`item${row}.kpi`));
    if (what === null && owner === null && due === null) continue;
    const label = `new action item ${row + 1}`;
    if (what === null) problems.push(`${label}: say what is to be done`);
    if (owner === null || !email.safeParse(owner).success)
      problems.push(`${label}: the owner must be an email address`);
    if (due === null || !date.safeParse(due).success)
      problems.push(`${label}: the due day must be a date (YYYY-MM-DD)`);
    else if (due < today) problems.push(`${label}: the due day ${due} is in the past`);
    newItems.push({
      what: limited(`${label}: what`, what) ?? '',
      owner: (owner ?? '').toLowerCase(),
      due: due ?? '',
      kpiId,
    });
  }

  const closeItems = [...new Set(closing)].map((itemId) => ({
    itemId,
    note: limited(`closing note of ${itemId}`, text(one.get(`closeNote.${itemId}`))),
  }));

  const caseDecisions: ReviewSubmission['caseDecisions'][number][] = [];
  for (const [key, value] of one) {
    if (!key.startsWith('case.') || value === '') continue;
    const caseId = key.slice('case.'.length);
    if (!(DRIFT_DECISIONS as readonly string[]).includes(value)) {
      problems.push(`case ${caseId}: "${value}" is not a decision option`);
      continue;
    }
    caseDecisions.push({
      caseId,
      option: value as DriftDecision,
      note: limited(`case ${caseId}: why`, text(one.get(`caseNote.${caseId}`))),
    });
  }

  const signOff = one.get('signOff') === 'yes';
  if (!signOff && note === null && newItems.length === 0 && closeItems.length === 0 && caseDecisions.length === 0) {
    problems.push('nothing to record: sign off, write a note, add or close an item, or decide a case');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, submission: { signOff, note, newItems, closeItems, caseDecisions } };
}

import { describe, expect, it } from 'vitest';
import { parseReviewForm } from '../../../src/domain/reviews/review-form';

const today = '2026-11-23';
const form = (fields: Record<string, string | string[]>) =>
  Object.entries(fields).flatMap(([k, v]) => [v].flat().map((one) => [k, one] as const));

describe('the review form', () => {
  it('reads a sign-off with a note, a new action item, items to close and a case decision', () => {
    const parsed = parseReviewForm(
      form({
        signOff: 'yes',
        note: '  looked at every red  ',
        'item0.what': 'Alert on CRM lag',
        'item0.owner': 'Data-Eng@Example.com',
        'item0.due': '2026-11-30',
        'item0.kpi': 'data_freshness',
        'item1.what': '',
        'item1.owner': '',
        'item1.due': '',
        'item1.kpi': '',
        close: ['i-1', 'i-2', 'i-1'],
        'closeNote.i-1': 'done',
        'case.ctr/2026-11-20T00:00:00.000Z': 'recalibrate_target',
        'caseNote.ctr/2026-11-20T00:00:00.000Z': 'new baseline after the launch',
        'case.cac/2026-11-21T00:00:00.000Z': '',
      }),
      today,
    );
    expect(parsed).toEqual({
      ok: true,
      submission: {
        signOff: true,
        note: 'looked at every red',
        newItems: [
          { what: 'Alert on CRM lag', owner: 'data-eng@example.com', due: '2026-11-30', kpiId: 'data_freshness' },
        ],
        closeItems: [
          { itemId: 'i-1', note: 'done' },
          { itemId: 'i-2', note: null },
        ],
        caseDecisions: [
          {
            caseId: 'ctr/2026-11-20T00:00:00.000Z',
            option: 'recalibrate_target',
            note: 'new baseline after the launch',
          },
        ],
      },
    });
  });

  it('names every problem of every row and records nothing', () => {
    const parsed = parseReviewForm(
      form({
        'item0.what': 'x',
        'item0.owner': 'not an email',
        'item0.due': '2026-11-01',
        'item2.owner': 'a@example.com',
        'case.ctr/1': 'delete_everything',
      }),
      today,
    );
    expect(parsed).toEqual({
      ok: false,
      problems: [
        'new action item 1: the owner must be an email address',
        'new action item 1: the due day 2026-11-01 is in the past',
        'new action item 3: say what is to be done',
        'new action item 3: the due day must be a date (YYYY-MM-DD)',
        'case ctr/1: "delete_everything" is not a decision option',
      ],
    });
  });

  it('refuses an empty form and an oversized note', () => {
    expect(parseReviewForm([], today)).toEqual({
      ok: false,
      problems: ['nothing to record: sign off, write a note, add or close an item, or decide a case'],
    });
    expect(parseReviewForm(form({ note: 'x'.repeat(1001) }), today)).toEqual({
      ok: false,
      problems: ['note: at most 1000 characters'],
    });
  });
});

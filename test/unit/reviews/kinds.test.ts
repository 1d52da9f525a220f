import { describe, expect, it } from 'vitest';
import {
  DATA_QUALITY_COMMITS_KEY,
  DATA_QUALITY_RECORDS_PREFIX,
  GOVERNANCE_RECORDS_PREFIX,
} from '../../../src/contracts/pipeline-records';
import { RAW_PREFIX } from '../../../src/contracts/raw-layout';
import { REVIEW_KINDS as LAYOUT_KINDS } from '../../../src/contracts/review-layout';
import { GOVERNANCE_DATASET_ID } from '../../../src/domain/guardrails/audit';
import { PIPELINE_INGEST_DATASET } from '../../../src/domain/ingest/data-quality';
import {
  parseReviewId,
  previousReviewPeriod,
  REVIEW_KINDS,
  reviewPeriodBefore,
  reviewPeriodOf,
} from '../../../src/domain/reviews/kinds';

const iso = (ms: number) => new Date(ms).toISOString();

describe('review periods', () => {
  it('reviews the ISO week that ended before a Monday-morning schedule', () => {
    const period = reviewPeriodBefore('weekly-operational', Date.parse('2026-11-23T08:00:00Z'));
    expect(period.label).toBe('2026-W47');
    expect(iso(period.start)).toBe('2026-11-16T00:00:00.000Z');
    expect(iso(period.end)).toBe('2026-11-23T00:00:00.000Z');
  });

  it('reviews the calendar month that ended before a schedule on the first', () => {
    const period = reviewPeriodBefore('monthly-business', Date.parse('2026-12-01T09:00:00Z'));
    expect(period).toEqual({
      label: '2026-11',
      start: Date.parse('2026-11-01T00:00:00Z'),
      end: Date.parse('2026-12-01T00:00:00Z'),
    });
  });

  it('labels a week by the year of its Thursday (ISO 8601)', () => {
    expect(reviewPeriodBefore('weekly-operational', Date.parse('2027-01-04T08:00:00Z')).label).toBe('2026-W53');
    expect(reviewPeriodBefore('weekly-operational', Date.parse('2026-01-05T08:00:00Z')).label).toBe('2026-W01');
    expect(iso(reviewPeriodBefore('weekly-operational', Date.parse('2026-01-05T08:00:00Z')).start)).toBe(
      '2025-12-29T00:00:00.000Z',
    );
  });

  it('reads a label back into the same period, and refuses one that names no period of the kind', () => {
    const week = reviewPeriodBefore('weekly-operational', Date.parse('2026-11-23T08:00:00Z'));
    expect(reviewPeriodOf('weekly-operational', week.label)).toEqual(week);
    expect(reviewPeriodOf('weekly-operational', '2025-W53')).toBeNull();
    expect(reviewPeriodOf('weekly-operational', '2026-W00')).toBeNull();
    expect(reviewPeriodOf('weekly-operational', '2026-11')).toBeNull();
    expect(reviewPeriodOf('monthly-business', '2026-13')).toBeNull();
    expect(reviewPeriodOf('monthly-business', '2026-W47')).toBeNull();
  });

  it('steps back one period', () => {
    const period = reviewPeriodOf('monthly-business', '2026-01');
    expect(period && previousReviewPeriod('monthly-business', period).label).toBe('2025-12');
  });

  it('parses review ids and refuses others', () => {
    expect(parseReviewId('weekly-operational/2026-W47')).toEqual({ kind: 'weekly-operational', label: '2026-W47' });
    expect(parseReviewId('weekly-operational/2026-11')).toBeNull();
    expect(parseReviewId('quarterly/2026-Q4')).toBeNull();
    expect(parseReviewId('monthly-business/2026-11/extra')).toBeNull();
  });

  it('names the same kinds as the layout the CDK app reads', () => {
    expect([...LAYOUT_KINDS]).toEqual([...REVIEW_KINDS]);
  });

  it('grants the prefixes the pipeline records are written under', () => {
    expect(GOVERNANCE_RECORDS_PREFIX).toBe(`${RAW_PREFIX}dataset=${GOVERNANCE_DATASET_ID}/`);
    expect(DATA_QUALITY_RECORDS_PREFIX).toBe(`${RAW_PREFIX}dataset=${PIPELINE_INGEST_DATASET}/`);
    expect(DATA_QUALITY_COMMITS_KEY).toBe(`COMMITS#${PIPELINE_INGEST_DATASET}`);
  });
});

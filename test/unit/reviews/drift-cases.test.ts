import { describe, expect, it } from 'vitest';
import {
  type DriftPoint,
  driftCaseId,
  driftEpisodes,
  reconcileDriftCases,
} from '../../../src/domain/reviews/drift-cases';
import { DAY, driftCase } from '../../support/review-fixtures';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);

function points(drifting: readonly string[], from = '2026-11-01', n = 30): DriftPoint[] {
  return Array.from({ length: n }, (_, i) => {
    const start = day(from) + i * DAY;
    const on = drifting.includes(new Date(start).toISOString().slice(0, 10));
    return { periodStart: start, drifting: on, direction: on ? 'up' : null, message: on ? `drift ${i}` : '' };
  });
}

describe('drift episodes', () => {
  it('groups drifting periods separated by at most two quiet ones into one episode', () => {
    const episodes = driftEpisodes(points(['2026-11-10', '2026-11-11', '2026-11-14', '2026-11-20']), 'day');
    expect(episodes.map((e) => [new Date(e.first).toISOString().slice(0, 10), e.periods])).toEqual([
      ['2026-11-10', 3],
      ['2026-11-20', 1],
    ]);
    expect(episodes[0]?.message).toBe('drift 13');
  });
});

describe('drift review cases', () => {
  it('opens one case per episode, not one per drifting period', () => {
    const { toOpen, toExtend } = reconcileDriftCases([], points(['2026-11-10', '2026-11-11', '2026-11-12']), 'day');
    expect(toOpen).toHaveLength(1);
    expect(toExtend).toEqual([]);
    expect(driftCaseId('bid_latency_p95', toOpen[0] as NonNullable<(typeof toOpen)[0]>)).toBe(
      'bid_latency_p95/2026-11-10T00:00:00.000Z',
    );
  });

  it('grows an open case when its episode goes on instead of opening another', () => {
    const result = reconcileDriftCases(
      [driftCase()],
      points(['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-14', '2026-11-15']),
      'day',
    );
    expect(result.toOpen).toEqual([]);
    expect(result.toExtend.map((e) => [e.driftCase.caseId, new Date(e.last).toISOString(), e.added])).toEqual([
      ['bid_latency_p95/2026-11-10T00:00:00.000Z', '2026-11-15T00:00:00.000Z', 2],
    ]);
  });

  it('changes nothing when the episode a case covers has no new drifting period', () => {
    expect(reconcileDriftCases([driftCase()], points(['2026-11-11', '2026-11-12']), 'day')).toEqual({
      toOpen: [],
      toExtend: [],
    });
  });

  it('leaves a decided case closed while its episode lasts, and opens a new case for a later episode', () => {
    const decided = driftCase({
      status: 'closed',
      decision: {
        option: 'explain',
        note: 'a launch',
        by: 'ops@example.com',
        at: '2026-11-13T10:00:00.000Z',
        reviewId: 'r',
      },
    });
    const same = reconcileDriftCases([decided], points(['2026-11-12', '2026-11-13']), 'day');
    expect(same).toEqual({ toOpen: [], toExtend: [] });
    const later = reconcileDriftCases([decided], points(['2026-11-12', '2026-11-25']), 'day');
    expect(later.toOpen.map((e) => new Date(e.first).toISOString().slice(0, 10))).toEqual(['2026-11-25']);
  });
});

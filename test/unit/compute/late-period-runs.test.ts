import { describe, expect, it } from 'vitest';
import type { RecomputeMark } from '../../../src/ports/ingest-ledger';
import { latePeriodRuns } from '../../../src/usecases/refresh-kpi';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 26, 6);

function ledger(marks: Omit<RecomputeMark, 'batchId' | 'records'>[]) {
  const asked: string[] = [];
  return {
    asked,
    lateData: {
      recomputeMarks: async (dataset: string, markedSince = Number.NEGATIVE_INFINITY) => {
        asked.push(dataset);
        return marks
          .filter((m) => m.dataset === dataset && m.markedAt >= markedSince)
          .map((m) => ({ ...m, batchId: 'b', records: 1 }));
      },
    },
  };
}

describe('late period runs', () => {
  it('turns marked hours before the lookback into runs of whole periods, consecutive ones joined', async () => {
    const { lateData, asked } = ledger([
      { dataset: 'crm', periodStart: Date.UTC(2026, 10, 2, 9), markedAt: NOW - HOUR },
      { dataset: 'crm', periodStart: Date.UTC(2026, 10, 2, 23), markedAt: NOW - HOUR },
      { dataset: 'web', periodStart: Date.UTC(2026, 10, 3, 1), markedAt: NOW - 2 * DAY },
      { dataset: 'web', periodStart: Date.UTC(2026, 10, 10, 4), markedAt: NOW - DAY },
      // Inside the lookback: the refresh covers it anyway.
      { dataset: 'crm', periodStart: Date.UTC(2026, 10, 20, 4), markedAt: NOW - HOUR },
      // Marked too long ago: expired.
      { dataset: 'crm', periodStart: Date.UTC(2026, 10, 5, 4), markedAt: NOW - 8 * DAY },
      // A dataset the KPI does not read.
      { dataset: 'ads', periodStart: Date.UTC(2026, 10, 7, 4), markedAt: NOW - HOUR },
    ]);
    const runs = await latePeriodRuns(
      { lateData },
      { grain: 'day', datasets: [{ id: 'crm' }, { id: 'web' }, { id: 'crm' }] as never },
      Date.UTC(2026, 10, 19),
      NOW,
    );
    expect(runs).toEqual([
      { from: Date.UTC(2026, 10, 2), to: Date.UTC(2026, 10, 4) },
      { from: Date.UTC(2026, 10, 10), to: Date.UTC(2026, 10, 11) },
    ]);
    expect(asked).toEqual(['crm', 'web']);
  });

  it('places hours in the periods of the KPI grain (ISO weeks from Monday)', async () => {
    const { lateData } = ledger([{ dataset: 'crm', periodStart: Date.UTC(2026, 9, 14, 12), markedAt: NOW - HOUR }]);
    const runs = await latePeriodRuns(
      { lateData },
      { grain: 'week', datasets: [{ id: 'crm' }] as never },
      Date.UTC(2026, 10, 2),
      NOW,
    );
    expect(runs).toEqual([{ from: Date.UTC(2026, 9, 12), to: Date.UTC(2026, 9, 19) }]);
  });

  it('asks nothing without a ledger', async () => {
    expect(await latePeriodRuns({}, { grain: 'day', datasets: [] as never }, NOW, NOW)).toEqual([]);
  });
});

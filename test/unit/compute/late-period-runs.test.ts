import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDefinitionFile } from '../../../src/contracts/kpi-definition-files';
import type { KpiDefinition } from '../../../src/domain/definition/schema';
import type { RecomputeMark } from '../../../src/ports/ingest-ledger';
import type { CachedPartition } from '../../../src/ports/partial-cache';
import { latePeriodRuns, refreshRange } from '../../../src/usecases/refresh-kpi';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 26, 6);

const definition = (id: string): KpiDefinition =>
  readDefinitionFile(path.resolve(__dirname, '../../../kpis/definitions', `${id}.yaml`)).definition;

type Mark = Pick<RecomputeMark, 'dataset' | 'periodStart' | 'markedAt'> & { batchId?: string };

/** A ledger holding `marks`, and what the KPI's partial cache keeps of some hours (their manifests). */
function world(marks: Mark[], partitions: Record<string, string[]> = {}) {
  const asked: string[] = [];
  const kept = Object.fromEntries(
    Object.entries(partitions).map(([key, manifests]): [string, CachedPartition] => [
      key,
      { fingerprint: 'f', rows: 1, quarantined: 0, newestEventAt: null, manifests, objects: 1 },
    ]),
  );
  const lateData = {
    recomputeMarks: async (dataset: string, markedSince = Number.NEGATIVE_INFINITY) => {
      asked.push(dataset);
      return marks
        .filter((m) => m.dataset === dataset && m.markedAt >= markedSince)
        .map((m) => ({ batchId: 'late-batch', records: 1, ...m }));
    },
  };
  return { deps: { lateData }, kept, asked };
}

describe('late period runs', () => {
  it('turns marked hours before the lookback into runs of whole periods, consecutive ones joined', async () => {
    const kpi = definition('lead_to_opportunity_rate'); // monthly, over leads and opportunities
    const { deps, kept, asked } = world([
      { dataset: 'crm_leads', periodStart: Date.UTC(2026, 7, 2, 9), markedAt: NOW - HOUR },
      { dataset: 'crm_leads', periodStart: Date.UTC(2026, 7, 31, 23), markedAt: NOW - HOUR },
      { dataset: 'crm_opportunities', periodStart: Date.UTC(2026, 8, 3, 1), markedAt: NOW - 2 * DAY },
      { dataset: 'crm_opportunities', periodStart: Date.UTC(2026, 5, 10, 4), markedAt: NOW - DAY },
      // Inside the lookback: the refresh covers it anyway.
      { dataset: 'crm_leads', periodStart: Date.UTC(2026, 10, 20, 4), markedAt: NOW - HOUR },
      // Marked too long ago: expired.
      { dataset: 'crm_leads', periodStart: Date.UTC(2026, 6, 5, 4), markedAt: NOW - 8 * DAY },
      // A dataset the KPI does not read.
      { dataset: 'ad_performance', periodStart: Date.UTC(2026, 6, 7, 4), markedAt: NOW - HOUR },
    ]);
    const runs = await latePeriodRuns(deps, kpi, kept, Date.UTC(2026, 10, 1), NOW);
    expect(runs).toEqual([
      { from: Date.UTC(2026, 5, 1), to: Date.UTC(2026, 6, 1) },
      { from: Date.UTC(2026, 7, 1), to: Date.UTC(2026, 9, 1) },
    ]);
    expect(asked).toEqual(['crm_leads', 'crm_opportunities']);
  });

  it('skips a mark whose batch the kept partial of that hour already holds', async () => {
    const kpi = definition('lead_to_opportunity_rate');
    const { deps, kept } = world(
      [
        { dataset: 'crm_leads', periodStart: Date.UTC(2026, 8, 2, 9), markedAt: NOW - HOUR, batchId: 'b-1' },
        { dataset: 'crm_leads', periodStart: Date.UTC(2026, 6, 3, 9), markedAt: NOW - HOUR, batchId: 'b-2' },
      ],
      {
        'crm_leads/date=2026-09-02/hour=09': ['raw/_manifests/dataset=crm_leads/date=2026-11-25/b-1.json'],
        'crm_leads/date=2026-07-03/hour=09': ['raw/_manifests/dataset=crm_leads/date=2026-07-04/b-0.json'],
      },
    );
    expect(await latePeriodRuns(deps, kpi, kept, Date.UTC(2026, 10, 1), NOW)).toEqual([
      { from: Date.UTC(2026, 6, 1), to: Date.UTC(2026, 7, 1) },
    ]);
  });

  it('places hours in the periods of the KPI grain (ISO weeks from Monday)', async () => {
    const kpi = definition('mttr');
    const { deps, kept } = world([
      { dataset: 'agent_events', periodStart: Date.UTC(2026, 9, 14, 12), markedAt: NOW - HOUR },
    ]);
    expect(await latePeriodRuns(deps, kpi, kept, Date.UTC(2026, 10, 2), NOW)).toEqual([
      { from: Date.UTC(2026, 9, 12), to: Date.UTC(2026, 9, 19) },
    ]);
  });

  it('asks nothing without a ledger', async () => {
    expect(await latePeriodRuns({}, definition('mttr'), {}, NOW, NOW)).toEqual([]);
  });
});

describe('refreshRange over long grains', () => {
  it('refreshes the current year and the one before it', () => {
    expect(refreshRange('year', NOW)).toEqual({ from: Date.UTC(2025, 0, 1), to: Date.UTC(2027, 0, 1) });
  });

  it('refreshes the one all_time period', () => {
    expect(refreshRange('all_time', NOW)).toEqual({ from: 0, to: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
  });
});

import { describe, expect, it } from 'vitest';
import { reviewAuditEvent } from '../../../src/domain/guardrails/audit';
import type { TypedRecord } from '../../../src/domain/records';
import { actionItemsForPack } from '../../../src/domain/reviews/action-items';
import { reviewPeriodOf } from '../../../src/domain/reviews/kinds';
import type { ScorecardEntry } from '../../../src/domain/reviews/scorecard';
import {
  type ReviewedKpi,
  scorecardAt,
  type WhatChangedInput,
  whatChanged,
} from '../../../src/domain/reviews/what-changed';
import { diffDefinitions } from '../../../src/domain/versioning/semantic-diff';
import { actionItem, DAY, days, kpiSummary, restatement, storedPoint } from '../../support/review-fixtures';

const period = reviewPeriodOf('weekly-operational', '2026-W47');
if (!period) throw new Error('no such week');
// Built on Monday 2026-11-23 08:00 UTC; the previous pack was built a week before.
const window = { from: Date.parse('2026-11-16T08:00:00Z'), to: Date.parse('2026-11-23T08:00:00Z') };

/** Two weeks of green days of SLA adherence, with some days replaced. */
function sla(changes: Record<string, Parameters<typeof storedPoint>[1]> = {}): ReviewedKpi {
  return {
    kpi: kpiSummary(),
    series: days('2026-11-09', 14).map((day) => storedPoint('sla_adherence', changes[day] ?? { day, value: 0.97 })),
  };
}

function input(overrides: Partial<WhatChangedInput> = {}): WhatChangedInput {
  return {
    period: period as NonNullable<typeof period>,
    window,
    kpis: [sla()],
    previousScorecard: null,
    definitionChanges: [],
    governance: [],
    ingest: [],
    ingestBefore: [],
    ...overrides,
  };
}

describe('what changed since the previous pack', () => {
  it('reports nothing for a week where nothing moved', () => {
    const changes = whatChanged(input());
    expect(changes.statusTransitions).toEqual([]);
    expect(changes.newReds).toEqual([]);
    expect(changes.restatements).toEqual([]);
    expect(changes.definitionChanges).toEqual([]);
  });

  it('reports a new red with its first period and the status transition it causes', () => {
    const red = (day: string) => ({ day, value: 0.62, status: 'red' as const });
    const changes = whatChanged(
      input({ kpis: [sla({ '2026-11-20': red('2026-11-20'), '2026-11-22': red('2026-11-22') })] }),
    );
    expect(changes.newReds).toEqual([
      {
        kpiId: 'sla_adherence',
        name: 'SLA adherence',
        firstPeriod: '2026-11-20T00:00:00.000Z',
        periods: 2,
        value: 0.62,
      },
    ]);
    expect(changes.statusTransitions).toEqual([
      {
        kpiId: 'sla_adherence',
        name: 'SLA adherence',
        from: 'green',
        to: 'red',
        fromPeriod: '2026-11-15T00:00:00.000Z',
        toPeriod: '2026-11-22T00:00:00.000Z',
        redProbability: null,
        horizon: null,
      },
    ]);
  });

  it('does not call a red new when the previous pack already showed the KPI red', () => {
    const red = { day: '2026-11-17', value: 0.6, status: 'red' as const };
    const previous = whatChanged(input()).statusTransitions;
    expect(previous).toEqual([]);
    const changes = whatChanged(
      input({
        kpis: [sla({ '2026-11-17': red })],
        previousScorecard: [
          {
            kpiId: 'sla_adherence',
            name: 'SLA adherence',
            category: 'operational_health',
            unit: 'percent',
            grain: 'day',
            periodStart: '2026-11-15T00:00:00.000Z',
            value: 0.61,
            status: 'red',
            provisional: false,
            drifting: false,
            definitionVersion: 1,
            trend: 'down',
            trendMeaning: 'worse',
            redProbability: null,
            horizon: null,
          },
        ],
      }),
    );
    expect(changes.newReds).toEqual([]);
    expect(changes.statusTransitions.map((t) => `${t.from} → ${t.to}`)).toEqual(['red → green']);
  });

  it('reports a KPI turning at_risk as a status transition with its probability of red and horizon, and as newly at risk', () => {
    const atRisk = (day: string, probabilityRed: number) => ({
      day,
      value: 0.8,
      status: 'at_risk' as const,
      forecast: { probabilityRed, steps: 7 },
    });
    const changes = whatChanged(
      input({ kpis: [sla({ '2026-11-21': atRisk('2026-11-21', 0.55), '2026-11-22': atRisk('2026-11-22', 0.71) })] }),
    );
    expect(changes.statusTransitions).toEqual([
      {
        kpiId: 'sla_adherence',
        name: 'SLA adherence',
        from: 'green',
        to: 'at_risk',
        fromPeriod: '2026-11-15T00:00:00.000Z',
        toPeriod: '2026-11-22T00:00:00.000Z',
        redProbability: 0.71,
        horizon: '2026-11-29T00:00:00.000Z',
      },
    ]);
    expect(changes.newAtRisks).toEqual([
      {
        kpiId: 'sla_adherence',
        name: 'SLA adherence',
        firstPeriod: '2026-11-21T00:00:00.000Z',
        periods: 2,
        value: 0.8,
        redProbability: 0.71,
        horizon: '2026-11-29T00:00:00.000Z',
      },
    ]);
    expect(changes.newReds).toEqual([]);
  });

  it('reports at-risk days of the week even when the KPI is back to green at its end, but not one the previous pack showed at risk', () => {
    const week = {
      '2026-11-18': { day: '2026-11-18', value: 0.8, status: 'at_risk' as const, forecast: { probabilityRed: 0.6 } },
    };
    const back = whatChanged(input({ kpis: [sla(week)] }));
    expect(back.statusTransitions).toEqual([]);
    expect(back.newAtRisks.map((r) => [r.firstPeriod.slice(0, 10), r.periods, r.redProbability])).toEqual([
      ['2026-11-18', 1, 0.6],
    ]);
    const previous = whatChanged(input()).statusTransitions;
    expect(previous).toEqual([]);
    const carried = whatChanged(
      input({
        kpis: [sla(week)],
        previousScorecard: [
          {
            ...scorecardAt([sla()], Date.parse('2026-11-16T00:00:00Z'))[0],
            status: 'at_risk',
          } as ScorecardEntry,
        ],
      }),
    );
    expect(carried.newAtRisks).toEqual([]);
    expect(carried.statusTransitions.map((t) => `${t.from} → ${t.to}`)).toEqual(['at_risk → green']);
  });

  it('reports a restatement made in the window with its old and new values and why', () => {
    const restated = restatement('sla_adherence', '2026-11-12', { restatedAt: '2026-11-20T10:00:00.000Z' });
    const outside = restatement('sla_adherence', '2026-11-10', { restatedAt: '2026-11-12T10:00:00.000Z' });
    const changes = whatChanged(
      input({
        kpis: [
          sla({
            '2026-11-12': { day: '2026-11-12', value: 0.7, status: 'yellow', restatements: [restated] },
            '2026-11-10': { day: '2026-11-10', value: 0.7, status: 'yellow', restatements: [outside] },
          }),
        ],
      }),
    );
    expect(changes.restatements).toEqual([
      {
        kpiId: 'sla_adherence',
        name: 'SLA adherence',
        grain: 'day',
        periodStart: '2026-11-12T00:00:00.000Z',
        dimensions: '*',
        previous: { value: 0.9, status: 'green', definitionVersion: 1 },
        current: { value: 0.7, status: 'yellow', definitionVersion: 1 },
        cause: 'input_change',
        why: 'late or corrected input data',
        restatedAt: '2026-11-20T10:00:00.000Z',
      },
    ]);
  });

  it('reports a rollback with its semantic diff and the values it restated', () => {
    const v2 = { target: { thresholds: { green: 0.95, yellow: 0.9 } } };
    const v1 = { target: { thresholds: { green: 0.9, yellow: 0.8 } } };
    const rolledBackAt = Date.parse('2026-11-19T14:00:00Z');
    const restated = restatement('sla_adherence', '2026-11-18', {
      cause: 'definition_change',
      previous: { value: 0.93, status: 'yellow', definitionVersion: 2, computedAt: '2026-11-19T01:00:00.000Z' },
      current: { value: 0.93, status: 'green', definitionVersion: 1, computedAt: '2026-11-19T14:05:00.000Z' },
      restatedAt: '2026-11-19T14:05:00.000Z',
    });
    const changes = whatChanged(
      input({
        kpis: [
          sla({
            '2026-11-18': { day: '2026-11-18', value: 0.93, status: 'green', version: 1, restatements: [restated] },
          }),
        ],
        definitionChanges: [
          {
            change: {
              id: 'sla_adherence',
              seq: 3,
              action: 'rollback',
              fromVersion: 2,
              toVersion: 1,
              hash: 'sha256:v1',
              author: 'maria@example.com',
              reason: 'v2 thresholds were too strict',
              at: rolledBackAt,
            },
            diff: diffDefinitions(v2, v1),
          },
        ],
      }),
    );
    expect(changes.definitionChanges).toEqual([
      {
        kpiId: 'sla_adherence',
        action: 'rollback',
        fromVersion: 2,
        toVersion: 1,
        author: 'maria@example.com',
        reason: 'v2 thresholds were too strict',
        at: '2026-11-19T14:00:00.000Z',
        diff: [
          '~ target.thresholds.green: 0.95 → 0.9 (-0.05) [evaluation]',
          '~ target.thresholds.yellow: 0.9 → 0.8 (-0.1) [evaluation]',
        ],
        impact: 'evaluation',
        requiresRecompute: false,
        restated: 1,
      },
    ]);
    expect(changes.restatements[0]?.why).toBe('definition v2 → v1');
  });

  it('leaves out definition changes outside the window', () => {
    const changes = whatChanged(
      input({
        definitionChanges: [
          {
            change: {
              id: 'sla_adherence',
              seq: 1,
              action: 'publish',
              fromVersion: null,
              toVersion: 1,
              hash: 'sha256:v1',
              author: 'npm-start',
              reason: 'initial',
              at: window.from - DAY,
            },
            diff: null,
          },
        ],
      }),
    );
    expect(changes.definitionChanges).toEqual([]);
  });

  it('reports approvals asked and decided, and autonomy changes, from the audit trail', () => {
    const base = { reviewId: null, reviewKind: null };
    const asked = reviewAuditEvent({
      ...base,
      eventId: 'a|requested',
      type: 'approval_requested',
      occurredAt: '2026-11-18T09:00:00.000Z',
      actor: 'workflow',
      approvalId: 'a',
      kpiId: 'sla_adherence',
    });
    const decided = reviewAuditEvent({
      ...base,
      eventId: 'a|decision',
      type: 'decision_recorded',
      occurredAt: '2026-11-18T09:30:00.000Z',
      actor: 'approver:ana@example.com',
      approvalId: 'a',
      kpiId: 'sla_adherence',
      decision: 'rejected',
      agentContinued: true,
      latencyMs: 1_800_000,
    });
    const supervised = reviewAuditEvent({
      ...base,
      eventId: 'a|applied',
      type: 'autonomy_changed',
      occurredAt: '2026-11-18T09:30:01.000Z',
      actor: 'approver:ana@example.com',
      fromMode: 'autonomous',
      toMode: 'supervised',
      reason: 'too many misses',
    });
    const changes = whatChanged(input({ governance: [decided, asked, supervised] }));
    expect(changes.approvals.map((a) => [a.event, a.approver, a.agentContinued, a.latencyMinutes])).toEqual([
      ['asked', null, null, null],
      ['decided', 'ana@example.com', true, 30],
    ]);
    expect(changes.autonomyChanges).toEqual([
      {
        at: '2026-11-18T09:30:01.000Z',
        subject: null,
        from: 'autonomous',
        to: 'supervised',
        actor: 'approver:ana@example.com',
        reason: 'too many misses',
      },
    ]);
  });

  it('reports freshness breaches per dataset and quarantine spikes by reason against the window before', () => {
    const batch = (dataset: string, at: number, lagMinutes: number, received = 1000): TypedRecord => ({
      record_type: 'batch',
      dataset,
      ingested_at: at,
      rows_received: received,
      freshness_lag_seconds: lagMinutes * 60,
    });
    const reason = (dataset: string, code: string, rows: number): TypedRecord => ({
      record_type: 'quarantine_reason',
      dataset,
      reason: code,
      rows_quarantined: rows,
    });
    const t = window.from + DAY;
    const changes = whatChanged(
      input({
        ingest: [
          batch('crm_leads', t, 370),
          batch('crm_leads', t + 3_600_000, 400),
          batch('web_sessions', t, 5, 2000),
          reason('web_sessions', 'invalid_boolean', 240),
          reason('web_sessions', 'invalid_timestamp', 3),
        ],
        ingestBefore: [batch('web_sessions', t - 7 * DAY, 5, 2000), reason('web_sessions', 'invalid_boolean', 2)],
      }),
    );
    expect(changes.dataQuality.freshnessBreaches).toEqual([
      {
        dataset: 'crm_leads',
        batches: 2,
        worstLagMinutes: 400,
        firstAt: new Date(t).toISOString(),
        lastAt: new Date(t + 3_600_000).toISOString(),
      },
    ]);
    expect(changes.dataQuality.quarantineSpikes).toEqual([
      {
        dataset: 'web_sessions',
        reason: 'invalid_boolean',
        rows: 240,
        rate: 0.12,
        baselineRows: 2,
        baselineRate: 0.001,
      },
    ]);
  });
});

describe('action items in a pack', () => {
  it('carries an item raised on an earlier pack into the next one until it is closed, flagged overdue', () => {
    const open = actionItem();
    const packed = actionItemsForPack([open], 'weekly-operational/2026-W47', window);
    expect(packed.open).toEqual([{ ...open, carried: true, overdue: true }]);
    expect(packed.closed).toEqual([]);

    const closed = {
      ...open,
      status: 'closed' as const,
      closedAt: '2026-11-27T10:00:00.000Z',
      closedBy: 'data-eng@example.com',
      closingNote: 'fixed',
    };
    const nextWindow = { from: window.to, to: window.to + 7 * DAY };
    const next = actionItemsForPack([closed], 'weekly-operational/2026-W48', nextWindow);
    expect(next.open).toEqual([]);
    expect(next.closed.map((i) => i.itemId)).toEqual(['item-1']);
    expect(
      actionItemsForPack([closed], 'weekly-operational/2026-W49', { from: nextWindow.to, to: nextWindow.to + 7 * DAY }),
    ).toEqual({
      open: [],
      closed: [],
    });
  });

  it('shows an item raised on this pack as not carried, and not overdue before its due day is over', () => {
    const fresh = actionItem({
      reviewId: 'weekly-operational/2026-W47',
      due: '2026-11-23',
      openedAt: '2026-11-23T07:00:00.000Z',
    });
    expect(actionItemsForPack([fresh], 'weekly-operational/2026-W47', window).open).toEqual([
      { ...fresh, carried: false, overdue: false },
    ]);
  });
});

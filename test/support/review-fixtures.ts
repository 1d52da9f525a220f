// Test support: daily KPI series and the pieces a review pack is built from, for the review domain
// and use-case tests.
import type { ActionItem } from '../../src/domain/reviews/action-items';
import type { DriftCase } from '../../src/domain/reviews/drift-cases';
import { REVIEW_PACK_FORMAT, type ReviewPack } from '../../src/domain/reviews/pack';
import type { ReviewedKpiSummary } from '../../src/domain/reviews/scorecard';
import type { DriftSummary, ValueForecast, ValueStatus } from '../../src/domain/values/kpi-value';
import type { Restatement, StoredKpiValue } from '../../src/domain/values/restatement';
import { sampleValue } from './kpi-values';

export const DAY = 86_400_000;

/** A daily KPI whose red boundary is 0.2 (higher is better). */
export function kpiSummary(overrides: Partial<ReviewedKpiSummary> = {}): ReviewedKpiSummary {
  return {
    id: 'sla_adherence',
    name: 'SLA adherence',
    category: 'operational_health',
    unit: 'percent',
    grain: 'day',
    direction: 'higher_is_better',
    band: null,
    owner: 'ops@example.com',
    datasets: ['agent_events'],
    ...overrides,
  };
}

export interface PointSpec {
  readonly day: string;
  readonly value: number | null;
  readonly status?: ValueStatus;
  readonly drift?: boolean;
  readonly version?: number;
  readonly restatements?: readonly Restatement[];
  readonly provisional?: boolean;
  /** A forecast made from the value: its probability of red, over the next `steps` days (default 7). */
  readonly forecast?: { readonly probabilityRed: number; readonly steps?: number };
}

/** One stored daily value of the overall row. */
export function storedPoint(kpiId: string, spec: PointSpec): StoredKpiValue {
  const start = Date.parse(`${spec.day}T00:00:00Z`);
  const drift: DriftSummary | null = spec.drift
    ? {
        verdict: 'drift',
        signals: [{ method: 'robust_z', direction: 'down', score: -5.1, threshold: 3.5 }],
        baseline: 0.9,
        message: 'robust z-score -5.1 below the baseline 0.9',
        annotations: [],
      }
    : null;
  const base = sampleValue({
    kpiId,
    periodStart: new Date(start).toISOString(),
    periodEnd: new Date(start + DAY).toISOString(),
    dimensions: {},
    value: spec.value,
    status: spec.status ?? 'green',
    provisional: spec.provisional ?? false,
    drift,
  });
  const steps = spec.forecast?.steps ?? 7;
  const forecast: ValueForecast | null = spec.forecast
    ? {
        model: 'auto_ets',
        seasonLength: 1,
        trainedOn: 28,
        calibration: { origins: 4, factor80: 1.2, factor95: 1.3 },
        steps: Array.from({ length: steps }, (_, i) => {
          const point = (spec.value ?? 0) * (1 - 0.02 * (i + 1));
          return {
            periodStart: new Date(start + (i + 1) * DAY).toISOString(),
            point,
            lower80: point - 0.05,
            upper80: point + 0.05,
            lower95: point - 0.08,
            upper95: point + 0.08,
          };
        }),
        horizonEnd: new Date(start + (steps + 1) * DAY).toISOString(),
        probabilityRed: spec.forecast.probabilityRed,
        atRiskProbability: 0.5,
        baseStatus: 'green',
      }
    : null;
  return {
    ...base,
    forecast,
    lineage: {
      ...base.lineage,
      definition: { id: kpiId, version: spec.version ?? 1, hash: `sha256:v${spec.version ?? 1}` },
    },
    revision: 1 + (spec.restatements?.length ?? 0),
    fingerprint: `fp-${kpiId}-${spec.day}`,
    restatements: spec.restatements ?? [],
  };
}

/** Days `first`…`first + n - 1` as `YYYY-MM-DD`. */
export function days(first: string, n: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(start + i * DAY).toISOString().slice(0, 10));
}

/** A restatement of a day's overall value. */
export function restatement(kpiId: string, day: string, fields: Partial<Restatement> = {}): Restatement {
  return {
    kpiId,
    grain: 'day',
    periodStart: `${day}T00:00:00.000Z`,
    dimensions: {},
    revision: 2,
    cause: 'input_change',
    previous: { value: 0.9, status: 'green', definitionVersion: 1, computedAt: `${day}T01:00:00.000Z` },
    current: { value: 0.7, status: 'yellow', definitionVersion: 1, computedAt: '2026-11-20T10:00:00.000Z' },
    restatedAt: '2026-11-20T10:00:00.000Z',
    ...fields,
  };
}

/** An open action item raised on `reviewId`. */
export function actionItem(fields: Partial<ActionItem> = {}): ActionItem {
  return {
    itemId: 'item-1',
    reviewId: 'weekly-operational/2026-W46',
    what: 'Find out why the CRM feed lags',
    owner: 'data-eng@example.com',
    due: '2026-11-20',
    kpiId: 'data_freshness',
    openedAt: '2026-11-16T09:30:00.000Z',
    openedBy: 'ops-lead@example.com',
    status: 'open',
    closedAt: null,
    closedBy: null,
    closingNote: null,
    ...fields,
  };
}

/** A pack with one of everything a page shows, for the page tests. */
export function packFixture(): ReviewPack {
  return {
    format: REVIEW_PACK_FORMAT,
    reviewId: 'weekly-operational/2026-W47',
    kind: 'weekly-operational',
    title: 'Weekly operational review',
    period: { label: '2026-W47', start: '2026-11-16T00:00:00.000Z', end: '2026-11-23T00:00:00.000Z' },
    asOf: '2026-11-23T08:00:00.000Z',
    window: { from: '2026-11-16T08:00:00.000Z', to: '2026-11-23T08:00:00.000Z' },
    previous: {
      reviewId: 'weekly-operational/2026-W46',
      asOf: '2026-11-16T08:00:00.000Z',
      signOffs: [{ reviewer: 'ops-lead@example.com', signedAt: '2026-11-16T10:00:00.000Z', note: '<b>fine</b>' }],
      notSignedBy: ['cmo@example.com'],
    },
    audience: ['ops-lead@example.com', 'cmo@example.com'],
    scorecard: [
      {
        kpiId: 'lead_handoff_cycle_time_p95',
        name: 'Lead handoff cycle time (p95)',
        category: 'operational_health',
        unit: 'minutes',
        grain: 'day',
        periodStart: '2026-11-22T00:00:00.000Z',
        value: 6.2,
        status: 'red',
        provisional: false,
        drifting: true,
        definitionVersion: 3,
        trend: 'up',
        trendMeaning: 'worse',
        redProbability: null,
        horizon: null,
      },
      {
        kpiId: 'runtime_error_rate',
        name: 'Runtime error rate',
        category: 'reliability',
        unit: 'percent',
        grain: 'day',
        periodStart: '2026-11-22T00:00:00.000Z',
        value: 0.018,
        status: 'at_risk',
        provisional: false,
        drifting: false,
        definitionVersion: 1,
        trend: 'up',
        trendMeaning: 'worse',
        redProbability: 0.62,
        horizon: '2026-11-29T00:00:00.000Z',
      },
    ],
    changes: {
      statusTransitions: [
        {
          kpiId: 'lead_handoff_cycle_time_p95',
          name: 'Lead handoff cycle time (p95)',
          from: 'green',
          to: 'red',
          fromPeriod: '2026-11-15T00:00:00.000Z',
          toPeriod: '2026-11-22T00:00:00.000Z',
          redProbability: null,
          horizon: null,
        },
        {
          kpiId: 'runtime_error_rate',
          name: 'Runtime error rate',
          from: 'green',
          to: 'at_risk',
          fromPeriod: '2026-11-15T00:00:00.000Z',
          toPeriod: '2026-11-22T00:00:00.000Z',
          redProbability: 0.62,
          horizon: '2026-11-29T00:00:00.000Z',
        },
      ],
      newReds: [
        {
          kpiId: 'lead_handoff_cycle_time_p95',
          name: 'Lead handoff cycle time (p95)',
          firstPeriod: '2026-11-20T00:00:00.000Z',
          periods: 3,
          value: 6.2,
        },
      ],
      newAtRisks: [
        {
          kpiId: 'runtime_error_rate',
          name: 'Runtime error rate',
          firstPeriod: '2026-11-21T00:00:00.000Z',
          periods: 2,
          value: 0.018,
          redProbability: 0.62,
          horizon: '2026-11-29T00:00:00.000Z',
        },
      ],
      newDrifts: [],
      restatements: [],
      definitionChanges: [
        {
          kpiId: 'lead_handoff_cycle_time_p95',
          action: 'rollback',
          fromVersion: 3,
          toVersion: 2,
          author: 'maria@example.com',
          reason: 'v3 counted queued leads <twice>',
          at: '2026-11-19T14:00:00.000Z',
          diff: ['~ calculation.end.filter.in: ["handed_off","queued"] → ["handed_off"] [calculation]'],
          impact: 'calculation',
          requiresRecompute: true,
          restated: 4,
        },
      ],
      approvals: [],
      autonomyChanges: [],
      dataQuality: { freshnessLimitMinutes: 60, freshnessBreaches: [], quarantineSpikes: [] },
      proposals: [
        {
          kpiId: 'runtime_error_rate',
          name: 'Runtime error rate',
          proposalId: 'calibration-2026-w47',
          source: 'calibration',
          status: 'awaiting_approval',
          state: 'open',
          createdAt: '2026-11-20T02:00:00.000Z',
          updatedAt: '2026-11-20T09:00:00.000Z',
          author: 'calibration:schedule',
          reason: 'weekly calibration <robust>',
          baseVersion: 1,
          current: 'green 0.02, yellow 0.05',
          proposed: 'green 0.015, yellow 0.03',
          evidence: 'Method: robust control limits; Impact on 28 stored periods: 3 change status',
          evidenceLines: ['Method: robust control limits', 'Impact on 28 stored periods: 3 change status'],
          approval: null,
          publishedVersion: null,
        },
        {
          kpiId: 'lead_handoff_cycle_time_p95',
          name: 'Lead handoff cycle time (p95)',
          proposalId: 'calibration-2026-w46',
          source: 'calibration',
          status: 'rejected',
          state: 'decided',
          createdAt: '2026-11-09T02:00:00.000Z',
          updatedAt: '2026-11-18T15:00:00.000Z',
          author: 'calibration:schedule',
          reason: 'weekly calibration',
          baseVersion: 2,
          current: 'green 5, yellow 8',
          proposed: 'green 7, yellow 11',
          evidence: null,
          evidenceLines: [],
          approval: {
            by: 'cmo@example.com',
            at: '2026-11-18T15:00:00.000Z',
            reason: 'looser targets hide the slowdown',
          },
          publishedVersion: null,
        },
      ],
    },
    cases: [
      {
        caseId: 'lead_handoff_cycle_time_p95/2026-11-20T00:00:00.000Z',
        kpiId: 'lead_handoff_cycle_time_p95',
        kpiName: 'Lead handoff cycle time (p95)',
        grain: 'day',
        firstPeriod: '2026-11-20T00:00:00.000Z',
        lastPeriod: '2026-11-22T00:00:00.000Z',
        periods: 3,
        direction: 'up',
        message: 'robust z-score 5.1 above the baseline',
        openedAt: '2026-11-23T08:00:00.000Z',
        openedIn: 'weekly-operational/2026-W47',
        status: 'open',
        checklist: {
          inputs: [
            {
              dataset: 'agent_events',
              batches: 168,
              rowsReceived: 50_000,
              rowsQuarantined: 12,
              quarantineRate: 0.00024,
              quarantinedByReason: { invalid_timestamp: 12 },
              schemaConformity: 0.99976,
              worstFreshnessMinutes: 9.5,
              freshnessBreaches: 0,
            },
          ],
          annotations: [],
        },
        decision: null,
      },
    ],
    actionItems: { open: [{ ...actionItem(), carried: true, overdue: true }], closed: [] },
    governance: {
      approvalsAsked: 2,
      approvalsDecided: 1,
      agentContinued: 0,
      guardrailPrecision: 1,
      escalations: 0,
      safeDefaults: 0,
      autonomyChanges: 1,
      openApprovals: 1,
    },
  };
}

/** An open drift case on bid latency, three drifting days from 2026-11-10. */
export function driftCase(fields: Partial<DriftCase> = {}): DriftCase {
  return {
    caseId: 'bid_latency_p95/2026-11-10T00:00:00.000Z',
    kpiId: 'bid_latency_p95',
    kpiName: 'Bid latency (p95)',
    grain: 'day',
    firstPeriod: '2026-11-10T00:00:00.000Z',
    lastPeriod: '2026-11-12T00:00:00.000Z',
    periods: 3,
    direction: 'up',
    message: 'drift',
    openedAt: '2026-11-16T08:00:00.000Z',
    openedIn: 'weekly-operational/2026-W46',
    status: 'open',
    checklist: { inputs: [], annotations: [] },
    decision: null,
    ...fields,
  };
}

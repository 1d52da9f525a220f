// A report model with every kind of content the page shows, for the report tests.
import type { ReportModelInput } from '../../src/report/model';

const DAY = 86_400_000;
const start = Date.UTC(2026, 9, 1);
const iso = (t: number) => new Date(t).toISOString();

export function reportFixture(): ReportModelInput {
  const days = 21;
  /** A forecast made from day `from` of a series: seven steps falling towards red, 64 % for red at the end. */
  const forecastFrom = (from: number, value: number) => ({
    from: iso(start + from * DAY),
    horizonEnd: iso(start + (from + 8) * DAY),
    model: 'mstl(7)+auto_ets',
    probabilityRed: 0.64,
    atRiskProbability: 0.5,
    steps: Array.from({ length: 7 }, (_, i) => {
      const point = value - (i + 1) * 0.007;
      return {
        periodStart: iso(start + (from + 1 + i) * DAY),
        point,
        lower80: point - 0.01,
        upper80: point + 0.01,
        lower95: point - 0.02,
        upper95: point + 0.02,
      };
    }),
  });
  const series = (base: number, drift: (i: number) => number, status: (v: number) => 'green' | 'yellow' | 'red') =>
    Array.from({ length: days }, (_, i) => {
      const value = base + drift(i);
      return {
        periodStart: iso(start + i * DAY),
        periodEnd: iso(start + (i + 1) * DAY),
        value,
        status: status(value),
        sampleSize: 1000 + i,
        provisional: i === days - 1,
        drift:
          i === days - 2
            ? { method: 'robust_z', score: 4.2, explanation: 'same weekday median 3.1 min, MAD 0.2' }
            : null,
        lineage: {
          definitionVersion: 3,
          definitionHash: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
          codeVersion: '0.1.0+abc1234',
          computedAt: iso(start + (i + 1) * DAY + 60_000),
          inputs: [
            {
              dataset: 'agent_events',
              partitions: 24,
              first: `date=${iso(start + i * DAY).slice(0, 10)}/hour=00`,
              last: `date=${iso(start + i * DAY).slice(0, 10)}/hour=23`,
              rows: 512,
              quarantined: 3,
              manifests: 1,
              digest: 'c0ffee0123456789abcdef',
            },
          ],
          inputsRef: 's3://agentkpi-work/lineage/kpi=lead_handoff_cycle_time_p95/c0ffee.json.gz',
          confidence: 0.97,
        },
        // Day 12 was restated after a late batch: it first showed a better value.
        restatements:
          i === 12
            ? [
                {
                  value: 2.9,
                  status: 'green' as const,
                  definitionVersion: 3,
                  why: 'late or corrected input data',
                  restatedAt: iso(start + 14 * DAY),
                },
              ]
            : [],
      };
    });
  return {
    title: 'Agent KPI Pipeline <local run>',
    generatedAt: iso(start + days * DAY),
    run: { description: 'seed 42, 21 days of sample data', from: iso(start), to: iso(start + days * DAY) },
    links: [{ label: 'Weekly operational review 2026-W41', href: 'reviews/weekly-operational/2026-W41/pack.html' }],
    kpis: [
      {
        id: 'lead_handoff_cycle_time_p95',
        name: 'Lead handoff cycle time (p95)',
        description: 'Minutes from lead creation to a human owner, 95th percentile',
        category: 'operational_health',
        owner: 'marketing-ops',
        unit: 'min',
        grain: 'day',
        useCase: 'lead_routing',
        levelOfDecision: 'high',
        thresholds: { direction: 'lower_is_better', warning: 4, critical: 5, bandLow: null, bandHigh: null, target: 5 },
        series: series(
          3,
          (i) => (i > 17 ? 3 : i * 0.02),
          (v) => (v >= 5 ? 'red' : v >= 4 ? 'yellow' : 'green'),
        ),
        changes: [
          {
            at: iso(start - 30 * DAY),
            action: 'publish',
            fromVersion: null,
            toVersion: 1,
            author: 'maria@example.com',
            reason: 'first version',
          },
          {
            at: iso(start + 10 * DAY + 3_600_000),
            action: 'publish',
            fromVersion: 2,
            toVersion: 3,
            author: 'maria@example.com',
            reason: 'count handoffs to the new CRM queue <i>too</i>',
            diff: ['~ calculation.end.filter.in: ["handed_off"] → ["handed_off","queued"] [calculation]'],
          },
        ],
        breakdown: {
          agent: [
            { key: 'router-a', value: 6.2, status: 'red', sampleSize: 400 },
            { key: 'router-b', value: 3.1, status: 'green', sampleSize: 380 },
            { key: '(missing)', value: 4.4, status: 'yellow', sampleSize: 12 },
          ],
          channel: [{ key: 'web', value: 5.5, status: 'red', sampleSize: 700 }],
        },
      },
      {
        id: 'ctr_lift',
        name: 'CTR lift vs control',
        description: 'Click-through rate of agent-bid campaigns over the control group',
        category: 'business_impact',
        owner: 'growth',
        unit: 'percent',
        grain: 'day',
        thresholds: {
          direction: 'higher_is_better',
          warning: 0.1,
          critical: 0.05,
          bandLow: null,
          bandHigh: null,
          target: 0.1,
        },
        // The latest final day (19) is yellow by the thresholds and at risk by its forecast.
        series: series(
          0.12,
          (i) => -i * 0.001,
          (v) => (v < 0.05 ? 'red' : v < 0.1 ? 'yellow' : 'green'),
        ).map((p, i) => (i === 19 ? { ...p, status: 'at_risk' as const, probabilityRed: 0.64 } : p)),
        forecast: forecastFrom(19, 0.101),
        breakdown: { campaign: [{ key: 'spring-sale', value: 0.14, status: 'green', sampleSize: 9000 }] },
      },
      {
        id: 'schema_conformity',
        name: 'Schema conformity',
        description: 'Share of ingested rows that passed validation',
        category: 'data_quality',
        owner: 'data-platform',
        unit: 'percent',
        grain: 'day',
        thresholds: {
          direction: 'within_band',
          warning: null,
          critical: null,
          bandLow: 0.98,
          bandHigh: 1,
          target: 0.99,
        },
        series: [
          {
            periodStart: iso(start),
            periodEnd: iso(start + DAY),
            value: null,
            status: 'insufficient_data',
            sampleSize: 3,
            note: 'below the minimum sample of 100',
          },
        ],
        breakdown: {},
      },
    ],
    proposals: [
      {
        kpiId: 'ctr_lift',
        id: 'calibration-2026-w43',
        source: 'calibration',
        status: 'published',
        createdAt: iso(start + 20 * DAY),
        baseVersion: 3,
        current: 'green 0.1, yellow 0.05',
        proposed: 'green 0.11, yellow 0.07',
        evidence: ['Method: historical quantiles (60 % green, 90 % green or yellow), over 28 periods'],
        decidedBy: 'lead@example.com',
        publishedVersion: 4,
      },
    ],
    dataQuality: [
      {
        dataset: 'agent_events',
        read: 10_000,
        valid: 9_950,
        quarantined: 50,
        byReason: { invalid_timestamp: 30, ragged_row: 20 },
        newestEventAt: iso(start + days * DAY - 60_000),
        freshnessLagMinutes: 4,
      },
      {
        dataset: 'crm_leads',
        read: 2_000,
        valid: 2_000,
        quarantined: 0,
        byReason: {},
        newestEventAt: null,
        freshnessLagMinutes: null,
      },
    ],
    approvals: [
      {
        approvalId: 'apr-1',
        kpiId: 'lead_handoff_cycle_time_p95',
        subject: 'agent router-a',
        status: 'approved',
        tier: 'kpi-owners',
        requestedAt: iso(start + 19 * DAY),
        decidedAt: iso(start + 19 * DAY + 600_000),
        decidedBy: 'kpi-owners@example.com',
        reason: 'confirmed: routing rule regression <b>not</b> HTML',
      },
    ],
    audit: [
      {
        at: iso(start + 19 * DAY),
        type: 'approval_requested',
        actor: 'pipeline',
        subject: 'router-a',
        detail: 'p95 6.2 min > 5 min',
      },
      {
        at: iso(start + 19 * DAY + 600_000),
        type: 'decision',
        actor: 'kpi-owners@example.com',
        subject: 'router-a',
        detail: 'approved: set supervised',
      },
    ],
    controls: [
      {
        subject: 'router-a',
        mode: 'supervised',
        changedAt: iso(start + 19 * DAY + 600_000),
        by: 'kpi-owners@example.com',
      },
    ],
  };
}

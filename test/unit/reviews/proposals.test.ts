import { describe, expect, it } from 'vitest';
import type { KpiDefinition } from '../../../src/domain/definition/schema';
import type { CalibrationEvidence } from '../../../src/domain/evaluation/calibration/propose';
import { proposalsForPack } from '../../../src/domain/reviews/proposals';
import type { DefinitionProposal, ProposalStatus } from '../../../src/domain/versioning/proposals';
import { at, definition } from '../../support/definitions';

const errors = definition({
  id: 'runtime_error_rate',
  name: 'Runtime error rate',
  datasets: [{ id: 'agent_events', timeField: 'at' }],
  calculation: { type: 'aggregate', dataset: 'agent_events', aggregate: 'count' },
  target: {
    direction: 'lower_is_better',
    value: 0.02,
    description: 'at most 2 %',
    thresholds: { green: 0.02, yellow: 0.05 },
  },
});
const proposedDefinition: KpiDefinition = {
  ...errors,
  target: {
    direction: 'lower_is_better',
    value: 0.02,
    description: 'at most 2 %',
    thresholds: { green: 0.015, yellow: 0.03 },
  },
};

const evidence: CalibrationEvidence = {
  method: { type: 'control_limits', green: 1, yellow: 2 },
  lookback: { periods: 28, from: '2026-10-19T00:00:00.000Z', to: '2026-11-15T00:00:00.000Z' },
  used: 26,
  excluded: { provisional: 1, insufficient: 1, annotated: 0 },
  distribution: { min: 0.004, p10: 0.006, p25: 0.008, median: 0.01, p75: 0.012, p90: 0.014, max: 0.02, mad: 0.002 },
  seasonality: 'none',
  center: 0.01,
  scale: 0.003,
  current: { green: 0.02, yellow: 0.05 },
  proposed: { green: 0.015, yellow: 0.03 },
  bounded: [],
  statusCounts: { current: { green: 26, yellow: 0, red: 0 }, proposed: { green: 24, yellow: 2, red: 0 } },
};

// The pack reviews 2026-W47; the previous one was built on 2026-11-16 08:00.
const window = { from: at('2026-11-16T08:00'), to: at('2026-11-23T08:00') };

function proposal(
  id: string,
  status: ProposalStatus,
  times: { created: string; updated?: string },
  fields: Partial<DefinitionProposal<KpiDefinition>> = {},
): DefinitionProposal<KpiDefinition> {
  return {
    id,
    kpiId: 'runtime_error_rate',
    source: 'calibration',
    status,
    createdAt: at(times.created),
    updatedAt: at(times.updated ?? times.created),
    author: 'calibration:schedule',
    reason: 'weekly calibration',
    baseVersion: 1,
    definition: proposedDefinition,
    hash: `sha256:${id}`,
    evidence,
    impact: { periods: 28, from: null, to: null, statusChanges: 2, violationsAppeared: 2, violationsDisappeared: 0 },
    approval: null,
    publishedVersion: null,
    ...fields,
  };
}

describe('the calibration proposals of a pack', () => {
  it('holds the open ones, whenever made, with the thresholds now and proposed and the evidence in words', () => {
    const [held] = proposalsForPack(
      [
        proposal('calibration-2026-w45', 'awaiting_approval', {
          created: '2026-11-02T02:00',
          updated: '2026-11-02T09:00',
        }),
      ],
      window,
      [errors],
    );
    expect(held).toMatchObject({
      kpiId: 'runtime_error_rate',
      name: 'Runtime error rate',
      proposalId: 'calibration-2026-w45',
      status: 'awaiting_approval',
      state: 'open',
      current: 'green 0.02, yellow 0.05',
      proposed: 'green 0.015, yellow 0.03',
      approval: null,
      publishedVersion: null,
    });
    expect(held?.evidenceLines[0]).toMatch(/^Method: robust control limits .* over 28 periods from 2026-10-19/);
    expect(held?.evidenceLines.at(-1)).toBe(
      'Impact on 28 stored periods: 2 change status, 2 violations would appear, 0 disappear',
    );
    expect(held?.evidence).toContain('Thresholds: green 0.02, yellow 0.05 → green 0.015, yellow 0.03');
  });

  it('holds the decided ones only when decided since the previous pack, with who decided and the version made', () => {
    const approval = { id: 'appr-1', decidedBy: 'cmo@example.com', decidedAt: at('2026-11-18T15:00'), reason: 'ok' };
    const rows = proposalsForPack(
      [
        proposal(
          'calibration-2026-w46',
          'published',
          { created: '2026-11-09T02:00', updated: '2026-11-18T15:00' },
          {
            approval,
            publishedVersion: 2,
          },
        ),
        proposal('calibration-2026-w44', 'rejected', { created: '2026-10-26T02:00', updated: '2026-11-10T11:00' }),
        proposal('calibration-2026-w47b', 'superseded', { created: '2026-11-17T02:00', updated: '2026-11-23T09:00' }),
      ],
      window,
      [errors],
    );
    expect(rows.map((r) => [r.proposalId, r.status, r.state])).toEqual([
      ['calibration-2026-w46', 'published', 'decided'],
    ]);
    expect(rows[0]).toMatchObject({
      approval: { by: 'cmo@example.com', at: '2026-11-18T15:00:00.000Z', reason: 'ok' },
      publishedVersion: 2,
      // Decided: the thresholds it was measured against, from its evidence (the version in force is its own now).
      current: 'green 0.02, yellow 0.05',
    });
  });

  it('lists those waiting for an approver first, then those for review, then the decided ones by time', () => {
    const rows = proposalsForPack(
      [
        proposal('p-decided-late', 'rejected', { created: '2026-11-10T02:00', updated: '2026-11-21T10:00' }),
        proposal('p-review', 'proposed', { created: '2026-11-16T02:00' }),
        proposal('p-decided-early', 'expired', { created: '2026-11-09T02:00', updated: '2026-11-17T10:00' }),
        proposal('p-held', 'awaiting_approval', { created: '2026-11-20T02:00' }),
      ],
      window,
      [errors],
    );
    expect(rows.map((r) => r.proposalId)).toEqual(['p-held', 'p-review', 'p-decided-early', 'p-decided-late']);
  });

  it("leaves out other KPIs' proposals, those made after the pack's time, and says what it does not know", () => {
    const rows = proposalsForPack(
      [
        proposal('elsewhere', 'proposed', { created: '2026-11-20T02:00' }, { kpiId: 'ctr' }),
        proposal('too-late', 'proposed', { created: '2026-11-23T09:00' }),
        proposal(
          'by-hand',
          'awaiting_approval',
          { created: '2026-11-19T10:00' },
          {
            source: 'publish',
            evidence: null,
            impact: null,
            author: 'maria@example.com',
          },
        ),
      ],
      window,
      [errors],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      proposalId: 'by-hand',
      source: 'publish',
      // Without evidence: the thresholds of the version in force, which it would replace.
      current: 'green 0.02, yellow 0.05',
      evidence: null,
      evidenceLines: [],
    });
  });
});

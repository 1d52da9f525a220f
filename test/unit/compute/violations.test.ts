import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedDefinition } from '../../../src/adapters/aws/kpi-definitions';
import { readDefinitionFile } from '../../../src/contracts/kpi-definition-files';
import { adverseDirection, driftOf } from '../../../src/domain/evaluation/drift-pass';
import { violationsOf } from '../../../src/domain/evaluation/evaluate-value';
import { describePeriod } from '../../../src/domain/guardrails/messages';
import { violationSchema } from '../../../src/domain/guardrails/violation';
import type { KpiValue } from '../../../src/domain/values/kpi-value';
import { sampleValue } from '../../support/kpi-values';

const ctr = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
const evaluated = {
  definition: { ...ctr, guardrail: { ...ctr.guardrail, triggers: ['red_status', 'drift', 'data_quality'] as const } },
  version: 3,
  hash: 'sha256:abc',
};
const detectedAt = Date.UTC(2024, 2, 5);
const value = (overrides: Partial<KpiValue>) => sampleValue({ dimensions: { campaign_id: 'c1' }, ...overrides });

describe('violationsOf', () => {
  it('raises a red_status violation the guardrail contract accepts', () => {
    const [violation] = violationsOf(evaluated as never, value({ value: 0.002, status: 'red' }), [], detectedAt);
    expect(violationSchema.parse(violation)).toMatchObject({
      kind: 'red_status',
      kpi: { id: 'ctr', version: 3 },
      levelOfDecision: 'low',
      governs: { agentId: 'campaign-optimizer-1', useCase: 'campaign_optimization' },
    });
  });

  it('raises a drift violation with the test that fired', () => {
    const drift = {
      verdict: 'drift' as const,
      signals: [{ method: 'robust_z' as const, direction: 'down' as const, score: -5.2, threshold: 3.5 }],
      baseline: 0.031,
      message: '0.02 is 5.2 robust SD below 0.031',
      annotations: [],
    };
    const [violation] = violationsOf(evaluated as never, value({ drift }), [], detectedAt);
    expect(violationSchema.parse(violation).evidence.drift).toEqual({
      method: 'robust_z',
      score: -5.2,
      threshold: 3.5,
      baseline: 0.031,
    });
  });

  it('raises a data_quality violation when the inputs cannot be trusted', () => {
    const violations = violationsOf(evaluated as never, value({ confidence: 0.6 }), [], detectedAt);
    expect(violations.map((v) => v.kind)).toEqual(['data_quality']);
  });

  it('raises nothing for a kind the guardrail does not trigger on', () => {
    expect(
      violationsOf({ ...evaluated, definition: ctr } as never, value({ confidence: 0.6 }), [], detectedAt),
    ).toEqual([]);
  });

  it('raises nothing for a green value', () => {
    expect(violationsOf(evaluated as never, value({}), [], detectedAt)).toEqual([]);
  });
});

describe('adverseDirection', () => {
  it('watches falls when higher is better, rises when lower is better, both for a band', () => {
    expect(['higher_is_better', 'lower_is_better', 'within_band'].map((d) => adverseDirection(d as never))).toEqual([
      'down',
      'up',
      'both',
    ]);
  });
});

describe('values of the year and all_time grains', () => {
  const allTime = { ...evaluated, definition: { ...evaluated.definition, grain: 'all_time' as const } };
  const overall = value({
    grain: 'all_time',
    periodStart: '1970-01-01T00:00:00.000Z',
    periodEnd: '9999-12-31T23:59:59.999Z',
    value: 0.002,
    status: 'red',
    provisional: true,
  });

  it('raise violations the guardrail contract accepts, described as all time', () => {
    const [violation] = violationsOf(allTime as never, overall, [], detectedAt);
    const parsed = violationSchema.parse(violation);
    expect(parsed.grain).toBe('all_time');
    expect(describePeriod(parsed)).toBe('all time (all_time: every record so far)');
  });

  it('assess drift without seasons, finding none without earlier periods', () => {
    const year = { ...ctr, grain: 'year' as const };
    const { summary } = driftOf(year, value({ grain: 'year', periodStart: '2026-01-01T00:00:00.000Z' }), [], []);
    expect(summary.verdict).not.toBe('drift');
    expect(driftOf(allTime.definition as never, overall, [], []).summary.verdict).not.toBe('drift');
  });
});

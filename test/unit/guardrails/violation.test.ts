import { describe, expect, it } from 'vitest';
import {
  concernKey,
  violationBatchSchema,
  violationKey,
  violationSchema,
} from '../../../src/domain/guardrails/violation';
import { BASE_VIOLATION, violation } from '../../support/violations';

describe('violation contract', () => {
  it('accepts a red status violation as evaluate emits it and fills in the defaults', () => {
    const parsed = violationSchema.parse(BASE_VIOLATION);
    expect(parsed).toMatchObject({ schemaVersion: 1, provisional: false, kind: 'red_status' });
  });

  it('rejects a period whose start is not before its end', () => {
    const result = violationSchema.safeParse({
      ...BASE_VIOLATION,
      period: { start: '2026-11-20T15:00:00Z', end: '2026-11-20T15:00:00Z' },
    });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('period');
  });

  it('rejects a timestamp with a local offset instead of UTC', () => {
    const result = violationSchema.safeParse({ ...BASE_VIOLATION, detectedAt: '2026-11-20T16:02:00+01:00' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['detectedAt']);
  });

  it('rejects a drift violation that does not carry its drift test', () => {
    const result = violationSchema.safeParse({ ...BASE_VIOLATION, kind: 'drift' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['evidence.drift']);
  });

  it('rejects a data quality violation that does not name its failed check', () => {
    const result = violationSchema.safeParse({ ...BASE_VIOLATION, kind: 'data_quality' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['evidence.dataQuality']);
  });

  it('rejects a level of decision the policy does not know', () => {
    const result = violationSchema.safeParse({ ...BASE_VIOLATION, levelOfDecision: 'medium' });
    expect(result.success).toBe(false);
  });

  it('accepts a batch of violations under the violations key', () => {
    const batch = violationBatchSchema.parse({ violations: [BASE_VIOLATION, BASE_VIOLATION] });
    expect(batch.violations).toHaveLength(2);
  });

  it('gives the same key to the same breach whatever the order of its dimensions', () => {
    const a = violation({ dimensions: { agent: 'lead-router-1', channel: 'web' } });
    const b = violation({ dimensions: { channel: 'web', agent: 'lead-router-1' } });
    expect(violationKey(a)).toBe(violationKey(b));
  });

  it('gives a different key to the next period of the same KPI and dimensions', () => {
    const next = violation({ period: { start: '2026-11-20T15:00:00Z', end: '2026-11-20T16:00:00Z' } });
    expect(violationKey(next)).not.toBe(violationKey(violation()));
  });

  it('gives the same concern to the next period of the same KPI, dimensions and agent', () => {
    const next = violation({ period: { start: '2026-11-20T15:00:00Z', end: '2026-11-20T16:00:00Z' } });
    expect(concernKey(next)).toBe(concernKey(violation()));
  });

  it('gives the same concern to another dimension row governed by the same agent', () => {
    const otherCampaign = violation({ dimensions: { campaign_id: 'cmp-other' } });
    expect(concernKey(otherCampaign)).toBe(concernKey(violation()));
  });

  it('gives another concern to the same breach by another agent', () => {
    const otherAgent = violation({ governs: { agentId: 'another-agent', useCase: null } });
    expect(concernKey(otherAgent)).not.toBe(concernKey(violation()));
  });
});

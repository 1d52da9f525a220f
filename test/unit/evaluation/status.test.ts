import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/domain/definition/schema';
import { evaluateStatus } from '../../../src/domain/evaluation/status';

const higher: Target = {
  direction: 'higher_is_better',
  value: 0.1,
  description: 'lift above 10 %',
  thresholds: { green: 0.1, yellow: 0.05 },
};
const lower: Target = {
  direction: 'lower_is_better',
  value: 300,
  description: 'p95 under 5 min',
  thresholds: { green: 300, yellow: 450 },
};
const band: Target = {
  direction: 'within_band',
  value: { min: 0.08, max: 0.12 },
  description: 'a reduction of 8 to 12 %',
  thresholds: { green: { min: 0.08, max: 0.12 }, yellow: { min: 0.05, max: 0.15 } },
};

describe('status', () => {
  it('is green at or above the green threshold when higher is better', () => {
    expect(evaluateStatus(higher, 0.1, 10, 1)).toBe('green');
  });

  it('is yellow between the thresholds and red below them when higher is better', () => {
    expect(evaluateStatus(higher, 0.05, 10, 1)).toBe('yellow');
    expect(evaluateStatus(higher, 0.049, 10, 1)).toBe('red');
  });

  it('is green at or below the green threshold when lower is better', () => {
    expect(evaluateStatus(lower, 300, 10, 1)).toBe('green');
    expect(evaluateStatus(lower, 450, 10, 1)).toBe('yellow');
    expect(evaluateStatus(lower, 451, 10, 1)).toBe('red');
  });

  it('is green inside the green band, yellow inside the yellow band, red outside both', () => {
    expect(evaluateStatus(band, 0.1, 10, 1)).toBe('green');
    expect(evaluateStatus(band, 0.14, 10, 1)).toBe('yellow');
    expect(evaluateStatus(band, 0.04, 10, 1)).toBe('red');
    expect(evaluateStatus(band, 0.2, 10, 1)).toBe('red');
  });

  it('is insufficient data below the minimum sample, whatever the value', () => {
    expect(evaluateStatus(higher, 0.5, 9, 10)).toBe('insufficient_data');
  });

  it('is insufficient data when the value could not be computed', () => {
    expect(evaluateStatus(higher, null, 10, 1)).toBe('insufficient_data');
  });
});

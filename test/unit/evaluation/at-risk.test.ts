import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/domain/definition/schema';
import {
  isAtRisk,
  normalCdf,
  probabilityAbove,
  probabilityBelow,
  redProbability,
  Z80,
  Z95,
} from '../../../src/domain/evaluation/at-risk';

// Point 10; one unit of spread below it, two above (each side's 80 % and 95 % bounds agree).
const step = { point: 10, lower80: 10 - Z80, upper80: 10 + 2 * Z80, lower95: 10 - Z95, upper95: 10 + 2 * Z95 };
const flat = { point: 10, lower80: 10, upper80: 10, lower95: 10, upper95: 10 };

const higher = (yellow: number): Target => ({
  direction: 'higher_is_better',
  value: 20,
  description: 'at least 20',
  thresholds: { green: 20, yellow },
});

describe('probability of red at the horizon', () => {
  it('follows the standard normal distribution', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(Z95)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-Z80)).toBeCloseTo(0.1, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158_655, 6);
  });

  it('reads each side of the point forecast with its own spread', () => {
    expect(probabilityBelow(step, 9)).toBeCloseTo(0.158_655, 5); // one spread below
    expect(probabilityAbove(step, 12)).toBeCloseTo(0.158_655, 5); // one spread (2) above
    expect(probabilityBelow(step, 10)).toBe(0.5);
  });

  it('is the chance of falling below the yellow threshold when higher is better', () => {
    expect(redProbability(higher(9), step)).toBeCloseTo(0.158_655, 5);
  });

  it('is the chance of rising above the yellow threshold when lower is better', () => {
    const lower: Target = {
      direction: 'lower_is_better',
      value: 5,
      description: 'at most 5',
      thresholds: { green: 5, yellow: 12 },
    };
    expect(redProbability(lower, step)).toBeCloseTo(0.158_655, 5);
  });

  it('adds both tails outside the yellow band', () => {
    const band: Target = {
      direction: 'within_band',
      value: { min: 9.5, max: 11 },
      description: 'about 10',
      thresholds: { green: { min: 9.5, max: 11 }, yellow: { min: 9, max: 14 } },
    };
    // Φ(-1) below 9, plus 1 - Φ(2) above 14.
    expect(redProbability(band, step)).toBeCloseTo(0.158_655 + 0.022_75, 5);
  });

  it('is certain either way for a forecast without spread, the threshold itself being yellow', () => {
    expect(redProbability(higher(10), flat)).toBe(0);
    expect(redProbability(higher(10.5), flat)).toBe(1);
  });

  it('makes a green or yellow value at risk only above the level', () => {
    expect(isAtRisk('green', 0.6, 0.5)).toBe(true);
    expect(isAtRisk('yellow', 0.51, 0.5)).toBe(true);
    expect(isAtRisk('green', 0.5, 0.5)).toBe(false);
    expect(isAtRisk('red', 0.99, 0.5)).toBe(false);
    expect(isAtRisk('insufficient_data', 0.99, 0.5)).toBe(false);
  });
});

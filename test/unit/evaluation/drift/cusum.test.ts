import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCusum } from '../../../../src/domain/evaluation/drift/cusum';

const series = (zs: number[]) => zs.map((z, i) => ({ periodStart: i, z }));

describe('runCusum', () => {
  it('accumulates a persistent upward shift beyond the slack', () => {
    const { up, down } = runCusum(series([1.5, 1.5, 1.5, 1.5]), { k: 0.5, h: 5 });
    expect(up.statistic).toBeCloseTo(4);
    expect(down.statistic).toBe(0);
  });

  it('dates an excursion from the period it began', () => {
    const { down } = runCusum(series([0, 0.2, -2, -2, -2]), { k: 0.5, h: 5 });
    expect(down.runStart).toBe(2);
  });

  it('forgets an excursion once the sum returns to zero', () => {
    const { up } = runCusum(series([2, 2, -3, 0]), { k: 0.5, h: 5 });
    expect(up.statistic).toBe(0);
    expect(up.runStart).toBeNull();
  });

  it('never goes negative on either side', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true })), (zs) => {
        const { up, down } = runCusum(series(zs), { k: 0.5, h: 5 });
        return up.statistic >= 0 && down.statistic >= 0;
      }),
    );
  });

  it('mirrors: negating every point swaps the two sides', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true })), (zs) => {
        const a = runCusum(series(zs), { k: 0.5, h: 5 });
        const b = runCusum(series(zs.map((z) => (z === 0 ? 0 : -z))), { k: 0.5, h: 5 });
        return Math.abs(a.up.statistic - b.down.statistic) < 1e-9 && Math.abs(a.down.statistic - b.up.statistic) < 1e-9;
      }),
    );
  });
});

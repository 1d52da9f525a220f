import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/ports/clock';
import type { ResourceProbe } from '../../src/ports/resource-probe';
import { runSelfCheck } from '../../src/usecases/run-self-check';

const probe = (role: string, failure?: Error): ResourceProbe => ({
  kind: 'table',
  role,
  name: `t-${role}`,
  check: async () => {
    if (failure) throw failure;
  },
});

describe('runSelfCheck', () => {
  it('is healthy when every probe succeeds', async () => {
    const report = await runSelfCheck([probe('a'), probe('b')], fixedClock(Date.UTC(2026, 0, 1)));
    expect(report).toEqual({
      healthy: true,
      checkedAt: '2026-01-01T00:00:00.000Z',
      summary: '2 of 2 resources reachable',
      failures: [],
    });
  });

  it('names each unreachable resource and why', async () => {
    const gone = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    const report = await runSelfCheck([probe('a'), probe('b', gone)], fixedClock(0));
    expect(report.healthy).toBe(false);
    expect(report.summary).toBe('1 of 2 resources reachable');
    expect(report.failures).toEqual([
      { kind: 'table', role: 'b', name: 't-b', reason: 'ResourceNotFoundException: Requested resource not found' },
    ]);
  });

  it('is not healthy when there is nothing to probe', async () => {
    expect((await runSelfCheck([], fixedClock(0))).healthy).toBe(false);
  });
});

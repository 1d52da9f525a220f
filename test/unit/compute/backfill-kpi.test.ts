import { describe, expect, it } from 'vitest';
import type { BackfillCheckpoint, BackfillCheckpoints } from '../../../src/ports/backfill-checkpoints';
import { backfillChunks, backfillKpi } from '../../../src/usecases/backfill-kpi';

class MemoryCheckpoints implements BackfillCheckpoints {
  readonly runs = new Map<string, { asOf: string; chunks: number; done: Set<number> }>();
  async open(key: string, asOf: string, chunks: number): Promise<BackfillCheckpoint> {
    const run = this.runs.get(key) ?? { asOf, chunks, done: new Set<number>() };
    this.runs.set(key, run);
    return { key, asOf: run.asOf, chunks: run.chunks, done: [...run.done] };
  }
  async markDone(key: string, chunk: number): Promise<void> {
    this.runs.get(key)?.done.add(chunk);
  }
}

const request = {
  kpiId: 'ctr',
  hash: 'sha256:abc',
  grain: 'day' as const,
  from: Date.UTC(2026, 5, 1),
  to: Date.UTC(2026, 5, 11),
  chunkPeriods: 3,
  asOf: '2026-06-20T00:00:00.000Z',
};
const result = { values: { created: 1, updated: 0, unchanged: 0 }, restatements: 0 };

describe('backfillChunks', () => {
  it('cuts a range into chunks of whole periods, the last one shorter', () => {
    expect(
      backfillChunks('day', request.from, request.to, 3).map((c) => [c.from.slice(0, 10), c.to.slice(0, 10)]),
    ).toEqual([
      ['2026-06-01', '2026-06-04'],
      ['2026-06-04', '2026-06-07'],
      ['2026-06-07', '2026-06-10'],
      ['2026-06-10', '2026-06-11'],
    ]);
  });
});

describe('backfillChunks over long grains', () => {
  it('cuts years by the calendar', () => {
    expect(backfillChunks('year', Date.UTC(2024, 5, 1), Date.UTC(2026, 0, 1), 1).map((c) => c.from)).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
  });

  it('gives all_time one chunk, its one period, whatever the range', () => {
    expect(backfillChunks('all_time', request.from, request.to, 3)).toEqual([
      { from: '1970-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' },
    ]);
  });
});

describe('backfillKpi', () => {
  it('resumes after a crash with the chunks left, as of the instant of the first run', async () => {
    const checkpoints = new MemoryCheckpoints();
    const seen: string[] = [];
    await expect(
      backfillKpi(
        {
          checkpoints,
          computeChunk: async (chunk) => {
            if (chunk.from.startsWith('2026-06-07')) throw new Error('Lambda timed out');
            seen.push(`${chunk.from.slice(0, 10)}@${chunk.asOf}`);
            return result;
          },
        },
        request,
      ),
    ).rejects.toThrow('Lambda timed out');
    const report = await backfillKpi(
      {
        checkpoints,
        computeChunk: async (chunk) => {
          seen.push(`${chunk.from.slice(0, 10)}@${chunk.asOf}`);
          return result;
        },
      },
      { ...request, asOf: '2030-01-01T00:00:00.000Z' },
    );
    expect(seen).toEqual([
      '2026-06-01@2026-06-20T00:00:00.000Z',
      '2026-06-04@2026-06-20T00:00:00.000Z',
      '2026-06-07@2026-06-20T00:00:00.000Z',
      '2026-06-10@2026-06-20T00:00:00.000Z',
    ]);
    expect(report).toMatchObject({ chunks: 4, resumed: 2, asOf: '2026-06-20T00:00:00.000Z' });
  });

  it('reports progress after every chunk', async () => {
    const progress: string[] = [];
    await backfillKpi(
      {
        checkpoints: new MemoryCheckpoints(),
        computeChunk: async () => result,
        onProgress: (done, total) => progress.push(`${done}/${total}`),
      },
      request,
    );
    expect(progress).toEqual(['0/4', '1/4', '2/4', '3/4', '4/4']);
  });

  it("computes the chunks of a finished run again with force, as of that run's instant", async () => {
    const checkpoints = new MemoryCheckpoints();
    const seen: string[] = [];
    const computeChunk = async (chunk: { from: string; asOf: string }) => {
      seen.push(`${chunk.from.slice(0, 10)}@${chunk.asOf}`);
      return result;
    };
    await backfillKpi({ checkpoints, computeChunk }, request);
    seen.length = 0;
    const again = await backfillKpi({ checkpoints, computeChunk }, { ...request, asOf: '2030-01-01T00:00:00.000Z' });
    expect(again).toMatchObject({ chunks: 4, resumed: 4, computed: 0 });
    expect(seen).toEqual([]);
    const forced = await backfillKpi(
      { checkpoints, computeChunk },
      { ...request, asOf: '2030-01-01T00:00:00.000Z', force: true },
    );
    expect(forced).toMatchObject({ chunks: 4, resumed: 4, computed: 4, values: { created: 4 } });
    expect(seen).toEqual([
      '2026-06-01@2026-06-20T00:00:00.000Z',
      '2026-06-04@2026-06-20T00:00:00.000Z',
      '2026-06-07@2026-06-20T00:00:00.000Z',
      '2026-06-10@2026-06-20T00:00:00.000Z',
    ]);
  });
});

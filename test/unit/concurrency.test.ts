// The bounded pool the use cases and adapters share: never more calls in flight than the limit,
// results in the items' order, and a failure stops the pool and reaches the caller.
import { describe, expect, it } from 'vitest';
import { forEachConcurrently, InFlightWindow, mapConcurrently } from '../../src/domain/concurrency';

/** A call that finishes after `ticks` turns of the event loop, so calls overlap and finish out of order. */
async function afterTicks<T>(ticks: number, value: T): Promise<T> {
  for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
  return value;
}

describe('mapConcurrently', () => {
  it('never has more calls in flight than the limit, and reaches the limit when there is work', async () => {
    let inFlight = 0;
    let most = 0;
    await mapConcurrently(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await afterTicks((item * 7) % 5, item);
        inFlight--;
      },
    );
    expect(most).toBe(3);
    expect(inFlight).toBe(0);
  });

  it("gives the results in the items' order, whatever order the calls finish in", async () => {
    const finished: number[] = [];
    const results = await mapConcurrently([5, 1, 4, 0, 3], 5, async (ticks, index) => {
      await afterTicks(ticks, null);
      finished.push(index);
      return `item ${index} after ${ticks}`;
    });
    expect(finished).toEqual([3, 1, 4, 2, 0]);
    expect(results).toEqual(['item 0 after 5', 'item 1 after 1', 'item 2 after 4', 'item 3 after 0', 'item 4 after 3']);
  });

  it('throws the first failure, starts no item after it, and lets the calls in flight finish first', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapConcurrently([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      try {
        if (item === 1) throw new Error('item 1 failed');
        await afterTicks(item === 0 ? 3 : 0, item);
      } finally {
        settled.push(item);
      }
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
    expect(settled).toEqual([1, 0]);
  });

  it('answers an empty list with no calls', async () => {
    let calls = 0;
    expect(await mapConcurrently([], 4, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
  });

  it('refuses a limit that is not a whole number of at least 1', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN])
      await expect(mapConcurrently([1], limit, async (item) => item)).rejects.toThrow(RangeError);
  });
});

describe('forEachConcurrently', () => {
  it('runs every item once and passes a failure on', async () => {
    const seen: string[] = [];
    await forEachConcurrently(['a', 'b', 'c'], 2, async (item) => {
      seen.push(item);
    });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    await expect(
      forEachConcurrently(['a'], 2, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
  });
});

describe('InFlightWindow', () => {
  /** A call that finishes when the test says so. */
  function pending() {
    let finish: (error?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      finish = (error) => (error ? reject(error) : resolve());
    });
    return { done, finish };
  }

  it('never has more calls in flight than its limit, and drain waits for them all', async () => {
    const window = new InFlightWindow(2);
    let running = 0;
    let most = 0;
    let finished = 0;
    for (let i = 0; i < 7; i++) {
      await window.add(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
        running -= 1;
        finished += 1;
      });
    }
    await window.drain();
    expect(most).toBe(2);
    expect(finished).toBe(7);
  });

  it('makes the next add wait for a free slot', async () => {
    const window = new InFlightWindow(1);
    const first = pending();
    await window.add(() => first.done);
    let added = false;
    const second = window
      .add(async () => undefined)
      .then(() => {
        added = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(added).toBe(false);
    first.finish();
    await second;
    expect(added).toBe(true);
    await window.drain();
  });

  it('starts nothing after a call failed, and drain throws the failure once the others finished', async () => {
    const window = new InFlightWindow(2);
    const slow = pending();
    let slowDone = false;
    await window.add(() => slow.done.then(() => (slowDone = true)));
    await window.add(async () => {
      throw new Error('refused');
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    let started = false;
    await expect(
      window.add(async () => {
        started = true;
      }),
    ).rejects.toThrow('refused');
    expect(started).toBe(false);
    const drained = expect(window.drain()).rejects.toThrow('refused');
    slow.finish();
    await drained;
    expect(slowDone).toBe(true);
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => new InFlightWindow(limit)).toThrow(RangeError);
  });
});

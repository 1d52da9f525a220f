// Domain: a bounded pool of promises, for the use cases and adapters that work through many items
// with a few requests in flight at once. Pure: it schedules the caller's functions and does no I/O.

/** @throws RangeError when `limit` is not a whole number of at least 1 */
function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`the concurrency limit must be a whole number of at least 1, not ${limit}`);
}

/**
 * Runs `run` on every item with at most `limit` calls in flight, and gives the results in the
 * items' order (whatever order the calls finish in).
 *
 * After a call fails no further item is started; the calls already running are let finish, then
 * the first failure is thrown.
 * @throws RangeError when `limit` is not a whole number of at least 1
 * @example
 * const sizes = await mapConcurrently(keys, 8, async (key) => (await head(key)).size);
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  checkLimit(limit);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await run(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/** {@link mapConcurrently} for calls whose results are not needed. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  await mapConcurrently(items, limit, run);
}

/**
 * Calls started one after another as their work becomes ready, with at most `limit` in flight: the
 * caller prepares the next item while earlier calls run. `add` waits for a free slot; `drain` waits
 * for every call and throws the first failure (no call is started after one failed).
 * @example
 * const window = new InFlightWindow(8);
 * for (const hour of hours) await window.add(() => put(await prepare(hour)));
 * await window.drain();
 */
export class InFlightWindow {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /** @throws RangeError when `limit` is not a whole number of at least 1 */
  constructor(readonly limit: number) {
    checkLimit(limit);
  }

  /** Starts `call` once fewer than `limit` calls run; throws the first failure of an earlier call. */
  async add(call: () => Promise<unknown>): Promise<void> {
    while (this.failure === undefined && this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure !== undefined) throw this.failure.error;
    const running: Promise<void> = call().then(
      () => {
        this.running.delete(running);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.running.delete(running);
      },
    );
    this.running.add(running);
  }

  /** Waits for every call started; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** Waits for every call started, failed or not (before cleaning up after an error). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}

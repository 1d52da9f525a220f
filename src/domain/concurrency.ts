// Domain: a bounded pool of promises, for the use cases and adapters that work through many items
// with a few requests in flight at once. Pure: it schedules the caller's functions and does no I/O.

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
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`the concurrency limit must be a whole number of at least 1, not ${limit}`);
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

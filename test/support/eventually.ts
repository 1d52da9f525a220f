// Test support: waiting for something another part of the system does in its own time (an email on a
// topic, a task token), with a deadline of its own so a wait that never ends fails saying what it was.

export interface EventuallyOptions {
  /** How long to keep asking before failing. Below the suites' test timeout, so this message shows. @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause between two questions. @default 25 */
  readonly everyMs?: number;
}

/**
 * Asks `probe` until it answers something other than undefined, and returns that answer.
 * @param what what is awaited, for the failure message (`an email to ana@example.com`)
 * @throws Error naming `what` and the time waited when `timeoutMs` passes without an answer
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  let asked = 0;
  for (;;) {
    const value = await probe();
    asked++;
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`waited ${timeoutMs} ms (${asked} checks) for ${what}; it never came`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

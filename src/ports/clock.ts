// Port: time. The domain never reads the clock; use cases receive one.

export interface Clock {
  /** Milliseconds since the epoch, UTC. */
  now(): number;
}

/** A clock that always says the same time, for tests and deterministic recomputation. */
export function fixedClock(epochMillis: number): Clock {
  return { now: () => epochMillis };
}

// Test support: a small seeded random source, so planted-anomaly series are the same on every run.

import { mulberry32 } from '../../src/adapters/aws/fault-injection';

/** Mulberry32, the fault injector's generator: a fast 32-bit PRNG, good enough for test series. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** Standard normal draws from a seeded source (Box–Muller). */
export function seededNormal(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

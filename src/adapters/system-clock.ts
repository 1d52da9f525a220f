// Adapter: the clock of the machine the code runs on.
import type { Clock } from '../ports/clock';

export const systemClock: Clock = { now: () => Date.now() };

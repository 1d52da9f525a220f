// Test support: a clock tests move by hand.
import type { Clock } from '../../src/ports/clock';

export class ManualClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  advance(millis: number): void {
    this.time += millis;
  }
}

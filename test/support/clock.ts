// A clock tests move by hand, for anything that takes a `now` (util/clock.ts): time passes when the
// test says so, never while it sleeps.

import type { Clock } from '../../src/util/clock.js';

export class ManualClock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  /** The Clock to hand to the code under test. */
  readonly now: Clock = () => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }
}

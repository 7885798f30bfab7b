// Fault drawing: a seeded PRNG (mulberry32) so a fault run with the same seed and the same request
// sequence fails the same requests.

import type { FaultRates } from './types.js';

export type FaultKind = 'http5xx' | 'reset' | 'errno31034' | 'errnoMinus7';

export class FaultDice {
  private state = 0;

  constructor(seed: number) {
    this.reseed(seed);
  }

  reseed(seed: number): void {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The fault this request suffers, if any. Only kinds with a rate > 0 consume a draw. */
  draw(rates: FaultRates | undefined): FaultKind | null {
    if (!rates) return null;
    for (const kind of ['http5xx', 'reset', 'errno31034', 'errnoMinus7'] as const) {
      const rate = rates[kind] ?? 0;
      if (rate > 0 && this.next() < rate) return kind;
    }
    return null;
  }

  /** Which 5xx status a http5xx fault answers with. */
  status5xx(): 500 | 502 | 503 {
    return ([500, 502, 503] as const)[Math.floor(this.next() * 3)]!;
  }
}

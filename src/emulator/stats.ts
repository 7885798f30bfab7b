// Per-endpoint counters behind GET /__emulator/stats: requests, errors, bytes in and out.

import type { EndpointName, EndpointStats } from './types.js';

export class Stats {
  private counters = new Map<EndpointName, EndpointStats>();

  of(endpoint: EndpointName): EndpointStats {
    let c = this.counters.get(endpoint);
    if (!c) {
      c = { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0 };
      this.counters.set(endpoint, c);
    }
    return c;
  }

  snapshot(): Partial<Record<EndpointName, EndpointStats>> {
    const out: Partial<Record<EndpointName, EndpointStats>> = {};
    for (const [k, v] of this.counters) out[k] = { ...v };
    return out;
  }

  /** Zeroes every counter (in place, so requests in flight keep counting into the new period). */
  reset(): void {
    for (const c of this.counters.values()) Object.assign(c, { requests: 0, errors: 0, bytesIn: 0, bytesOut: 0 });
  }
}

// The rateLimit knob: a token bucket per account (by cookie) over API calls. Past it, calls are
// answered "operation too frequent" (errno 31034, error_code on PCS paths) or HTTP 429, before they
// touch any state. Data transfers and the web page are not counted (docs/terabox-protocol.md §7).

import type { EmulatorKnobs, EndpointName } from './types.js';

const UNCOUNTED: ReadonlySet<EndpointName> = new Set<EndpointName>(['page', 'superfile2', 'dlink', 'data', 'pcsdownload']);

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Calls refused since start. */
  refused = 0;

  /** True when this call is over the limit (and counts it). */
  over(knob: EmulatorKnobs['rateLimit'], endpoint: EndpointName, who: string, now = performance.now()): boolean {
    if (!knob || UNCOUNTED.has(endpoint)) return false;
    let b = this.buckets.get(who);
    if (!b) {
      b = { tokens: knob.burst, at: now };
      this.buckets.set(who, b);
    }
    b.tokens = Math.min(knob.burst, b.tokens + ((now - b.at) / 1000) * knob.callsPerSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.refused++;
      return true;
    }
    b.tokens -= 1;
    return false;
  }
}

// Quota cache: Finder and rclone ask for quota properties on many PROPFINDs; /api/quota is asked at
// most once per TTL, and concurrent askers share the call.

import { systemClock, type Clock } from '../util/clock.js';
import type { Quota as RemoteQuota } from '../terabox/api.js';
import { SingleFlight } from './single-flight.js';
import type { Quota } from './types.js';

export class QuotaCache {
  private value: { quota: Quota; at: number } | undefined;
  private readonly fetching = new SingleFlight<'quota', Quota>();

  constructor(
    private readonly fetch: () => Promise<RemoteQuota>,
    private readonly ttlMs: number,
    private readonly now: Clock = systemClock,
  ) {}

  get(): Promise<Quota> {
    if (this.value && this.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.quota);
    return this.fetching.run('quota', async () => {
      const q = await this.fetch();
      const quota: Quota = { used: q.used, available: Math.max(0, q.free) };
      this.value = { quota, at: this.now() };
      return quota;
    });
  }
}

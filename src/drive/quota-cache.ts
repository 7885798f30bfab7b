// Quota cache: Finder and rclone ask for quota properties on many PROPFINDs; /api/quota is asked at
// most once per TTL, and concurrent askers share the call. The drive's own writes, deletes and
// overwrites adjust the cached figure (adjust), or drop it when their size is not known (invalidate).

import { systemClock, type Clock } from '../util/clock.js';
import type { Quota as RemoteQuota } from '../terabox/api.js';
import { SingleFlight } from './single-flight.js';
import type { Quota } from './types.js';

export class QuotaCache {
  private value: { quota: Quota; at: number } | undefined;
  /** Bumped by every change, so an answer fetched across a change is not cached as current. */
  private generation = 0;
  private readonly fetching = new SingleFlight<'quota', Quota>();

  constructor(
    private readonly fetch: () => Promise<RemoteQuota>,
    private readonly ttlMs: number,
    private readonly now: Clock = systemClock,
  ) {}

  get(): Promise<Quota> {
    if (this.value && this.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.quota);
    return this.fetching.run('quota', async () => {
      const generation = this.generation;
      const q = await this.fetch();
      const quota: Quota = { used: q.used, available: Math.max(0, q.free) };
      if (generation === this.generation) this.value = { quota, at: this.now() };
      return quota;
    });
  }

  /** The drive stored `bytes` more (negative: freed them) on TeraBox. */
  adjust(bytes: number): void {
    this.generation++;
    if (!this.value || bytes === 0) return;
    const { used, available } = this.value.quota;
    const moved = bytes > 0 ? Math.min(bytes, available) : Math.max(bytes, -used);
    this.value = { quota: { used: used + moved, available: available - moved }, at: this.value.at };
  }

  /** A change of unknown size (a folder deleted or copied): the next ask goes to TeraBox. */
  invalidate(): void {
    this.generation++;
    this.value = undefined;
  }
}

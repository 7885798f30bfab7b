// Download-link cache: a minted link is reused until shortly before it expires, so a GET costs one
// upstream hop (the download itself) instead of three; concurrent reads of one file share one mint.

import { LRUCache } from 'lru-cache';
import type { DownloadLink } from '../terabox/api.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SingleFlight } from './single-flight.js';

export interface LinkCacheOptions {
  /** Stop using a link this long before its expiresAt (a download must start while it still works). */
  marginMs: number;
  maxLinks?: number;
  now?: Clock;
}

export class LinkCache {
  private readonly links: LRUCache<string, DownloadLink>;
  private readonly minting = new SingleFlight<string, DownloadLink>();
  private readonly now: Clock;

  constructor(private readonly opts: LinkCacheOptions) {
    this.now = opts.now ?? systemClock;
    // Expiry is checked against each link's own expiresAt on use; the LRU bound only caps memory.
    this.links = new LRUCache({ max: opts.maxLinks ?? 10_000 });
  }

  /**
   * The link for `key` (one key per stored version of a file): the cached one while usable, else
   * mint() once, shared by concurrent callers.
   */
  get(key: string, mint: () => Promise<DownloadLink>): Promise<DownloadLink> {
    const cached = this.links.get(key);
    if (cached && this.usable(cached)) return Promise.resolve(cached);
    return this.minting.run(key, async () => {
      const link = await mint();
      if (this.usable(link)) this.links.set(key, link);
      return link;
    });
  }

  /**
   * Drops the link for key (the server refused it before we expected). Given the refused link, only
   * that one: when parallel fetches hit the same expiry, the first re-mints and the others reuse it.
   */
  forget(key: string, refused?: DownloadLink): void {
    if (refused && this.links.get(key) !== refused) return;
    this.links.delete(key);
  }

  clear(): void {
    this.links.clear();
  }

  private usable(link: DownloadLink): boolean {
    return link.expiresAt - this.opts.marginMs > this.now();
  }
}

// Listing cache: one upstream listing per directory while it is fresh (TTL, LRU-bounded), shared by
// concurrent misses, and patched in place by the drive's own writes so what was just written is listed
// exactly (read-after-write, which rclone checks after every PUT).

import { LRUCache } from 'lru-cache';
import type { RemoteEntry } from '../terabox/api.js';
import { systemClock, type Clock } from '../util/clock.js';
import { isStrictlyUnder, parentOf } from './paths.js';
import type { Entry } from './types.js';

/** A remote entry with its drive Entry, mapped once when listed or written. */
export interface RemoteItem {
  remote: RemoteEntry;
  entry: Entry;
}

/** A directory's remote members by name. */
export type Listing = ReadonlyMap<string, RemoteItem>;

export interface DirCacheOptions {
  /** Loads a directory's members (all pages); rejects with NOT_FOUND when it does not exist. */
  load: (dir: string) => Promise<RemoteItem[]>;
  /** How long a listing is trusted; 0 disables caching (every lookup lists). */
  ttlMs: number;
  maxDirs: number;
  /** The clock the TTL is measured with. Default: the system clock. */
  now?: Clock;
}

interface Load {
  promise: Promise<Listing>;
  /** Set when the directory changed while the load was in flight: its answer may predate the change. */
  stale: boolean;
}

export class DirCache {
  private readonly listings: LRUCache<string, Map<string, RemoteItem>>;
  private readonly loads = new Map<string, Load>();

  constructor(private readonly opts: DirCacheOptions) {
    const now = opts.now ?? systemClock;
    // ttlResolution 0: every check reads the clock (lru-cache otherwise caches it for a real-time ms).
    this.listings = new LRUCache({ max: Math.max(1, opts.maxDirs), ttl: Math.max(0, opts.ttlMs), perf: { now }, ttlResolution: 0 });
  }

  /** The members of dir: cached, or listed once however many callers ask at the same time. */
  listing(dir: string): Promise<Listing> {
    const cached = this.listings.get(dir);
    if (cached) return Promise.resolve(cached);
    const running = this.loads.get(dir);
    if (running) return running.promise;
    // The handlers run in a later microtask, after `load` is initialised.
    const load: Load = {
      stale: false,
      promise: this.opts.load(dir).then(
        (items) => {
          if (this.loads.get(dir) === load) this.loads.delete(dir);
          const listing = new Map(items.map((i) => [i.entry.name, i]));
          if (!load.stale && this.opts.ttlMs > 0) this.listings.set(dir, listing);
          return listing;
        },
        (e: unknown) => {
          if (this.loads.get(dir) === load) this.loads.delete(dir);
          throw e;
        },
      ),
    };
    this.loads.set(dir, load);
    return load.promise;
  }

  /** The cached members of dir, without going upstream or touching its recency. */
  peek(dir: string): Listing | undefined {
    return this.listings.peek(dir);
  }

  /** Puts an entry we just created or changed into its parent's cached listing. */
  upsert(item: RemoteItem): void {
    const dir = parentOf(item.remote.path);
    this.listings.peek(dir)?.set(item.entry.name, item);
    this.markChanged(dir);
  }

  /** Removes path from its parent's listing and forgets every listing at or below it. */
  remove(path: string): void {
    const dir = parentOf(path);
    const listing = this.listings.peek(dir);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const known = listing?.get(name);
    listing?.delete(name);
    this.markChanged(dir);
    // A file has no listings below it; walking every cached listing per deleted file would cost
    // seconds of CPU when rclone deletes thousands of files after walking a large tree.
    if (known?.remote.isDir !== false) this.forgetTree(path);
  }

  /** Records that dir was just created empty, so listing it costs nothing. */
  seedEmpty(dir: string): void {
    this.markChanged(dir);
    if (this.opts.ttlMs > 0) this.listings.set(dir, new Map());
  }

  /** Drops dir's listing: the next lookup lists it again (someone changed the drive behind our back). */
  invalidate(dir: string): void {
    this.listings.delete(dir);
    this.markChanged(dir);
  }

  /** Drops the listings of path and of every directory below it. */
  forgetTree(path: string): void {
    for (const dir of [...this.listings.keys()]) {
      if (dir === path || isStrictlyUnder(dir, path)) this.listings.delete(dir);
    }
    for (const dir of [...this.loads.keys()]) {
      if (dir === path || isStrictlyUnder(dir, path)) this.markChanged(dir);
    }
  }

  clear(): void {
    this.listings.clear();
    for (const dir of [...this.loads.keys()]) this.markChanged(dir);
  }

  /**
   * An in-flight listing of dir may have been answered before the change: it must not be cached, and
   * callers arriving from now on must not join it (they start a fresh listing instead).
   */
  private markChanged(dir: string): void {
    const load = this.loads.get(dir);
    if (!load) return;
    load.stale = true;
    this.loads.delete(dir);
  }
}

// The read cache (block cache on disk + read-ahead): see read-cache.ts and chunk-store.ts.

import type { Database } from 'better-sqlite3';
import type { Logger } from '../../log.js';
import { ChunkStore } from './chunk-store.js';
import { ReadCache, READ_CACHE_DEFAULTS } from './read-cache.js';

export { ChunkStore, type ChunkStoreOptions, type ChunkHandle } from './chunk-store.js';
export { ReadCache, READ_CACHE_DEFAULTS, versionKey, type FileVersion, type RangeOpener } from './read-cache.js';

export interface ReadCacheSettings {
  /** The drive's local-state DB (the index lives in its drive_cache_chunks table). */
  db: Database;
  /** `<dataDir>/cache`. */
  dir: string;
  /** Default 10 GiB (capped at half the disk's free space). */
  maxBytes?: number;
  chunkSize?: number;
  parallel?: number;
  freeSpace?: (dir: string) => number;
  logger?: Logger;
}

export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/** Opens the chunk store (sweeping what a crash left) and the reader over it. */
export function createReadCache(s: ReadCacheSettings): ReadCache {
  const store = new ChunkStore({
    db: s.db,
    dir: s.dir,
    maxBytes: s.maxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    freeSpace: s.freeSpace,
    logger: s.logger,
  });
  return new ReadCache({
    store,
    chunkSize: s.chunkSize ?? READ_CACHE_DEFAULTS.chunkSize,
    parallel: s.parallel ?? READ_CACHE_DEFAULTS.parallel,
    logger: s.logger,
  });
}

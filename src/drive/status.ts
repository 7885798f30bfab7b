// The drive's status snapshot: what is uploading, what failed, how the cache and the account stand,
// how TeraBox answers. It is served as JSON at /.well-known/terabox-webdav/status.json and is the one
// source the status page, the metrics and the `status` command read. Keep it small and stable: add
// fields, never rename them. Times are ISO-8601 strings, sizes bytes, rates bytes per second.

import type { TeraBoxHealth } from '../terabox/health.js';

/** Where one background commit stands. */
export type UploadState = 'pending' | 'active' | 'failed';

export interface UploadStatus {
  /** Stable for the life of the commit (the journal id). */
  id: string;
  /** The drive path the file is shown at. */
  path: string;
  size: number;
  /** Bytes TeraBox has confirmed (parts it already held count as confirmed). */
  confirmedBytes: number;
  state: UploadState;
  attempts: number;
  lastError?: string;
  /** When the client's PUT was answered (the commit was queued). */
  queuedAt: string;
  startedAt?: string;
  updatedAt: string;
  /** Recent upload rate while active. */
  rate?: number;
}

export interface UploadTotals {
  pending: number;
  active: number;
  failed: number;
  /** Bytes not yet confirmed by TeraBox, over pending and active commits. */
  pendingBytes: number;
  /** True while new PUTs wait for room (upload.maxPendingBytes reached). */
  backpressure: boolean;
}

export interface CacheStatus {
  mode: 'full' | 'off';
  bytes: number;
  maxBytes: number;
  entries: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 when nothing was read. */
  hitRatio: number;
  /** Bytes fetched from TeraBox to fill the cache or serve reads. */
  bytesFetched: number;
}

/** How TeraBox answers; the client keeps it (src/terabox/health.ts), the snapshot shows it as is. */
export type { TeraBoxHealth };

export interface DriveStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  settings: {
    uploadMode: 'write-back' | 'write-through';
    uploadParallel: number;
    uploadGlobalParallel: number;
    cacheMode: 'full' | 'off';
    downloadParallel: number;
    readOnly: boolean;
  };
  uploads: { items: UploadStatus[]; totals: UploadTotals };
  cache: CacheStatus | null;
  quota: { used: number; available: number } | null;
  terabox: TeraBoxHealth;
}

/** The reserved prefix of the drive's own pages; nothing under it is ever a file. */
export const WELL_KNOWN_PREFIX = '/.well-known/terabox-webdav';

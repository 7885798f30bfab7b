// Assembles the status snapshot (src/drive/status.ts) from the parts that know each section: the
// upload queue, the read cache, the TeraBox client's health and the quota cache. A part that is not
// there yet (or switched off) leaves its section empty rather than invented.

import type { CacheStatus, DriveStatus, TeraBoxHealth, UploadStatus, UploadTotals } from './drive/status.js';

export interface StatusParts {
  version: string;
  startedAt: Date;
  settings: DriveStatus['settings'];
  uploads?: () => { items: UploadStatus[]; totals: UploadTotals };
  cache?: () => CacheStatus;
  terabox?: () => TeraBoxHealth;
  quota?: () => Promise<{ used: number; available: number }>;
  now?: () => number;
}

const NO_UPLOADS = (): { items: UploadStatus[]; totals: UploadTotals } => ({
  items: [],
  totals: { pending: 0, active: 0, failed: 0, pendingBytes: 0, backpressure: false },
});

export function createStatusSource(parts: StatusParts): () => Promise<DriveStatus> {
  const now = parts.now ?? Date.now;
  return async () => {
    let quota: DriveStatus['quota'] = null;
    try {
      quota = parts.quota ? await parts.quota() : null;
    } catch {
      // TeraBox unreachable: the page still answers, without the quota.
    }
    return {
      version: parts.version,
      startedAt: parts.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.round((now() - parts.startedAt.getTime()) / 1000)),
      settings: parts.settings,
      uploads: (parts.uploads ?? NO_UPLOADS)(),
      cache: parts.cache ? parts.cache() : null,
      quota,
      terabox: parts.terabox ? parts.terabox() : { reachable: true },
    };
  };
}

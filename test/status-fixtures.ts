// Status snapshots built by tests: a base snapshot and a controllable source whose uploads a test
// advances by hand, for the status page, the metrics and the `status` command.

import type { DriveStatus, UploadStatus } from '../src/drive/status.js';

export function baseSnapshot(over: Partial<DriveStatus> = {}): DriveStatus {
  return {
    version: '9.8.7',
    startedAt: '2026-01-01T00:00:00.000Z',
    uptimeSeconds: 3725,
    settings: {
      uploadMode: 'write-back',
      uploadParallel: 4,
      uploadGlobalParallel: 8,
      cacheMode: 'full',
      downloadParallel: 2,
      readOnly: false,
    },
    uploads: { items: [], totals: { pending: 0, active: 0, failed: 0, pendingBytes: 0, backpressure: false } },
    cache: {
      mode: 'full',
      bytes: 300 * 1024 * 1024,
      maxBytes: 1024 * 1024 * 1024,
      entries: 12,
      hits: 30,
      misses: 10,
      hitRatio: 0.75,
      bytesFetched: 5000,
    },
    quota: { used: 3 * 1024 ** 3, available: 1021 * 1024 ** 3 },
    terabox: { reachable: true, region: 'jp', uploadHost: 'c-jp.terabox.com', callsPerSecond: 1.5, callsPerSecondLimit: 10 },
    ...over,
  };
}

export function upload(over: Partial<UploadStatus> & { path: string }): UploadStatus {
  const now = '2026-01-01T01:00:00.000Z';
  return { id: over.path, size: 100, confirmedBytes: 0, state: 'pending', attempts: 0, queuedAt: now, updatedAt: now, ...over };
}

/** Totals computed from the items, the way the upload queue reports them. */
export function withUploads(items: UploadStatus[], base: DriveStatus = baseSnapshot()): DriveStatus {
  const count = (state: UploadStatus['state']) => items.filter((u) => u.state === state).length;
  const pendingBytes = items.filter((u) => u.state !== 'failed').reduce((n, u) => n + (u.size - u.confirmedBytes), 0);
  return {
    ...base,
    uploads: {
      items,
      totals: { pending: count('pending'), active: count('active'), failed: count('failed'), pendingBytes, backpressure: false },
    },
  };
}

/** A status function whose snapshot the test replaces at will. */
export function controlledStatus(initial: DriveStatus = baseSnapshot()): {
  status: () => Promise<DriveStatus>;
  set(s: DriveStatus): void;
  calls: number;
} {
  let current = initial;
  const source = {
    calls: 0,
    status: async () => {
      source.calls++;
      return structuredClone(current);
    },
    set(s: DriveStatus) {
      current = s;
    },
  };
  return source;
}

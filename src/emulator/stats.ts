// Per-endpoint counters behind GET /__emulator/stats: requests, errors, bytes in and out.

import type { DownloadRecord, EndpointName, EndpointStats } from './types.js';

/** Data requests remembered one by one. */
const MAX_DOWNLOADS = 10_000;

export class Stats {
  private counters = new Map<EndpointName, EndpointStats>();
  private downloadLog: DownloadRecord[] = [];

  /** Starts the record of one data request; its `bytes` grow as the body is sent. */
  download(record: DownloadRecord): DownloadRecord {
    this.downloadLog.push(record);
    if (this.downloadLog.length > MAX_DOWNLOADS) this.downloadLog.splice(0, this.downloadLog.length - MAX_DOWNLOADS);
    return record;
  }

  downloads(): DownloadRecord[] {
    return this.downloadLog.map((r) => ({ ...r }));
  }

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
    this.downloadLog = [];
  }
}

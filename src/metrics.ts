// Prometheus metrics for one drive (prom-client, a Registry of its own so several drives in one process
// never collide): WebDAV requests and their durations, TeraBox calls by endpoint and errno, bytes each
// way, and, read from the status snapshot at scrape time, the upload queue and the read cache. Also
// the optional loopback-only port that serves them to scrapers without credentials.

import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DavMetrics } from './dav/well-known.js';
import type { DriveStatus } from './drive/status.js';
import type { TransportObserver } from './terabox/http.js';

export interface DriveMetrics extends DavMetrics {
  readonly registry: Registry;
  /** Hook for the TeraBox client (src/terabox TeraBoxClientOptions.observer). */
  readonly upstream: TransportObserver;
}

export interface MetricsOptions {
  /** Read at every scrape for the upload and cache gauges. */
  status?: () => Promise<DriveStatus>;
  /** Default process metrics (CPU, memory, event loop, handles); default true. */
  processMetrics?: boolean;
}

const PREFIX = 'terabox_webdav_';

/** A counter whose value is read from elsewhere at scrape time (the snapshot keeps the running totals). */
function mirroredCounter(registry: Registry, name: string, help: string): Counter & { mirror(value: number): void } {
  const c = new Counter({ name, help, registers: [registry] });
  return Object.assign(c, {
    mirror(value: number) {
      c.reset();
      if (value > 0) c.inc(value);
    },
  });
}

/**
 * Node's default metrics describe the process, not a drive, and each collection keeps observers and
 * timers for good: one registry per process holds them, merged into every drive's scrape.
 */
let processRegistry: Registry | undefined;
function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
  }
  return processRegistry;
}

export function createDriveMetrics(opts: MetricsOptions = {}): DriveMetrics {
  const registry = new Registry();
  const withProcess = opts.processMetrics ?? true;

  const requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'WebDAV requests answered, by method and status (499: the client went away)',
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'WebDAV request duration, from the request line to the end of the response, by method',
    labelNames: ['method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const clientBytes = new Counter({
    name: `${PREFIX}client_bytes_total`,
    help: 'Bytes between WebDAV clients and the drive: direction "in" (requests, e.g. PUT bodies) and "out" (responses)',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const upstreamCalls = new Counter({
    name: `${PREFIX}upstream_calls_total`,
    help: 'TeraBox API calls by endpoint and errno ("network" when no answer came)',
    labelNames: ['endpoint', 'errno'] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: `${PREFIX}upstream_call_duration_seconds`,
    help: 'TeraBox API call duration by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const upstreamBytes = new Counter({
    name: `${PREFIX}upstream_bytes_total`,
    help: 'Bytes to and from TeraBox: direction "up" (request bodies, parts) and "down" (answers and downloads, as announced)',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const uploads = new Gauge({
    name: `${PREFIX}uploads`,
    help: 'Background uploads by state (pending, active, failed)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const pendingBytes = new Gauge({
    name: `${PREFIX}upload_pending_bytes`,
    help: 'Bytes of pending and active uploads not yet confirmed by TeraBox',
    registers: [registry],
  });
  const backpressure = new Gauge({
    name: `${PREFIX}upload_backpressure`,
    help: '1 while new PUTs wait for room in the upload queue',
    registers: [registry],
  });
  const cacheHits = mirroredCounter(registry, `${PREFIX}cache_hits_total`, 'Read-cache hits');
  const cacheMisses = mirroredCounter(registry, `${PREFIX}cache_misses_total`, 'Read-cache misses');
  const cacheFetched = mirroredCounter(registry, `${PREFIX}cache_fetched_bytes_total`, 'Bytes fetched from TeraBox by the read cache');
  const cacheBytes = new Gauge({ name: `${PREFIX}cache_bytes`, help: 'Bytes held by the read cache', registers: [registry] });
  const cacheMaxBytes = new Gauge({ name: `${PREFIX}cache_max_bytes`, help: 'Read-cache capacity', registers: [registry] });
  const quotaUsed = new Gauge({ name: `${PREFIX}quota_used_bytes`, help: 'Account space used', registers: [registry] });
  const quotaFree = new Gauge({ name: `${PREFIX}quota_available_bytes`, help: 'Account space free', registers: [registry] });
  const reachable = new Gauge({
    name: `${PREFIX}upstream_reachable`,
    help: '1 when the last TeraBox call got an answer',
    registers: [registry],
  });

  function fromSnapshot(s: DriveStatus): void {
    const t = s.uploads.totals;
    uploads.set({ state: 'pending' }, t.pending);
    uploads.set({ state: 'active' }, t.active);
    uploads.set({ state: 'failed' }, t.failed);
    pendingBytes.set(t.pendingBytes);
    backpressure.set(t.backpressure ? 1 : 0);
    const c = s.cache;
    cacheHits.mirror(c?.hits ?? 0);
    cacheMisses.mirror(c?.misses ?? 0);
    cacheFetched.mirror(c?.bytesFetched ?? 0);
    cacheBytes.set(c?.bytes ?? 0);
    cacheMaxBytes.set(c?.maxBytes ?? 0);
    if (s.quota) {
      quotaUsed.set(s.quota.used);
      quotaFree.set(s.quota.available);
    }
    reachable.set(s.terabox.reachable ? 1 : 0);
  }

  return {
    registry,
    requestEnded({ method, status, seconds, bytesIn, bytesOut }) {
      requests.inc({ method, status: String(status) });
      duration.observe({ method }, seconds);
      if (bytesIn > 0) clientBytes.inc({ direction: 'in' }, bytesIn);
      if (bytesOut > 0) clientBytes.inc({ direction: 'out' }, bytesOut);
    },
    upstream: {
      call({ endpoint, errno, seconds }) {
        upstreamCalls.inc({ endpoint, errno: errno === null ? 'network' : String(errno) });
        upstreamDuration.observe({ endpoint }, seconds);
      },
      bytes({ up, down }) {
        if (up > 0) upstreamBytes.inc({ direction: 'up' }, up);
        if (down > 0) upstreamBytes.inc({ direction: 'down' }, down);
      },
    },
    async scrape() {
      if (opts.status) {
        try {
          fromSnapshot(await opts.status());
        } catch {
          // The snapshot failed (e.g. during shutdown): serve the counters without fresh gauges.
        }
      }
      const exposed = withProcess ? Registry.merge([registry, processMetricsRegistry()]) : registry;
      return { contentType: registry.contentType, text: await exposed.metrics() };
    },
  };
}

/**
 * Serves the metrics without authentication on a loopback address only (any path answers GET with
 * the exposition), for scrapers on the same machine. Resolves with the server once it listens.
 */
export async function serveMetrics(metrics: Pick<DavMetrics, 'scrape'>, port: number, host = '127.0.0.1'): Promise<Server> {
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`the metrics port listens on loopback only, not ${host}`);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('GET only\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, text }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function metricsPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

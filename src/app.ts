// The composition root: builds the drive from settings (TeraBox client, uploader, local state, drive,
// WebDAV server) and, when no cookie is configured, the embedded emulator it talks to.

import { mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import { isLoopback } from './util/loopback.js';
import type { Logger } from './log.js';
import { createTeraBoxClient } from './terabox/client.js';
import { withNameEncoding } from './terabox/name-encoding.js';
import { createUploader } from './upload/index.js';
import { createTeraBoxDrive, openLocalState } from './drive/index.js';
import { createReadCache } from './drive/cache/index.js';
import { createDavServer } from './dav/server.js';
import { startEmulator, type EmulatorHandle, type EmulatorKnobs } from './emulator/index.js';
import { createStatusSource, type StatusParts } from './status.js';
import { createDriveMetrics, metricsPort, serveMetrics } from './metrics.js';
import type { DriveStatus } from './drive/status.js';
import { packageVersion } from './version.js';

export interface RunningDrive {
  /** The WebDAV URL, ending in `/`. */
  url: string;
  /** The embedded emulator, when no cookie was configured. */
  emulator?: EmulatorHandle;
  /** The unauthenticated loopback metrics address, when server.metricsPort is set. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** upload.maxPendingBytes when not set: 20 GiB or half the spool disk's free space now, whichever is smaller. */
function defaultMaxPendingBytes(spoolDir: string): number {
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  const fs = statfsSync(spoolDir);
  return Math.max(1, Math.min(20 * 1024 ** 3, Math.floor((fs.bavail * fs.bsize) / 2)));
}

/** For tests and embedders: sections of the status snapshot supplied from outside (they win over the drive's own). */
export interface DriveHooks {
  status?: Partial<Pick<StatusParts, 'uploads' | 'cache' | 'terabox'>>;
}

/** Serves the settings' drive until close(). */
export async function startDrive(config: Config, logger: Logger, hooks: DriveHooks = {}): Promise<RunningDrive> {
  const { server: serverSettings } = config;
  if (serverSettings.users.length === 0 && !isLoopback(serverSettings.host)) {
    throw new Error(
      `server.users is empty and server.host ${serverSettings.host} is not a loopback address: anonymous access is only allowed on loopback. ` +
        'Add users (make a hash with `terabox-webdav hash-password`) or listen on 127.0.0.1.',
    );
  }
  // Local state, spooled bodies and overlay files are the user's data: this user's eyes only.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const closers: (() => Promise<void> | void)[] = [];
  // One shutdown however often close() is called (a signal handler and an embedder may both call
  // it): a second pass would run the closers in start-up order, stopping TeraBox under the commits
  // the first pass is waiting for.
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch (e) {
          logger.warn({ err: e }, 'error while shutting down');
        }
      }
    })());

  try {
    let baseUrl = config.terabox.baseUrl;
    let cookie = config.terabox.cookie;
    let emulator: EmulatorHandle | undefined;
    if (!cookie) {
      const emulatorDir = join(config.dataDir, 'emulator');
      logger.info({ data: emulatorDir }, `no TeraBox cookie configured: starting the embedded TeraBox emulator (data in ${emulatorDir})`);
      emulator = await startEmulator({
        dataDir: emulatorDir,
        host: config.emulator.host,
        port: config.emulator.port,
        knobs: config.emulator.knobs as Partial<EmulatorKnobs>,
        logger: logger.child({ component: 'emulator' }),
      });
      closers.push(() => emulator!.stop());
      baseUrl = emulator.url;
      cookie = emulator.defaultCookie;
      logger.info({ emulator: emulator.url }, `the embedded TeraBox emulator answers at ${emulator.url}`);
    } else {
      logger.info({ upstream: baseUrl }, `using TeraBox at ${baseUrl}`);
    }

    // The metrics read the status snapshot at scrape time; the snapshot is built once the drive exists.
    let status: () => Promise<DriveStatus> = () => Promise.reject(new Error('the drive is starting'));
    const metrics = createDriveMetrics({ status: () => status() });

    const { terabox: teraboxSettings } = config;
    const client = createTeraBoxClient({
      baseUrl,
      cookie,
      userAgent: teraboxSettings.userAgent,
      apiStyle: teraboxSettings.apiStyle,
      uploadHost: teraboxSettings.uploadHost || undefined,
      downloadApi: teraboxSettings.downloadApi,
      invalidNameChars: teraboxSettings.invalidNameChars,
      maxConnections: teraboxSettings.maxConnections,
      timeouts: teraboxSettings.timeouts,
      retry: teraboxSettings.retry,
      // The embedded emulator has no rate limit to stay under.
      apiCallsPerSecond: emulator ? 0 : teraboxSettings.apiCallsPerSecond,
      apiBurst: teraboxSettings.apiBurst,
      logger: logger.child({ component: 'terabox' }),
      observer: metrics.upstream,
    });
    // Every path to and from TeraBox goes through the name mapping (or, in refuse mode, its size checks).
    const api = withNameEncoding(client, teraboxSettings.nameEncoding, teraboxSettings.invalidNameChars);
    closers.push(() => api.close());

    const spoolDir = config.upload.spoolDir || join(config.dataDir, 'spool');
    const uploader = createUploader({
      api,
      spoolDir,
      journalPath: join(config.dataDir, 'upload-journal.db'),
      parallel: config.upload.parallel,
      globalParallel: config.upload.globalParallel,
      partAttempts: config.upload.partAttempts,
      precreateBlockList: config.upload.precreateBlockList,
      rapidUpload: config.upload.rapidUpload,
      ladder: config.upload.ladder,
      maxFileSize: config.upload.maxFileSize || undefined,
      mode: config.upload.mode,
      backoff: teraboxSettings.retry,
      logger: logger.child({ component: 'upload' }),
    });
    closers.push(() => uploader.close());
    uploader.warm();

    const db = openLocalState(join(config.dataDir, 'state.db'));
    closers.push(() => {
      db.close();
    });
    // The block cache for reads (closed before the DB it indexes in, after the drive that reads through it).
    const readCache =
      config.cache.mode === 'full'
        ? createReadCache({
            db,
            dir: join(config.dataDir, 'cache'),
            maxBytes: config.cache.maxBytes,
            chunkSize: config.cache.chunkSize,
            parallel: config.download.parallel,
            logger: logger.child({ component: 'cache' }),
          })
        : undefined;
    if (readCache) closers.push(() => readCache.close());
    const overlayDir = join(config.dataDir, 'overlay');
    const drive = createTeraBoxDrive({
      api,
      uploader,
      db,
      overlayDir,
      dirTtlMs: config.cache.dirTtlSeconds * 1000,
      maxCachedDirs: config.cache.maxDirs,
      linkMarginMs: config.cache.linkMarginSeconds * 1000,
      quotaTtlMs: config.cache.quotaTtlSeconds * 1000,
      overlayPatterns: config.overlay.patterns,
      readOnly: serverSettings.readOnly,
      uploadMode: config.upload.mode,
      maxPendingBytes: config.upload.maxPendingBytes || defaultMaxPendingBytes(spoolDir),
      logger: logger.child({ component: 'drive' }),
      readCache,
    });
    closers.push(() => drive.close());

    status = createStatusSource({
      version: packageVersion(),
      startedAt: new Date(),
      settings: {
        uploadMode: config.upload.mode,
        uploadParallel: config.upload.parallel,
        uploadGlobalParallel: config.upload.globalParallel,
        cacheMode: config.cache.mode,
        downloadParallel: config.download.parallel,
        readOnly: serverSettings.readOnly,
      },
      quota: () => drive.quota(),
      uploads: () => drive.uploadStatus(),
      terabox: () => client.health(),
      cache: readCache ? () => readCache.status() : undefined,
      ...hooks.status,
    });

    const server: Server = createDavServer({
      drive,
      status,
      metrics,
      db,
      users: serverSettings.users,
      allowAnonymous: serverSettings.users.length === 0,
      readOnly: serverSettings.readOnly,
      maxXmlBodyBytes: serverSettings.maxXmlBodyBytes,
      lockMaxTimeoutSeconds: serverSettings.lockMaxTimeoutSeconds,
      publicUrl: serverSettings.publicUrl || undefined,
      propfindMaxEntries: serverSettings.propfindMaxEntries,
      logger: logger.child({ component: 'dav' }),
    });
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(serverSettings.port, serverSettings.host, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    // Shutdown order matters: stop taking connections, then let the uploader finish the commits in
    // flight (or journal them for the next start) while their clients are still connected — closing
    // the connections first would abort those commits and drop their bodies — then cut what is left.
    const stopped = new Promise<void>((done) => server.once('close', () => done()));
    closers.push(async () => {
      server.close();
      server.closeIdleConnections();
      await uploader.close();
      server.closeAllConnections();
      await stopped;
    });
    const { port } = server.address() as AddressInfo;
    const host = serverSettings.host.includes(':') ? `[${serverSettings.host}]` : serverSettings.host;
    const url = `http://${host}:${port}/`;
    logger.info({ url, readOnly: serverSettings.readOnly, users: serverSettings.users.length }, `serving WebDAV at ${url}`);
    let metricsUrl: string | undefined;
    if (serverSettings.metricsPort > 0) {
      const metricsServer = await serveMetrics(metrics, serverSettings.metricsPort);
      closers.push(
        () =>
          new Promise<void>((done) => {
            metricsServer.close(() => done());
            metricsServer.closeAllConnections();
          }),
      );
      metricsUrl = `http://127.0.0.1:${metricsPort(metricsServer)}/metrics`;
      logger.info({ metrics: metricsUrl }, `serving Prometheus metrics without authentication at ${metricsUrl}`);
    }

    // Journalled commits from a previous run finish in the background; new requests are served meanwhile.
    void drive.resumeUploads().then(
      (outcomes) => {
        for (const o of outcomes) logger.info({ path: o.path, status: o.status, partsSent: o.partsSent, error: o.error }, 'resumed upload');
      },
      (e: unknown) => logger.error({ err: e }, 'resuming journalled uploads failed'),
    );

    return { url, metricsUrl, emulator, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// The one way a test starts the real stack, in a temp folder removed at stop(): the emulator (real
// HTTP), then as far up as the test needs — the TeraBox client, the uploader, a drive, or the whole
// WebDAV server as users run it (src/app.ts) — with settings that keep tests fast (client retries of
// a few ms, 64 KiB parts when `smallParts`). Every layer below the one asked for is real.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Database } from 'better-sqlite3';
import { startDrive, type RunningDrive } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createReadCache, type ReadCache, type ReadCacheSettings } from '../../src/drive/cache/index.js';
import { createTeraBoxDrive, openLocalState, type Drive, type TeraBoxDriveOptions } from '../../src/drive/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { AccountOptions, EmulatorHandle, EmulatorKnobs, EmulatorOptions, EndpointName } from '../../src/emulator/types.js';
import { createLogger } from '../../src/log.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import type { ChunkLadder } from '../../src/terabox/chunk-size.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import type { TeraBoxClientOptions } from '../../src/terabox/options.js';
import { createUploader, type UploaderOptions } from '../../src/upload/index.js';
import type { UploadService } from '../../src/upload/types.js';
import { dav, type DavRequestOptions, type DavResponse } from '../dav/client.js';
import { KiB, MiB } from './data.js';
import { tempDir } from './temp.js';

/** The smallest part the emulator takes when `smallParts` is set, and the ladder that matches it. */
export const SMALL_PART = 64 * KiB;

/** The official ladder scaled down 1:16384: 64 KiB parts up to 256 KiB ("4 GiB"), doubling up to 1 MiB. */
export const SMALL_LADDER: ChunkLadder = { baseChunkSize: SMALL_PART, baseLimit: 256 * KiB, maxChunkSize: 1024 * KiB };

/** How far up the stack is built; everything below is built too. */
export type Layer = 'emulator' | 'client' | 'uploader' | 'webdav';

/** Read-cache settings for drives over the uploader (64 KiB chunks and 4 fetches in flight unless set). */
export type CacheTuning = Partial<Omit<ReadCacheSettings, 'db' | 'dir'>>;

export type DriveTuning = Omit<TeraBoxDriveOptions, 'api' | 'uploader' | 'db' | 'overlayDir' | 'readCache'> & {
  /** This drive reads through a block cache in its state folder: these settings over StackOptions.cache. */
  cache?: CacheTuning;
  /** Wraps the TeraBox client for this drive only (to observe or tamper with its calls). */
  wrap?: (api: TeraBoxApi) => TeraBoxApi;
};

export interface StackOptions {
  /** Default 'uploader' (a drive is made on demand by freshDrive()). */
  upTo?: Layer;
  knobs?: Partial<EmulatorKnobs>;
  /** The emulator's default account. With upTo 'webdav' the emulator then runs outside the drive (as with `serve --upstream`), surviving restarts. */
  account?: AccountOptions;
  /** Other emulator options (regions). */
  emulator?: Partial<Omit<EmulatorOptions, 'dataDir' | 'knobs' | 'defaultAccount'>>;
  /** An emulator data folder of the test's own, kept at stop() (persistence across emulator restarts). */
  emulatorDir?: string;
  /** Parts of 64 KiB: the emulator's minimum part size (and, for 'webdav', the uploader's ladder). */
  smallParts?: boolean;
  /** Client options over the fast defaults (2 tries, 5–20 ms apart). */
  client?: Partial<Omit<TeraBoxClientOptions, 'baseUrl' | 'cookie'>>;
  /** Wraps the client before the uploader and drives see it (to observe or tamper with calls). */
  wrap?: (api: TeraBoxApi) => TeraBoxApi;
  uploader?: Partial<Omit<UploaderOptions, 'api' | 'spoolDir' | 'journalPath'>>;
  /** Drives over the uploader (freshDrive() …) read through a block cache with these settings. */
  cache?: CacheTuning;
  /** 'webdav': changes to the settings before the drive starts. */
  configure?: (config: Config) => void;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Collects the drive's log lines (warn and above) so tests can check nothing unexpected failed. */
class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as LogLine);
    done();
  }
}

const FAST_RETRY = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const tmp = await tempDir('tbw-stack-');
  const stack = new Stack(tmp.dir, opts, tmp.remove);
  try {
    await stack.build();
    return stack;
  } catch (e) {
    await stack.stop();
    throw e;
  }
}

export class Stack {
  private emulator?: EmulatorHandle;
  private client?: TeraBoxApi;
  private uploadService?: UploadService;
  private running?: RunningDrive;
  private config?: Config;
  private capture?: LogCapture;
  private currentDrive?: Drive;
  private currentDb?: Database;
  private currentCache?: ReadCache;
  private stateDir = '';
  private caseNo = 0;
  private stopped = false;

  constructor(
    /** The temp folder everything lives in. */
    readonly tmp: string,
    private readonly opts: StackOptions,
    private readonly removeTmp: () => Promise<void>,
  ) {}

  /** @internal (startStack) */
  async build(): Promise<void> {
    const o = this.opts;
    const upTo = o.upTo ?? 'uploader';
    const knobs: Partial<EmulatorKnobs> = { ...(o.smallParts ? { minPartSize: SMALL_PART } : {}), ...o.knobs };
    if (upTo === 'webdav') return this.buildApp(knobs);
    this.emulator = await startEmulator({ ...o.emulator, dataDir: this.emulatorDir, knobs, defaultAccount: o.account });
    if (upTo === 'emulator') return;
    const client = createTeraBoxClient({
      baseUrl: this.emulator.url,
      cookie: this.emulator.defaultCookie,
      ...o.client,
      retry: { ...FAST_RETRY, ...o.client?.retry },
    });
    this.client = o.wrap ? o.wrap(client) : client;
    if (upTo === 'client') return;
    this.uploadService = createUploader({
      api: this.client,
      spoolDir: this.spoolDir,
      journalPath: this.journalPath,
      backoff: { baseDelayMs: 5, maxDelayMs: 40 },
      ...o.uploader,
    });
  }

  private async buildApp(knobs: Partial<EmulatorKnobs>): Promise<void> {
    const o = this.opts;
    this.capture = new LogCapture();
    const config = loadConfig({ flags: { dataDir: join(this.tmp, 'data'), 'server.port': 0 }, env: {} });
    config.emulator.knobs = knobs;
    if (o.smallParts) config.upload.ladder = { baseChunkSize: SMALL_PART, baseLimit: 1 * MiB, maxChunkSize: 512 * KiB };
    config.terabox.retry = { ...FAST_RETRY };
    // Tests are not a free account: no pacing unless a test asks for it.
    config.terabox.apiCallsPerSecond = 0;
    config.log.level = 'warn';
    // These suites check what TeraBox holds right after each request: write-back has its own.
    config.upload.mode = 'write-through';
    if (o.account) {
      this.emulator = await startEmulator({ ...o.emulator, dataDir: this.emulatorDir, knobs, defaultAccount: o.account });
      config.terabox.baseUrl = this.emulator.url;
      config.terabox.cookie = this.emulator.defaultCookie;
    }
    o.configure?.(config);
    this.config = config;
    this.running = await startDrive(config, createLogger('warn', this.capture));
  }

  private need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`this stack has no ${what} (see StackOptions.upTo)`);
    return value;
  }

  // ---- the layers ----

  /** The emulator (with upTo 'webdav': the embedded one, or the outside one when an account was shaped). */
  get emu(): EmulatorHandle {
    return this.need(this.emulator ?? this.running?.emulator, 'emulator');
  }

  get emulatorDir(): string {
    return this.opts.emulatorDir ?? join(this.tmp, 'emulator');
  }

  get api(): TeraBoxApi {
    return this.need(this.client, 'TeraBox client');
  }

  get uploader(): UploadService {
    return this.need(this.uploadService, 'uploader');
  }

  get spoolDir(): string {
    return join(this.tmp, 'spool');
  }

  get journalPath(): string {
    return join(this.tmp, 'journal.db');
  }

  /** Spool files left behind. */
  async spoolFiles(): Promise<string[]> {
    return readdir(this.config ? join(this.config.dataDir, 'spool') : this.spoolDir);
  }

  // ---- the emulator's counters ----

  requests(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.requests ?? 0;
  }

  errors(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.errors ?? 0;
  }

  bytesOut(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.bytesOut ?? 0;
  }

  /** Data requests and bytes TeraBox served while fn ran. */
  async upstream<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number; bytes: number }> {
    const [r0, b0] = [this.requests('data'), this.bytesOut('data')];
    const result = await fn();
    return { result, requests: this.requests('data') - r0, bytes: this.bytesOut('data') - b0 };
  }

  /** Requests per endpoint made while fn ran. */
  async counting<N extends EndpointName, T>(names: N[], fn: () => Promise<T>): Promise<{ result: T; calls: Record<N, number> }> {
    const before = new Map(names.map((n) => [n, this.requests(n)]));
    const result = await fn();
    const calls = Object.fromEntries([...before].map(([n, was]) => [n, this.requests(n) - was])) as Record<N, number>;
    return { result, calls };
  }

  // ---- drives over the uploader ----

  get drive(): Drive {
    return this.need(this.currentDrive, 'drive (call freshDrive() first)');
  }

  get db(): Database {
    return this.need(this.currentDb, 'drive state (call freshDrive() first)');
  }

  /** A fresh drive with its own local state (empty overlay, cold caches) for the next test case. */
  async freshDrive(tuning: DriveTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.stateDir = join(this.tmp, `state-${++this.caseNo}`);
    this.currentDb = openLocalState(join(this.stateDir, 'state.db'));
    return this.openDrive(tuning);
  }

  /** A drive on the local state in stateDir (left there by another process). */
  async driveAt(stateDir: string, tuning: DriveTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.stateDir = stateDir;
    this.currentDb = openLocalState(join(this.stateDir, 'state.db'));
    return this.openDrive(tuning);
  }

  /** A new drive on the same local state, as after a restart of the process. */
  async restartDrive(tuning: DriveTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.currentDb = openLocalState(join(this.stateDir, 'state.db'));
    return this.openDrive(tuning);
  }

  /** A remote directory of its own for one test case, so cases never see each other's files. */
  async caseDir(): Promise<string> {
    const dir = `/case-${this.caseNo}-${Math.random().toString(36).slice(2, 8)}`;
    await this.api.mkdir(dir);
    return dir;
  }

  /** The current drive's read cache (StackOptions.cache or DriveTuning.cache). */
  get cache(): ReadCache {
    return this.need(this.currentCache, 'read cache (set StackOptions.cache)');
  }

  /** Chunks the read cache has indexed. */
  chunkRows(): number {
    return this.db.prepare('SELECT count(*) FROM drive_cache_chunks').pluck().get() as number;
  }

  overlayRows(): number {
    return this.db.prepare('SELECT count(*) FROM drive_overlay').pluck().get() as number;
  }

  private openDrive(tuning: DriveTuning): Drive {
    const { cache, wrap, ...rest } = tuning;
    const cached = this.opts.cache !== undefined || cache !== undefined;
    this.currentCache = cached
      ? createReadCache({ chunkSize: 64 * KiB, parallel: 4, ...this.opts.cache, ...cache, db: this.db, dir: join(this.stateDir, 'cache') })
      : undefined;
    this.currentDrive = createTeraBoxDrive({
      api: wrap ? wrap(this.api) : this.api,
      uploader: this.uploader,
      db: this.db,
      overlayDir: join(this.stateDir, 'overlay'),
      readCache: this.currentCache,
      ...rest,
    });
    return this.currentDrive;
  }

  private async closeDrive(): Promise<void> {
    if (!this.currentDb) return;
    await this.currentDrive?.close();
    await this.currentCache?.close();
    this.currentDb.close();
    this.currentDrive = undefined;
    this.currentCache = undefined;
    this.currentDb = undefined;
  }

  // ---- the WebDAV server (upTo 'webdav') ----

  private get app(): RunningDrive {
    return this.need(this.running, "WebDAV server (upTo: 'webdav')");
  }

  /** The settings the server runs with. */
  get settings(): Config {
    return this.need(this.config, "WebDAV server (upTo: 'webdav')");
  }

  /** `http://127.0.0.1:PORT` (no trailing slash), for building request targets. */
  get origin(): string {
    return this.app.url.replace(/\/$/, '');
  }

  get port(): number {
    return Number(new URL(this.app.url).port);
  }

  get dataDir(): string {
    return this.settings.dataDir;
  }

  /** Log lines at warn or above, written since the server started. */
  get logLines(): LogLine[] {
    return this.need(this.capture, "WebDAV server (upTo: 'webdav')").lines;
  }

  /** Lines at error level or above (a request that failed unexpectedly, a crash averted). */
  get errorLines(): LogLine[] {
    return this.logLines.filter((l) => l.level >= 50);
  }

  request(method: string, path: string, opts: DavRequestOptions = {}): Promise<DavResponse> {
    return dav(this.origin, method, path, opts);
  }

  /** Stops the server and starts a new one on the same data dir and settings, as after a process restart. */
  async restart(): Promise<void> {
    await this.app.close();
    this.running = await startDrive(this.settings, createLogger('warn', this.capture));
  }

  /** Stops every layer, top first, and removes the temp folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.closeDrive();
      await this.running?.close();
      await this.uploadService?.close();
      await this.client?.close();
      await this.emulator?.stop();
    } finally {
      await this.removeTmp();
    }
  }
}

/** What driveCases() hands each test: the suite's stack, a fresh drive and a folder of its own. */
export interface DriveCase {
  s: Stack;
  drive: Drive;
  dir: string;
}

/**
 * Mocha hooks for a suite of drive tests: one stack for the suite (stopped after it), and before each
 * test a fresh drive (empty overlay, cold caches) and a remote folder of the test's own. Call inside
 * a describe; `use` receives the case before each test.
 */
export function driveCases(use: (c: DriveCase) => void, opts: StackOptions = {}): void {
  let s: Stack | undefined;
  before(async () => {
    s = await startStack(opts);
  });
  after(() => s?.stop());
  beforeEach(async () => {
    const stack = s!;
    use({ s: stack, drive: await stack.freshDrive(), dir: await stack.caseDir() });
  });
}

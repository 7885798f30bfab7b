// A drive over the emulator with the read cache on, small chunks, and helpers to see what each read
// fetched upstream (data requests and bytes) and what the cache holds.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { createTeraBoxDrive, openLocalState, type Drive } from '../../../src/drive/index.js';
import { createReadCache, type ReadCache, type ReadCacheSettings } from '../../../src/drive/cache/index.js';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.js';
import type { EmulatorKnobs } from '../../../src/emulator/types.js';
import type { TeraBoxApi } from '../../../src/terabox/api.js';
import { createTeraBoxClient } from '../../../src/terabox/client.js';
import { createUploader } from '../../../src/upload/index.js';
import type { UploadService } from '../../../src/upload/types.js';

export const KiB = 1024;

export type CacheTuning = Partial<Omit<ReadCacheSettings, 'db' | 'dir'>>;

export class CacheRig {
  drive!: Drive;
  cache!: ReadCache;
  db!: Database;
  private stateDir = '';
  private n = 0;

  private constructor(
    readonly tmp: string,
    readonly emu: EmulatorHandle,
    readonly api: TeraBoxApi,
    readonly uploader: UploadService,
  ) {}

  static async start(knobs: Partial<EmulatorKnobs> = {}): Promise<CacheRig> {
    const tmp = await mkdtemp(join(tmpdir(), 'cache-it-'));
    const emu = await startEmulator({ dataDir: join(tmp, 'emulator'), knobs: { minPartSize: 64 * KiB, ...knobs } });
    const api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie, retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } });
    const uploader = createUploader({ api, spoolDir: join(tmp, 'spool'), journalPath: join(tmp, 'journal.db'), backoff: { baseDelayMs: 10, maxDelayMs: 50 } });
    return new CacheRig(tmp, emu, api, uploader);
  }

  get cacheDir(): string {
    return join(this.stateDir, 'cache');
  }

  get statePath(): string {
    return join(this.stateDir, 'state.db');
  }

  /** A drive on new local state (cold cache). */
  async fresh(tuning: CacheTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.stateDir = join(this.tmp, `state-${++this.n}`);
    return this.open(tuning);
  }

  /** A drive on the local state in dir (left there by another process). */
  async at(dir: string, tuning: CacheTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.stateDir = dir;
    return this.open(tuning);
  }

  /** A new drive and cache on the same local state, as after a restart. */
  async restart(tuning: CacheTuning = {}): Promise<Drive> {
    await this.closeDrive();
    return this.open(tuning);
  }

  /** Data requests and bytes TeraBox served while fn ran. */
  async upstream<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number; bytes: number }> {
    const at = () => this.emu.stats().endpoints.data ?? { requests: 0, bytesOut: 0 };
    const before = at();
    const [r0, b0] = [before.requests, before.bytesOut];
    const result = await fn();
    const after = at();
    return { result, requests: after.requests - r0, bytes: after.bytesOut - b0 };
  }

  chunkRows(): number {
    return this.db.prepare('SELECT count(*) FROM drive_cache_chunks').pluck().get() as number;
  }

  async stop(): Promise<void> {
    await this.closeDrive();
    await this.uploader.close();
    await this.api.close();
    await this.emu.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }

  /** For tests that stand between the drive and TeraBox. */
  wrapApi?: (api: TeraBoxApi) => TeraBoxApi;

  private open(tuning: CacheTuning): Drive {
    this.db = openLocalState(this.statePath);
    this.cache = createReadCache({ db: this.db, dir: this.cacheDir, chunkSize: 64 * KiB, parallel: 4, ...tuning });
    this.drive = createTeraBoxDrive({
      api: this.wrapApi ? this.wrapApi(this.api) : this.api,
      uploader: this.uploader,
      db: this.db,
      overlayDir: join(this.stateDir, 'overlay'),
      readCache: this.cache,
    });
    return this.drive;
  }

  private async closeDrive(): Promise<void> {
    if (!this.db) return;
    await this.drive.close();
    await this.cache.close();
    this.db.close();
  }
}

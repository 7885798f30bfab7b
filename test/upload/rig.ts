// A test rig for the uploader over the real stack: the emulator (real HTTP), the TeraBox client and
// createUploader, each in a temp dir removed at stop(). Optionally wraps the client to observe or
// tamper with calls while the real HTTP exchange still happens.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { AccountOptions, EmulatorHandle, EmulatorKnobs, EndpointName } from '../../src/emulator/types.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import type { ChunkLadder } from '../../src/terabox/chunk-size.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { createUploader, type UploaderOptions } from '../../src/upload/index.js';
import type { UploadService } from '../../src/upload/types.js';
import { KiB, tempDir } from './helpers.js';

/** The official ladder scaled down 1:16384: 64 KiB parts up to 256 KiB ("4 GiB"), doubling up to 1 MiB. */
export const SMALL_LADDER: ChunkLadder = { baseChunkSize: 64 * KiB, baseLimit: 256 * KiB, maxChunkSize: 1024 * KiB };

export interface RigOptions {
  knobs?: Partial<EmulatorKnobs>;
  account?: AccountOptions;
  uploader?: Partial<Omit<UploaderOptions, 'api' | 'spoolDir' | 'journalPath'>>;
  /** Client tries per call; 1 leaves every retry to the uploader. */
  clientAttempts?: number;
  wrap?: (api: TeraBoxApi) => TeraBoxApi;
}

export class Rig {
  private constructor(
    readonly dir: string,
    readonly emu: EmulatorHandle,
    readonly api: TeraBoxApi,
    readonly uploader: UploadService,
    private readonly removeDir: () => Promise<void>,
  ) {}

  static async start(o: RigOptions = {}): Promise<Rig> {
    const tmp = await tempDir('upload-it-');
    try {
      const emu = await startEmulator({ dataDir: join(tmp.dir, 'emulator'), knobs: o.knobs, defaultAccount: o.account });
      const client = createTeraBoxClient({
        baseUrl: emu.url,
        cookie: emu.defaultCookie,
        retry: { attempts: o.clientAttempts ?? 2, baseDelayMs: 5, maxDelayMs: 20 },
      });
      const api = o.wrap ? o.wrap(client) : client;
      const uploader = createUploader({
        api,
        spoolDir: join(tmp.dir, 'spool'),
        journalPath: join(tmp.dir, 'journal.db'),
        backoff: { baseDelayMs: 5, maxDelayMs: 40 },
        ...o.uploader,
      });
      return new Rig(tmp.dir, emu, api, uploader, tmp.remove);
    } catch (e) {
      await tmp.remove();
      throw e;
    }
  }

  get spoolDir(): string {
    return join(this.dir, 'spool');
  }

  get journalPath(): string {
    return join(this.dir, 'journal.db');
  }

  requests(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.requests ?? 0;
  }

  errors(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.errors ?? 0;
  }

  /** Spool files left behind. */
  async spoolFiles(): Promise<string[]> {
    return readdir(this.spoolDir);
  }

  async stop(): Promise<void> {
    try {
      await this.uploader.close();
      await this.api.close();
      await this.emu.stop();
    } finally {
      await this.removeDir();
    }
  }
}

/** Calls `fn` on each TeraBoxApi call before forwarding it; `fn` may replace the result. */
export function intercept(
  api: TeraBoxApi,
  hooks: {
    [K in keyof TeraBoxApi]?: (args: Parameters<TeraBoxApi[K]>, call: () => ReturnType<TeraBoxApi[K]>) => ReturnType<TeraBoxApi[K]>;
  },
): TeraBoxApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      const hook = hooks[prop as keyof TeraBoxApi] as ((args: unknown[], call: () => unknown) => unknown) | undefined;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      return hook ? (...args: unknown[]) => hook(args, () => bound(...args)) : bound;
    },
  });
}

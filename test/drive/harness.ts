// Test harness for the drive over the real stack: emulator + TeraBox client + uploader + drive, with
// helpers to write and read bodies and to count emulator requests per endpoint.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Database } from 'better-sqlite3';
import { createTeraBoxDrive, openLocalState, type Drive, type TeraBoxDriveOptions } from '../../src/drive/index.js';
import type { ByteRange } from '../../src/drive/types.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import type { EmulatorKnobs, EndpointName } from '../../src/emulator/types.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { createUploader } from '../../src/upload/index.js';
import type { UploadService } from '../../src/upload/types.js';

type DriveTuning = Omit<TeraBoxDriveOptions, 'api' | 'uploader' | 'db' | 'overlayDir'>;

export class Stack {
  drive!: Drive;
  db!: Database;
  private stateDir = '';
  private caseNo = 0;

  private constructor(
    readonly tmp: string,
    readonly emu: EmulatorHandle,
    readonly api: TeraBoxApi,
    readonly uploader: UploadService,
  ) {}

  static async start(knobs: Partial<EmulatorKnobs> = {}): Promise<Stack> {
    const tmp = await mkdtemp(join(tmpdir(), 'drive-it-'));
    const emu = await startEmulator({ dataDir: join(tmp, 'emulator'), knobs });
    const api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    const uploader = createUploader({
      api,
      spoolDir: join(tmp, 'spool'),
      journalPath: join(tmp, 'journal.db'),
      backoff: { baseDelayMs: 10, maxDelayMs: 50 },
    });
    return new Stack(tmp, emu, api, uploader);
  }

  /** A fresh drive with its own local state (empty overlay, cold caches) for the next test case. */
  async freshDrive(tuning: DriveTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.stateDir = join(this.tmp, `state-${++this.caseNo}`);
    this.db = openLocalState(join(this.stateDir, 'state.db'));
    return this.openDrive(tuning);
  }

  /** A new drive on the same local state, as after a restart of the process. */
  async restartDrive(tuning: DriveTuning = {}): Promise<Drive> {
    await this.closeDrive();
    this.db = openLocalState(join(this.stateDir, 'state.db'));
    return this.openDrive(tuning);
  }

  /** A remote directory of its own for one test case, so cases never see each other's files. */
  async caseDir(): Promise<string> {
    const dir = `/case-${this.caseNo}-${Math.random().toString(36).slice(2, 8)}`;
    await this.api.mkdir(dir);
    return dir;
  }

  requests(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.requests ?? 0;
  }

  bytesOut(name: EndpointName): number {
    return this.emu.stats().endpoints[name]?.bytesOut ?? 0;
  }

  /** Requests per endpoint made while fn ran. */
  async counting<T>(names: EndpointName[], fn: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
    const before = names.map((n) => this.requests(n));
    const result = await fn();
    const calls: Record<string, number> = {};
    names.forEach((n, i) => (calls[n] = this.requests(n) - before[i]!));
    return { result, calls };
  }

  overlayRows(): number {
    return this.db.prepare('SELECT count(*) FROM drive_overlay').pluck().get() as number;
  }

  async stop(): Promise<void> {
    await this.closeDrive();
    await this.uploader.close();
    await this.api.close();
    await this.emu.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }

  private openDrive(tuning: DriveTuning): Drive {
    this.drive = createTeraBoxDrive({ api: this.api, uploader: this.uploader, db: this.db, overlayDir: join(this.stateDir, 'overlay'), ...tuning });
    return this.drive;
  }

  private async closeDrive(): Promise<void> {
    if (!this.db) return;
    await this.drive.close();
    this.db.close();
  }
}

export function body(content: Buffer | string): Readable {
  return Readable.from([typeof content === 'string' ? Buffer.from(content) : content]);
}

export async function put(drive: Drive, path: string, content: Buffer | string) {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return drive.write(path, body(buf), { size: buf.length });
}

export async function get(drive: Drive, path: string, range?: ByteRange): Promise<Buffer> {
  const { stream } = await drive.read(path, range);
  return buffer(stream);
}

/** The DriveError code a promise rejects with ('resolved' when it does not reject). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Deterministic pseudo-random bytes (so failures reproduce). */
export function bytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// The whole drive as users run it (WebDAV server → drive → uploader/client → TeraBox emulator), started
// in-process on a temp data dir with parts small enough to keep uploads fast, plus request helpers.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startDrive, type RunningDrive } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startEmulator, type AccountOptions, type EmulatorHandle, type EmulatorKnobs, type EndpointName } from '../../src/emulator/index.js';
import { createLogger } from '../../src/log.js';
import { dav, type DavRequestOptions, type DavResponse } from '../dav/client.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Emulator parts as small as the uploader's ladder below, so multi-part files stay small. */
const MIN_PART = 64 * KiB;

export interface StackOptions {
  /** Emulator knobs on top of the small part size. */
  knobs?: Partial<EmulatorKnobs>;
  /** Changes to the settings before the drive starts. */
  configure?: (config: Config) => void;
  /**
   * Settings of the TeraBox account. When given, the emulator runs outside the drive (as with
   * `serve --upstream` and a cookie) so the account can be shaped; it survives drive restarts.
   */
  account?: AccountOptions;
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

export class DriveStack {
  private constructor(
    readonly tmp: string,
    readonly config: Config,
    private running: RunningDrive,
    private readonly upstream: EmulatorHandle | undefined,
    private readonly capture: LogCapture,
  ) {}

  static async start(opts: StackOptions = {}): Promise<DriveStack> {
    const tmp = await mkdtemp(join(tmpdir(), 'dav-it-'));
    const capture = new LogCapture();
    let upstream: EmulatorHandle | undefined;
    try {
      const config = loadConfig({ flags: { dataDir: join(tmp, 'data'), 'server.port': 0 }, env: {} });
      const knobs: Partial<EmulatorKnobs> = { minPartSize: MIN_PART, ...opts.knobs };
      config.emulator.knobs = knobs;
      config.upload.ladder = { baseChunkSize: MIN_PART, baseLimit: 1 * MiB, maxChunkSize: 512 * KiB };
      config.terabox.retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
      // Tests are not a free account: no pacing unless a test asks for it.
      config.terabox.apiCallsPerSecond = 0;
      config.log.level = 'warn';
      if (opts.account) {
        upstream = await startEmulator({ dataDir: join(tmp, 'upstream'), knobs, defaultAccount: opts.account });
        config.terabox.baseUrl = upstream.url;
        config.terabox.cookie = upstream.defaultCookie;
      }
      opts.configure?.(config);
      const running = await startDrive(config, createLogger('warn', capture));
      return new DriveStack(tmp, config, running, upstream, capture);
    } catch (e) {
      await upstream?.stop();
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** `http://127.0.0.1:PORT` (no trailing slash), for building request targets. */
  get origin(): string {
    return this.running.url.replace(/\/$/, '');
  }

  get port(): number {
    return Number(new URL(this.running.url).port);
  }

  /** The emulator behind the drive (embedded, or the outside one when an account was shaped). */
  get emulator(): EmulatorHandle {
    const emu = this.upstream ?? this.running.emulator;
    if (!emu) throw new Error('the drive has no emulator');
    return emu;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  /** Log lines at warn or above, written since the drive started. */
  get logLines(): LogLine[] {
    return this.capture.lines;
  }

  /** Lines at error level or above (a request that failed unexpectedly, a crash averted). */
  get errorLines(): LogLine[] {
    return this.capture.lines.filter((l) => l.level >= 50);
  }

  request(method: string, path: string, opts: DavRequestOptions = {}): Promise<DavResponse> {
    return dav(this.origin, method, path, opts);
  }

  /** Requests the emulator answered for one endpoint since the last resetStats. */
  calls(name: EndpointName): number {
    return this.emulator.stats().endpoints[name]?.requests ?? 0;
  }

  /** Response bytes the emulator sent for one endpoint since the last resetStats. */
  bytesOut(name: EndpointName): number {
    return this.emulator.stats().endpoints[name]?.bytesOut ?? 0;
  }

  /** Stops the drive and starts a new one on the same data dir and settings, as after a process restart. */
  async restart(): Promise<void> {
    await this.running.close();
    this.running = await startDrive(this.config, createLogger('warn', this.capture));
  }

  async close(): Promise<void> {
    try {
      await this.running.close();
      await this.upstream?.stop();
    } finally {
      await rm(this.tmp, { recursive: true, force: true });
    }
  }
}

/** Random bytes: distinct content per call, so the uploader never takes the rapid-upload path by accident. */
export function randomBody(size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 65536) buf.set(crypto.getRandomValues(new Uint8Array(Math.min(65536, size - i))), i);
  return buf;
}

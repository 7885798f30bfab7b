// The three servers a benchmark runs, each as its own process the way users run it: the TeraBox
// emulator (`cli.js emulator`), the drive (`cli.js serve --upstream`, so its memory excludes the
// emulator's) and the baseline, `rclone serve webdav` over a local folder.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { EmulatorKnobs, EmulatorStats } from '../../src/emulator/index.js';
import { peakRss } from './proc-status.js';
import { startProcess } from './processes.js';

/** The package root: the nearest folder above this script with the project's package.json. */
export function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'terabox-webdav') return dir;
  }
  throw new Error('cannot find the terabox-webdav package root');
}

/** The built command line; the benchmark measures what `npm run build` produced. */
function cliPath(): string {
  const cli = join(repoRoot(), 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  return cli;
}

export interface ServerProcess {
  /** Base URL ending in `/`. */
  url: string;
  pid: number;
  /** Peak resident memory so far (VmHWM), bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

export interface EmulatorProcess extends ServerProcess {
  cookie: string;
  setKnobs(patch: Partial<EmulatorKnobs>): Promise<void>;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
}

async function admin<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await request(new URL(path, base), {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`emulator ${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

export async function startEmulatorProcess(dataDir: string): Promise<EmulatorProcess> {
  const p = await startProcess(
    process.execPath,
    [cliPath(), 'emulator', '--port', '0', '--data', dataDir, '--log-level', 'warn'],
    /^TERABOX_COOKIE='(.*)'$/,
    {
      env: cleanEnv(),
    },
  );
  const upstream = p.output.map((l) => /^TERABOX_UPSTREAM=(\S+)$/.exec(l)?.[1]).find(Boolean);
  if (!upstream) {
    await p.stop();
    throw new Error('the emulator printed no TERABOX_UPSTREAM line');
  }
  return {
    url: `${upstream}/`,
    pid: p.pid,
    cookie: p.match[1]!,
    peakRss: () => peakRss(p.pid),
    stop: p.stop,
    setKnobs: async (patch) => void (await admin(upstream, 'POST', '/__emulator/knobs', patch)),
    stats: () => admin<EmulatorStats>(upstream, 'GET', '/__emulator/stats'),
    resetStats: async () => void (await admin(upstream, 'POST', '/__emulator/stats/reset')),
  };
}

export interface DriveSettings {
  upload?: Record<string, unknown>;
  cache?: Record<string, unknown>;
  download?: Record<string, unknown>;
}

/** The caller's environment without settings of its own (TERABOX_*), so only the benchmark's apply. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TERABOX_')));
}

/** A fresh drive process over the emulator, with `settings` in a --config file (merged over the defaults). */
export async function startDriveProcess(emulator: EmulatorProcess, dataDir: string, settings: DriveSettings = {}): Promise<ServerProcess> {
  const args = [cliPath(), 'serve', '--port', '0', '--data', dataDir, '--upstream', emulator.url.replace(/\/$/, '')];
  if (Object.keys(settings).length > 0) {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, 'bench-settings.json');
    await writeFile(file, JSON.stringify(settings));
    args.push('--config', file);
  }
  const p = await startProcess(process.execPath, args, /"url":"(http:[^"]+)".*serving WebDAV/, {
    env: { ...cleanEnv(), TERABOX_COOKIE: emulator.cookie },
  });
  return { url: p.match[1]!, pid: p.pid, peakRss: () => peakRss(p.pid), stop: p.stop };
}

/** `rclone serve webdav <dir>` with its defaults, on a free loopback port. */
export async function startRclone(dir: string): Promise<ServerProcess> {
  const p = await startProcess(
    'rclone',
    ['serve', 'webdav', dir, '--addr', '127.0.0.1:0', '--config', '/dev/null'],
    /WebDav Server started on \[?(http:\/\/[^\s\]]+)/,
  );
  const url = p.match[1]!.endsWith('/') ? p.match[1]! : `${p.match[1]!}/`;
  return { url, pid: p.pid, peakRss: () => peakRss(p.pid), stop: p.stop };
}

// One benchmark run: a temp folder, one emulator process shared by every case, fresh drive and
// rclone processes per case (so each case's peak memory is its own), seeded input files, and
// cleanup of all of it however the run ends.

import { request } from 'undici';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSeededFile } from './data.js';
import { describeMachine, loadAverage, machine, stallTotals } from './machine.js';
import { waitQuiet } from './proc-status.js';
import {
  startDriveProcess,
  startEmulatorProcess,
  startRclone,
  type DriveSettings,
  type EmulatorProcess,
  type ServerProcess,
} from './servers.js';

export interface BenchArgs {
  /** Every size divided by 16: a smoke run of the script, printed but not written to BENCHMARKS.md. */
  quick: boolean;
  /** The TeraBox-like section leaves out its 1 GiB PUTs (for a busy machine). */
  skip1g: boolean;
  /** Run (and write) only this section of `npm run bench`. */
  only?: (typeof SECTIONS)[number];
}

const SECTIONS = ['side-by-side', 'upload', 'terabox-like', 'upstream-reads'] as const;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { quick: false, skip1g: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--skip-1g') args.skip1g = true;
    else if (a === '--only' && (SECTIONS as readonly string[]).includes(argv[i + 1] ?? '')) args.only = argv[++i] as BenchArgs['only'];
    else throw new Error(`unknown argument ${a} (options: --quick, --skip-1g, --only ${SECTIONS.join('|')})`);
  }
  return args;
}

export interface BenchRun {
  /** The command that reproduces this run. */
  readonly command: string;
  readonly tmp: string;
  readonly emulator: EmulatorProcess;
  /** 1, or 1/16 with --quick. */
  readonly scale: number;
  log(message: string): void;
  /** A seeded file of `bytes` bytes in the temp folder, flushed to disk so its writeback cannot land in a measurement. */
  file(name: string, bytes: number, seed: string): Promise<string>;
  /** Runs `fn` with a fresh drive process (own data folder), stopped afterwards. */
  withDrive<T>(name: string, settings: DriveSettings, fn: (drive: ServerProcess) => Promise<T>): Promise<T>;
  /** Runs `fn` with a fresh `rclone serve webdav dir`, stopped afterwards. */
  withRclone<T>(dir: string, fn: (rclone: ServerProcess) => Promise<T>): Promise<T>;
  /** Flushes dirty pages and waits until the emulator is idle (it hashes new contents in the background). */
  settle(): Promise<void>;
}

/** Runs one table's measurements and returns them with the conditions they ran under (markdown lines). */
export async function measured<T>(run: BenchRun, fn: () => Promise<T>): Promise<{ result: T; conditions: string }> {
  const loadBefore = loadAverage();
  const stallsBefore = stallTotals();
  const started = new Date();
  const result = await fn();
  const elapsedMs = Date.now() - started.getTime();
  const stallsAfter = stallTotals();
  const share = (kind: 'cpu' | 'io') => `${((100 * (stallsAfter![kind] - stallsBefore![kind])) / 1000 / elapsedMs).toFixed(0)}%`;
  const conditions = [
    `- Date: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${(elapsedMs / 60_000).toFixed(1)} min`,
    `- Machine: ${describeMachine(machine())}`,
    `- Load average (1, 5, 15 min, as \`uptime\` prints it) before: ${loadBefore}; after: ${loadAverage()}`,
    ...(stallsBefore && stallsAfter
      ? [
          `- Pressure during the run (Linux PSI: share of time some task, the benchmark's own included, waited): CPU ${share('cpu')}, I/O ${share('io')}`,
        ]
      : []),
    `- Command: \`${run.command}\``,
  ].join('\n');
  return { result, conditions };
}

/**
 * Polls a drive's status API until no commit is pending or active (deadline 30 min): in write-back a
 * PUT is answered before TeraBox holds the file, and the next case (another drive on the same
 * emulator) or a measurement of the commit must wait for it.
 */
export async function whenUploadsSettled(drive: ServerProcess): Promise<void> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const res = await request(`${drive.url}.well-known/terabox-webdav/status.json`);
    const status = JSON.parse(await res.body.text()) as { uploads: { totals: { pending: number; active: number; failed: number } } };
    const { pending, active, failed } = status.uploads.totals;
    if (failed > 0) throw new Error('a background commit failed');
    if (pending + active === 0) return;
    if (Date.now() > deadline) throw new Error('the commit did not land within 30 minutes');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withServer<T>(start: () => Promise<ServerProcess>, fn: (s: ServerProcess) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Runs `fn` in a fresh run: its own temp folder and emulator process, both gone afterwards. */
export async function withBenchRun<T>(args: BenchArgs, command: string, fn: (run: BenchRun) => Promise<T>): Promise<T> {
  const tmp = await mkdtemp(join(tmpdir(), 'terabox-bench-'));
  const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  let emulator: EmulatorProcess | undefined;
  const stopped = async () => {
    await emulator?.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  const onSignal = () => void stopped().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    emulator = await startEmulatorProcess(join(tmp, 'emulator'));
    const emu = emulator;
    const run: BenchRun = {
      command: [
        command,
        ...(args.quick || args.skip1g || args.only ? ['--'] : []),
        ...(args.quick ? ['--quick'] : []),
        ...(args.skip1g ? ['--skip-1g'] : []),
        ...(args.only ? ['--only', args.only] : []),
      ].join(' '),
      tmp,
      emulator: emu,
      scale: args.quick ? 1 / 16 : 1,
      log,
      file: async (name, bytes, seed) => {
        const path = join(tmp, name);
        await writeSeededFile(path, bytes, seed);
        return path;
      },
      withDrive: (name, settings, f) =>
        withServer(
          () => startDriveProcess(emu, join(tmp, `drive-${name}`), settings),
          async (drive) => {
            const result = await f(drive);
            await whenUploadsSettled(drive);
            return result;
          },
        ),
      withRclone: (dir, f) => withServer(() => startRclone(dir), f),
      settle: async () => {
        execFileSync('sync');
        if (!(await waitQuiet([emu.pid]))) log('the emulator did not go idle within 2 minutes; measuring anyway');
      },
    };
    return await fn(run);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopped();
  }
}

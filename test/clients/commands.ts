// Runs the real client programs: one child process with a deadline and captured output, and the
// Debian packages that provide them, installed once per run when `dpkg -s` says one is missing.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CommandResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the child's stdin, which is then closed (stdin is always closed, so no prompt waits). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The child is killed (SIGKILL, by its pid) and the call rejects after this long. Default 120 s. */
  timeoutMs?: number;
}

/** Runs `cmd args` to its end; a non-zero exit is a result, not an error (callers assert on it). */
export function runCommand(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // A child that exits without reading its stdin is judged by its exit code, not by EPIPE.
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit throws with the output, for set-up steps that must work. */
export async function mustRun(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** The Debian packages of the clients this suite drives. */
export const CLIENT_PACKAGES = ['rclone', 'davfs2', 'cadaver'] as const;

let installing: Promise<void> | undefined;

/**
 * Installs the client packages that are missing (CI machines start clean), at most once per run.
 * Every suite file calls it in its `before`, so a single file also runs alone.
 */
export function installMissingClients(): Promise<void> {
  installing ??= (async () => {
    const missing: string[] = [];
    for (const pkg of CLIENT_PACKAGES) {
      const status = await runCommand('dpkg', ['-s', pkg]);
      if (status.code !== 0 || !/^Status: install ok installed$/m.test(status.stdout)) missing.push(pkg);
    }
    if (missing.length === 0) return;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await mustRun('apt-get', ['update'], { env, timeoutMs: 300_000 });
    await mustRun('apt-get', ['install', '-y', ...missing], { env, timeoutMs: 300_000 });
  })();
  return installing;
}

const installed = new Map<string, Promise<void>>();

/**
 * Installs extra Debian packages a suite needs (gvfs, KIO, fuse3) when `dpkg -s` says they are
 * missing, once per run per package list.
 */
export function installPackages(packages: string[]): Promise<void> {
  const key = packages.join(' ');
  let p = installed.get(key);
  if (!p) {
    p = (async () => {
      const missing: string[] = [];
      for (const pkg of packages) {
        const status = await runCommand('dpkg', ['-s', pkg]);
        if (status.code !== 0 || !/^Status: install ok installed$/m.test(status.stdout)) missing.push(pkg);
      }
      if (missing.length === 0) return;
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      await mustRun('apt-get', ['update'], { env, timeoutMs: 300_000 });
      await mustRun('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', ...missing], { env, timeoutMs: 900_000 });
    })();
    installed.set(key, p);
  }
  return p;
}

/** davfs2 needs the FUSE device; it is loaded when the kernel has it as a module. */
export async function requireFuse(): Promise<void> {
  if (!existsSync('/dev/fuse')) await runCommand('modprobe', ['fuse']);
  if (!existsSync('/dev/fuse')) throw new Error('/dev/fuse is missing and `modprobe fuse` did not create it: davfs2 cannot mount');
}

// Child processes for benchmarks: started with piped output, awaited until they print the line that
// says they are ready, and stopped by their own pid (SIGTERM, then SIGKILL if they linger).

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Started {
  child: ChildProcess;
  pid: number;
  /** The regex match on the ready line. */
  match: RegExpExecArray;
  /** Every line printed so far (stdout and stderr), for diagnostics. */
  output: string[];
  stop(): Promise<void>;
}

const KEEP_LINES = 200;

/**
 * Spawns `command` and resolves when a line of its output matches `ready`; rejects if it exits or
 * prints nothing matching within `timeoutMs`.
 */
export function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  opts: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Started> {
  const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      void stop();
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output.slice(-20).join('\n')}`));
    };
    const timer = setTimeout(() => fail('not ready in time'), opts.timeoutMs ?? 30_000);
    const onLine = (line: string) => {
      output.push(line);
      if (output.length > KEEP_LINES) output.shift();
      const match = settled ? null : ready.exec(line);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({ child, pid: child.pid!, match, output, stop });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? code}) before it was ready`);
    });
  });
}

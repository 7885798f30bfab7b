// What /proc says about a process we started: its peak resident memory (VmHWM) and the CPU time it
// has used, and a wait until a set of processes goes idle (the emulator hashes a new file's content
// in the background after create, which would otherwise run into the next measurement).

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Peak resident set size in bytes since the process started. */
export function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}

/** User + system CPU time used so far, in clock ticks (all threads). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Ticks per second of /proc CPU times (USER_HZ; 100 on Linux). */
const HZ = 100;

/**
 * Resolves once all `pids` together used less than `maxShare` of one core over a `windowMs` window,
 * or after `timeoutMs` (returns false then).
 */
export async function waitQuiet(pids: readonly number[], { windowMs = 500, maxShare = 0.05, timeoutMs = 120_000 } = {}): Promise<boolean> {
  const total = () => pids.reduce((n, pid) => n + cpuTicks(pid), 0);
  const deadline = Date.now() + timeoutMs;
  let before = total();
  while (Date.now() < deadline) {
    await sleep(windowMs);
    const now = total();
    if ((now - before) / HZ / (windowMs / 1000) < maxShare) return true;
    before = now;
  }
  return false;
}

// What a benchmark ran on: cores, memory, CPU model, Node version, and the load average at a moment,
// so every table carries the conditions its numbers were measured under.

import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  memGiB: number;
  cpu: string;
  node: string;
}

export function machine(): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  return { cores: availableParallelism(), memGiB: totalmem() / 2 ** 30, cpu: model, node: process.version };
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (nproc), ${m.memGiB.toFixed(1)} GiB RAM, ${m.cpu}, Node ${m.node}`;
}

/** The 1/5/15-minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** Microseconds some task has stalled on CPU and on I/O since boot (Linux PSI), or null without PSI. */
export function stallTotals(): { cpu: number; io: number } | null {
  try {
    const some = (kind: string) => Number(/^some .*total=(\d+)$/m.exec(readFileSync(`/proc/pressure/${kind}`, 'utf8'))?.[1] ?? NaN);
    const totals = { cpu: some('cpu'), io: some('io') };
    return Number.isFinite(totals.cpu) && Number.isFinite(totals.io) ? totals : null;
  } catch {
    return null;
  }
}

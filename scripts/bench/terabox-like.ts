// Issue 8's benchmark, "TeraBox-like upstream": the emulator shaped like the real service (100 ms per
// call, 8 MiB/s per connection), one big PUT through the drive in write-back and in write-through, and
// the same PUT to `rclone serve webdav` on a local folder. For each: first byte → the client's answer,
// the time until TeraBox holds the file, and the drive's peak RSS.

import { mkdir, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { failureOf, timedPut } from './curl.js';
import { fmtMs, fmtRatio, fmtRss, fmtSize, GiB, MiB } from './numbers.js';
import { measured, whenUploadsSettled, type BenchRun } from './run.js';
import type { ServerProcess } from './servers.js';
import { markdownTable } from './table.js';

const LATENCY_MS = 100;
const BANDWIDTH = 8 * MiB;

interface Result {
  answerMs: number;
  tailMs: number;
  /** From the PUT's start until TeraBox holds the file (the answer, for write-through and rclone). */
  heldMs: number;
  peakRss: number;
}

/** ms from `since` until TeraBox holds every file the drive was given. */
async function settledAfter(drive: ServerProcess, since: number): Promise<number> {
  await whenUploadsSettled(drive);
  return performance.now() - since;
}

async function putOnce(run: BenchRun, server: ServerProcess, file: string, bytes: number, background: boolean): Promise<Result> {
  const started = performance.now();
  const r = await timedPut(`${server.url}big.bin`, file, bytes);
  const answered = performance.now();
  const failure = failureOf(r, [201, 204]);
  if (failure) throw new Error(`PUT big.bin: ${failure}`);
  const heldMs = background ? Math.max(answered - started, await settledAfter(server, started)) : answered - started;
  const result = { answerMs: r.seconds * 1000, tailMs: r.tailMs, heldMs, peakRss: server.peakRss() };
  run.log(
    `PUT ${fmtSize(bytes)}: answer ${fmtMs(result.answerMs)} (last byte → answer ${fmtMs(r.tailMs)}), on TeraBox after ${fmtMs(heldMs)}, peak RSS ${fmtRss(result.peakRss)}`,
  );
  return result;
}

export async function teraboxLikeBench(run: BenchRun, opts: { skip1g: boolean }): Promise<string> {
  const sizes = opts.skip1g ? [256 * MiB] : [256 * MiB, GiB];
  const { result, conditions } = await measured(run, async () => {
    const rows: string[][] = [];
    await run.emulator.setKnobs({ latencyMs: LATENCY_MS, bandwidthBytesPerSec: BANDWIDTH });
    try {
      for (const size of sizes) {
        const bytes = Math.round(size * run.scale);
        const results: Partial<Record<'write-back' | 'write-through' | 'rclone', Result>> = {};
        for (const mode of ['write-back', 'write-through'] as const) {
          // New content each time, so TeraBox never has it already (no rapid upload).
          const file = await run.file(`tb-${mode}-${bytes}.bin`, bytes, `terabox-like ${mode} ${bytes}`);
          await run.settle();
          run.log(`TeraBox-like: ${mode}, ${fmtSize(bytes)}`);
          results[mode] = await run.withDrive(`tb-${mode}-${bytes}`, { upload: { mode } }, (s) =>
            putOnce(run, s, file, bytes, mode === 'write-back'),
          );
          await rm(file);
        }
        const file = await run.file(`tb-rclone-${bytes}.bin`, bytes, `terabox-like rclone ${bytes}`);
        const dir = join(run.tmp, `tb-rclone-${bytes}`);
        await mkdir(dir);
        await run.settle();
        run.log(`TeraBox-like: rclone serve webdav, ${fmtSize(bytes)}`);
        results.rclone = await run.withRclone(dir, (s) => putOnce(run, s, file, bytes, false));
        await rm(file);
        await rm(dir, { recursive: true, force: true });

        const wb = results['write-back']!;
        const wt = results['write-through']!;
        const rc = results.rclone!;
        const label = fmtSize(bytes);
        rows.push([
          `${label}, write-back`,
          fmtMs(wb.answerMs),
          fmtMs(wb.tailMs),
          fmtMs(wb.heldMs),
          fmtRss(wb.peakRss),
          `answer ${fmtRatio(wb.answerMs / rc.answerMs)} of rclone's; on TeraBox ${fmtRatio(wb.heldMs / wt.heldMs)} of write-through's`,
        ]);
        rows.push([
          `${label}, write-through`,
          fmtMs(wt.answerMs),
          fmtMs(wt.tailMs),
          fmtMs(wt.heldMs),
          fmtRss(wt.peakRss),
          `answer ${fmtRatio(wt.answerMs / rc.answerMs)} of rclone's`,
        ]);
        rows.push([
          `${label}, rclone serve webdav (local folder)`,
          fmtMs(rc.answerMs),
          fmtMs(rc.tailMs),
          '—',
          fmtRss(rc.peakRss),
          'baseline',
        ]);
      }
    } finally {
      await run.emulator.setKnobs({ latencyMs: 0, bandwidthBytesPerSec: 0 });
    }
    return rows;
  });
  const table = markdownTable(
    ['PUT (curl -T, Content-Length)', 'First byte → answer', 'Last byte → answer', 'Until TeraBox holds it', 'Server peak RSS', 'Ratios'],
    result,
  );
  return [
    '### TeraBox-like upstream: write-back and write-through (`npm run bench`)',
    '',
    conditions,
    '',
    table,
    '',
    `The emulator answers every call after ${LATENCY_MS} ms and gives each connection ${fmtSize(BANDWIDTH)}/s, like TeraBox over a`,
    "good uplink; the drive keeps its defaults (4 parts in flight) and only `upload.mode` changes. *First byte → answer* is curl's",
    "`time_total`; *until TeraBox holds it* runs from the start of the PUT until the drive's status API shows no commit pending",
    '(write-through: the answer itself). The goals: write-back answers within 1.5× of rclone, and TeraBox holds the file within',
    "10% of write-through's time. Each case is a fresh server process; peak RSS is its `VmHWM`.",
  ].join('\n');
}

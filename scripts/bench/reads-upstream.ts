// Issue 9's read benchmark, the reads of the "TeraBox-like upstream" section: the emulator shaped like
// the live service (100 ms latency; 8 MiB/s per connection, or 2 MiB/s per account), GETs through a
// drive process with the block cache off (today's single-connection streaming, the baseline) and on
// (parallel chunk fetches, then warm from disk), side by side with `rclone serve webdav` over a local
// folder for the warm read; random 64 KiB reads cold and warm with the upstream bytes they cost.
// Run alone with `npm run bench:reads`; `npm run bench` runs it too.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failureOf, get, put, type CurlResult } from './curl.js';
import { prng } from './data.js';
import { fmtMs, fmtRate, fmtRatio, fmtRss, fmtSize, KiB, median, MiB, mibPerSec, percentile } from './numbers.js';
import { writeSection } from './report.js';
import { measured, parseArgs, withBenchRun, type BenchRun } from './run.js';
import { repoRoot, type DriveSettings, type ServerProcess } from './servers.js';
import { markdownTable } from './table.js';

const SEQ_BYTES = 256 * MiB;
/** The per-account case runs at a quarter of the per-connection rate: a smaller file keeps it short. */
const ACCOUNT_BYTES = 64 * MiB;
const LATENCY_MS = 100;
const PER_CONNECTION = 8 * MiB;
const PER_ACCOUNT = 2 * MiB;
const RANDOM_BYTES = 64 * KiB;
const RANDOM_READS = 50;
/** Warm GETs of the whole file, on each side of the comparison with rclone; the median is compared. */
const WARM_READS = 5;

const OFF: DriveSettings = { cache: { mode: 'off' } };
const FULL: DriveSettings = { cache: { mode: 'full' } };

interface Read {
  rate: number;
  upstream: number;
}

function checked(what: string, r: CurlResult, status: number[], bytes: number): void {
  const failure = failureOf(r, status);
  if (failure) throw new Error(`${what}: ${failure}`);
  if (r.downloaded !== bytes) throw new Error(`${what}: ${r.downloaded} bytes, expected ${bytes}`);
}

/** Bytes the emulator's data links sent since the last reset. */
async function upstreamBytes(run: BenchRun): Promise<number> {
  return (await run.emulator.stats()).endpoints.data?.bytesOut ?? 0;
}

/** One GET of the whole file: its rate and the upstream bytes it cost. */
async function timedGet(run: BenchRun, server: ServerProcess, path: string, bytes: number): Promise<Read> {
  const { rates, upstream } = await timedGets(run, server, path, bytes, 1);
  return { rate: rates[0] ?? 0, upstream };
}

/** `n` GETs of the whole file in a row: each rate, and the upstream bytes of them all. */
async function timedGets(
  run: BenchRun,
  server: ServerProcess,
  path: string,
  bytes: number,
  n: number,
): Promise<{ rates: number[]; upstream: number }> {
  await run.emulator.resetStats();
  const rates: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(`${server.url}${path}`);
    checked(`GET ${path}`, r, [200], bytes);
    rates.push(mibPerSec(bytes, r.seconds));
  }
  return { rates, upstream: await upstreamBytes(run) };
}

/**
 * Waits until the emulator's data links have sent nothing for a while (a read returns before the
 * chunk it started is all fetched; its tail must not count against the next row), with a deadline.
 */
async function upstreamQuiet(run: BenchRun, quietMs = 500, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last = await upstreamBytes(run);
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = await upstreamBytes(run);
    if (now === last) return;
    last = now;
  }
  throw new Error(`the emulator was still sending data after ${deadlineMs} ms`);
}

async function randomReads(
  run: BenchRun,
  server: ServerProcess,
  path: string,
  size: number,
): Promise<{ median: number; p90: number; mean: number; upstream: number }> {
  await run.emulator.resetStats();
  const random = prng(9);
  const ms: number[] = [];
  for (let i = 0; i < RANDOM_READS; i++) {
    const start = Math.floor(random() * (size - RANDOM_BYTES));
    const r = await get(`${server.url}${path}`, { start, end: start + RANDOM_BYTES - 1 });
    checked('GET range', r, [206], RANDOM_BYTES);
    ms.push(r.seconds * 1000);
  }
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return { median: median(ms), p90: percentile(ms, 0.9), mean, upstream: await upstreamBytes(run) };
}

export async function readsUpstreamBench(run: BenchRun): Promise<string> {
  const seqBytes = SEQ_BYTES * run.scale;
  const accountBytes = ACCOUNT_BYTES * run.scale;
  const { result, conditions } = await measured(run, async () => {
    const rows: string[][] = [];
    const rcloneDir = join(run.tmp, 'reads-rclone');
    await mkdir(rcloneDir, { recursive: true });
    const seq = await run.file('reads-rclone/seq.bin', seqBytes, 'reads sequential');
    const small = await run.file('reads-rclone/account.bin', accountBytes, 'reads per account');
    // Stored on the emulator uncapped, before it is shaped.
    await run.withDrive('reads-seed', {}, async (s) => {
      for (const [file, name] of [
        [seq, 'seq.bin'],
        [small, 'account.bin'],
      ] as const) {
        const r = await put(`${s.url}${name}`, file);
        if (failureOf(r, [201, 204])) throw new Error(`seeding ${name}: ${failureOf(r, [201, 204])}`);
      }
    });
    await run.settle();
    try {
      // 1. 8 MiB/s per connection.
      await run.emulator.setKnobs({ latencyMs: LATENCY_MS, bandwidthBytesPerSec: PER_CONNECTION, accountDownloadBytesPerSec: 0 });
      const off = await run.withDrive('reads-off', OFF, async (s) => ({
        read: await timedGet(run, s, 'seq.bin', seqBytes),
        rss: s.peakRss(),
      }));
      run.log(`cold GET, cache off: ${fmtRate(off.read.rate)}, peak RSS ${fmtRss(off.rss)}`);
      const full = await run.withDrive('reads-full', FULL, async (s) => {
        const cold = await timedGet(run, s, 'seq.bin', seqBytes);
        const warm = await timedGets(run, s, 'seq.bin', seqBytes, WARM_READS);
        return { cold, warm: { ...warm, rate: median(warm.rates) }, rss: s.peakRss() };
      });
      const rates = (r: number[]) => r.map((x) => x.toFixed(0)).join(', ');
      run.log(`cold GET, cache full: ${fmtRate(full.cold.rate)}; warm ${rates(full.warm.rates)} MiB/s; peak RSS ${fmtRss(full.rss)}`);
      const rclone = await run.withRclone(rcloneDir, async (s) => {
        const { rates } = await timedGets(run, s, 'seq.bin', seqBytes, WARM_READS);
        return { rates, rate: median(rates), rss: s.peakRss() };
      });
      run.log(`rclone serve webdav, local folder: ${rates(rclone.rates)} MiB/s`);
      const size = fmtSize(seqBytes);
      const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
      rows.push([
        `8 MiB/s per connection: GET ${size}, cold, cache.mode off (baseline)`,
        fmtRate(off.read.rate),
        '1.00×',
        'baseline',
        fmtRss(off.rss),
        mib(off.read.upstream),
      ]);
      rows.push([
        `8 MiB/s per connection: GET ${size}, cold, cache.mode full`,
        fmtRate(full.cold.rate),
        fmtRatio(full.cold.rate / off.read.rate),
        '≥ 3× baseline',
        fmtRss(full.rss),
        mib(full.cold.upstream),
      ]);
      rows.push([
        `Same file again, warm (from the cache): median of ${WARM_READS} GETs (the first of them)`,
        `${fmtRate(full.warm.rate)} (${fmtRate(full.warm.rates[0] ?? 0)})`,
        fmtRatio(full.warm.rate / rclone.rate),
        `≥ 0.8× rclone (median of ${WARM_READS}: ${fmtRate(rclone.rate)}, RSS ${fmtRss(rclone.rss)})`,
        'same process',
        mib(full.warm.upstream),
      ]);

      // 2. 64 KiB at random offsets, same shaping.
      await run.settle();
      const randOff = await run.withDrive('reads-random-off', OFF, async (s) => ({
        r: await randomReads(run, s, 'seq.bin', seqBytes),
        rss: s.peakRss(),
      }));
      const randFull = await run.withDrive('reads-random-full', FULL, async (s) => {
        const cold = await randomReads(run, s, 'seq.bin', seqBytes);
        await upstreamQuiet(run);
        const warm = await randomReads(run, s, 'seq.bin', seqBytes);
        return { cold, warm, rss: s.peakRss() };
      });
      run.log(
        `random reads, median (p90): off ${fmtMs(randOff.r.median)} (${fmtMs(randOff.r.p90)}); full cold ${fmtMs(randFull.cold.median)} (${fmtMs(randFull.cold.p90)}), warm ${fmtMs(randFull.warm.median)} (${fmtMs(randFull.warm.p90)})`,
      );
      const label = `${fmtSize(RANDOM_BYTES)} at ${RANDOM_READS} random offsets`;
      rows.push([
        `${label}, cache.mode off: median latency`,
        `${fmtMs(randOff.r.median)} (p90 ${fmtMs(randOff.r.p90)}, mean ${fmtMs(randOff.r.mean)})`,
        '1.00×',
        'baseline',
        fmtRss(randOff.rss),
        mib(randOff.r.upstream),
      ]);
      rows.push([
        `${label}, cache.mode full, cold: median latency`,
        `${fmtMs(randFull.cold.median)} (p90 ${fmtMs(randFull.cold.p90)}, mean ${fmtMs(randFull.cold.mean)})`,
        fmtRatio(randFull.cold.median / randOff.r.median),
        'latency ratio (lower is better)',
        fmtRss(randFull.rss),
        mib(randFull.cold.upstream),
      ]);
      rows.push([
        `${label}, cache.mode full, warm (same offsets): median latency`,
        `${fmtMs(randFull.warm.median)} (p90 ${fmtMs(randFull.warm.p90)}, mean ${fmtMs(randFull.warm.mean)})`,
        fmtRatio(randFull.warm.median / randOff.r.median),
        'latency ratio (lower is better)',
        'same process',
        mib(randFull.warm.upstream),
      ]);

      // 3. 2 MiB/s per account, no per-connection cap.
      await run.emulator.setKnobs({ latencyMs: LATENCY_MS, bandwidthBytesPerSec: 0, accountDownloadBytesPerSec: PER_ACCOUNT });
      await run.settle();
      const accOff = await run.withDrive('reads-account-off', OFF, async (s) => ({
        read: await timedGet(run, s, 'account.bin', accountBytes),
        rss: s.peakRss(),
      }));
      const accFull = await run.withDrive('reads-account-full', FULL, async (s) => ({
        read: await timedGet(run, s, 'account.bin', accountBytes),
        rss: s.peakRss(),
      }));
      run.log(`2 MiB/s per account: off ${fmtRate(accOff.read.rate)}, full ${fmtRate(accFull.read.rate)}`);
      const accSize = fmtSize(accountBytes);
      rows.push([
        `2 MiB/s per account: GET ${accSize}, cold, cache.mode off (baseline)`,
        fmtRate(accOff.read.rate),
        '1.00×',
        'baseline',
        fmtRss(accOff.rss),
        mib(accOff.read.upstream),
      ]);
      rows.push([
        `2 MiB/s per account: GET ${accSize}, cold, cache.mode full`,
        fmtRate(accFull.read.rate),
        fmtRatio(accFull.read.rate / accOff.read.rate),
        '≥ 0.95× baseline',
        fmtRss(accFull.rss),
        mib(accFull.read.upstream),
      ]);
    } finally {
      await run.emulator.setKnobs({ latencyMs: 0, bandwidthBytesPerSec: 0, accountDownloadBytesPerSec: 0 });
    }
    return rows;
  });
  const table = markdownTable(['Case', 'Result', 'Ratio', 'Goal / against', 'Drive peak RSS', 'Upstream bytes'], result);
  return [
    '### TeraBox-like upstream: reads (`npm run bench:reads`, also in `npm run bench`)',
    '',
    conditions,
    '',
    table,
    '',
    `The emulator answers every call after ${LATENCY_MS} ms and caps each connection at 8 MiB/s (premium-like), or each account`,
    'at 2 MiB/s over all its connections. Every case starts a fresh drive process (`cli.js serve --upstream`, default settings',
    'but `cache.mode`: 8 MiB chunks, `download.parallel` 4) with an empty cache; the warm rows reuse the process of the cold row',
    "above them (peak RSS covers both). Speeds and latencies are curl's `time_total`; upstream bytes are what the emulator's data",
    'links sent during the row (`GET /__emulator/stats`). rclone is `rclone serve webdav` over a local folder holding the same file;',
    `the warm comparison takes the median of ${WARM_READS} GETs in a row on each side, as one GET of 256 MiB over loopback lasts`,
    'about 0.1 s and single runs of either server vary by ±30% on this shared machine. The warm random reads start once the',
    'emulator has finished sending the chunks the cold ones started.',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const section = await withBenchRun(args, 'npm run bench:reads', (run) => readsUpstreamBench(run));
  process.stdout.write(`${section}\n`);
  if (args.quick) return;
  await writeSection(join(repoRoot(), 'BENCHMARKS.md'), 'upstream-reads', section);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

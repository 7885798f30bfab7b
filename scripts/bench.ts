// Issue 5's benchmark (`npm run bench`): the drive (a process over an emulator process) side by side
// with `rclone serve webdav` over a local folder, the fastest a WebDAV gateway on this machine can be
// with no cloud behind it; then issue 3's upload benchmark. Prints both tables and writes them into
// BENCHMARKS.md.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { uploadBench } from './bench-upload.js';
import { seedLocalDir, seedRemoteDir } from './bench/big-dir.js';
import { failureOf, get, propfind, put, type CurlResult } from './bench/curl.js';
import { prng } from './bench/data.js';
import { fmtMs, fmtRate, fmtRatio, fmtRss, fmtSize, GiB, KiB, median, MiB, mibPerSec, percentile } from './bench/numbers.js';
import { writeSection } from './bench/report.js';
import { measured, parseArgs, withBenchRun, type BenchRun } from './bench/run.js';
import { repoRoot, type ServerProcess } from './bench/servers.js';
import { markdownTable } from './bench/table.js';
import { teraboxLikeBench } from './bench/terabox-like.js';
import { readsUpstreamBench } from './bench/reads-upstream.js';

const BIG = GiB;
const RANGE_BYTES = 64 * KiB;
const RANGE_GETS = 50;
const DIR_FILES = 10_000;
const PROPFIND_REPEATS = 20;
const CONCURRENT_PUTS = 16;
const CONCURRENT_BYTES = 16 * MiB;

/** One measured figure: the number the ratio is taken of, and how the table shows it. */
interface Figure {
  value: number;
  text: string;
}

/** A figure from both servers, with each server process's peak RSS over its case. */
interface Sides {
  drive: Figure & { peakRss: number };
  rclone: Figure & { peakRss: number };
}

function check(what: string, r: CurlResult, expected: readonly number[]): void {
  const failure = failureOf(r, expected);
  if (failure) throw new Error(`${what}: ${failure}`);
}

/**
 * Runs `measure` against a fresh drive process, then against a fresh rclone over `rcloneDir`; it
 * returns one or more named figures, each given back for both servers.
 */
async function bothSides<K extends string>(
  run: BenchRun,
  name: string,
  rcloneDir: string,
  measure: (server: ServerProcess, side: 'drive' | 'rclone') => Promise<Record<K, Figure>>,
): Promise<Record<K, Sides>> {
  const once = async (server: ServerProcess, side: 'drive' | 'rclone') => {
    const figures = await measure(server, side);
    const peakRss = server.peakRss();
    run.log(
      `${name}, ${side}: ${Object.values<Figure>(figures)
        .map((f) => f.text)
        .join('; ')}, peak RSS ${fmtRss(peakRss)}`,
    );
    return { figures, peakRss };
  };
  await run.settle();
  const drive = await run.withDrive(name, {}, (s) => once(s, 'drive'));
  await run.settle();
  const rclone = await run.withRclone(rcloneDir, (s) => once(s, 'rclone'));
  const keys = Object.keys(drive.figures) as K[];
  return Object.fromEntries(
    keys.map((k) => [
      k,
      { drive: { ...drive.figures[k], peakRss: drive.peakRss }, rclone: { ...rclone.figures[k], peakRss: rclone.peakRss } },
    ]),
  ) as Record<K, Sides>;
}

function row(label: string, sides: Sides, ratio: number, note = ''): string[] {
  return [label, sides.drive.text, sides.rclone.text, fmtRatio(ratio), fmtRss(sides.drive.peakRss), fmtRss(sides.rclone.peakRss), note];
}

/** How many `response` elements a multistatus answer holds, whatever namespace prefix it uses. */
async function responsesIn(file: string): Promise<number> {
  return (await readFile(file, 'utf8')).match(/<(?:[A-Za-z][\w.-]*:)?response[\s>]/g)?.length ?? 0;
}

export async function sideBySideBench(run: BenchRun): Promise<string> {
  const { result, conditions } = await measured(run, async () => {
    const rows: string[][] = [];
    const rcloneDir = join(run.tmp, 'rclone-root');
    await mkdir(rcloneDir);

    // PUT and GET of one big file.
    const bigBytes = BIG * run.scale;
    const big = await run.file('side-by-side.bin', bigBytes, 'side by side big file');
    const { rate: putBig } = await bothSides(run, 'put-big', rcloneDir, async (s) => {
      const r = await put(`${s.url}big.bin`, big);
      check('PUT big.bin', r, [201, 204]);
      const rate = mibPerSec(bigBytes, r.seconds);
      return { rate: { value: rate, text: fmtRate(rate) } };
    });
    await rm(big);
    rows.push(row(`PUT ${fmtSize(bigBytes)} (curl -T), MiB/s`, putBig, putBig.drive.value / putBig.rclone.value));

    const { rate: getBig } = await bothSides(run, 'get-big', rcloneDir, async (s) => {
      const r = await get(`${s.url}big.bin`);
      check('GET big.bin', r, [200]);
      if (r.downloaded !== bigBytes) throw new Error(`GET big.bin: ${r.downloaded} bytes, expected ${bigBytes}`);
      const rate = mibPerSec(bigBytes, r.seconds);
      return { rate: { value: rate, text: fmtRate(rate) } };
    });
    rows.push(row(`GET ${fmtSize(bigBytes)} (curl), MiB/s`, getBig, getBig.drive.value / getBig.rclone.value));

    // Small reads at random offsets of the same file; the same offsets on both sides.
    const { latency: ranges } = await bothSides(run, 'get-ranges', rcloneDir, async (s) => {
      const random = prng(42);
      const ms: number[] = [];
      for (let i = 0; i < RANGE_GETS; i++) {
        const start = Math.floor(random() * (bigBytes - RANGE_BYTES));
        const r = await get(`${s.url}big.bin`, { start, end: start + RANGE_BYTES - 1 });
        check('GET range', r, [206]);
        if (r.downloaded !== RANGE_BYTES) throw new Error(`GET range: ${r.downloaded} bytes, expected ${RANGE_BYTES}`);
        ms.push(r.seconds * 1000);
      }
      return { latency: { value: median(ms), text: `${fmtMs(median(ms))} (p90 ${fmtMs(percentile(ms, 0.9))}, first ${fmtMs(ms[0]!)})` } };
    });
    rows.push(
      row(
        `GET ${fmtSize(RANGE_BYTES)} at a random offset, ${RANGE_GETS} times: median latency`,
        ranges,
        ranges.drive.value / ranges.rclone.value,
        'first = fresh process (drive: listing and download link)',
      ),
    );

    // PROPFIND Depth 1 of a big directory: first (cold) and repeated (cached).
    const files = Math.round(DIR_FILES * run.scale);
    const seeding = performance.now();
    await seedRemoteDir(run.emulator.url.replace(/\/$/, ''), run.emulator.cookie, '/many', files);
    await seedLocalDir(join(rcloneDir, 'many'), files);
    run.log(`made /many with ${files} files on both sides in ${fmtMs(performance.now() - seeding)}`);
    const listCalls = { cold: 0, cached: 0 };
    const { cold, cached } = await bothSides(run, 'propfind', rcloneDir, async (s, side) => {
      await run.emulator.resetStats();
      const answer = join(run.tmp, `propfind-${side}.xml`);
      const first = await propfind(`${s.url}many/`, answer);
      check('PROPFIND /many/', first, [207]);
      const members = (await responsesIn(answer)) - 1;
      if (members !== files) throw new Error(`PROPFIND /many/ (${side}) listed ${members} members, expected ${files}`);
      if (side === 'drive') listCalls.cold = (await run.emulator.stats()).endpoints.list?.requests ?? 0;
      const ms: number[] = [];
      for (let i = 0; i < PROPFIND_REPEATS; i++) {
        const r = await propfind(`${s.url}many/`);
        check('PROPFIND /many/', r, [207]);
        ms.push(r.seconds * 1000);
      }
      if (side === 'drive') listCalls.cached = ((await run.emulator.stats()).endpoints.list?.requests ?? 0) - listCalls.cold;
      return {
        cold: { value: first.seconds * 1000, text: fmtMs(first.seconds * 1000) },
        cached: { value: median(ms), text: fmtMs(median(ms)) },
      };
    });
    const label = `PROPFIND Depth 1, ${files.toLocaleString('en')} files`;
    rows.push(
      row(
        `${label}: first (cold), latency`,
        cold,
        cold.drive.value / cold.rclone.value,
        `${listCalls.cold} upstream list calls (/ and /many, 1,000 entries a page)`,
      ),
    );
    rows.push(
      row(
        `${label}: repeated (cached), median of ${PROPFIND_REPEATS}`,
        cached,
        cached.drive.value / cached.rclone.value,
        `${listCalls.cached} upstream list calls; peak RSS covers both rows`,
      ),
    );

    // Many PUTs at once.
    const eachBytes = CONCURRENT_BYTES * run.scale;
    const inputs = await Promise.all(
      Array.from({ length: CONCURRENT_PUTS }, (_, i) => run.file(`concurrent-${i}.bin`, eachBytes, `concurrent ${i}`)),
    );
    const { total: concurrent } = await bothSides(run, 'concurrent-puts', rcloneDir, async (s) => {
      const started = performance.now();
      const results = await Promise.all(inputs.map((file, i) => put(`${s.url}concurrent-${i}.bin`, file)));
      const seconds = (performance.now() - started) / 1000;
      const failures = results.map((r) => failureOf(r, [201, 204])).filter((f): f is string => f !== undefined);
      for (const f of new Set(failures)) run.log(`concurrent PUT failed: ${f}`);
      const ok = results.length - failures.length;
      const rate = mibPerSec(ok * eachBytes, seconds);
      return { total: { value: rate, text: `${fmtRate(rate)}, ${failures.length} errors` } };
    });
    await Promise.all(inputs.map((f) => rm(f)));
    rows.push(
      row(
        `${CONCURRENT_PUTS} concurrent PUTs of ${fmtSize(eachBytes)} (curl -T): total MiB/s`,
        concurrent,
        concurrent.drive.value / concurrent.rclone.value,
        'total = bytes stored ÷ wall time of all 16',
      ),
    );
    return rows;
  });

  const table = markdownTable(
    ['Case', 'terabox-webdav', 'rclone serve webdav', 'Drive ÷ rclone', 'Drive peak RSS', 'rclone peak RSS', 'Notes'],
    result,
  );
  return [
    '### Side by side with `rclone serve webdav` (`npm run bench`)',
    '',
    conditions,
    '',
    table,
    '',
    'How each figure is taken: every case starts a fresh drive process (`node dist/src/cli.js serve --upstream <emulator>`, default',
    'settings) in front of one separate emulator process (`node dist/src/cli.js emulator`), and a fresh `rclone serve webdav <folder>`',
    "(rclone v1.60.1, defaults: no VFS cache) over a folder on the same disk; peak RSS is each server process's `VmHWM` for that case.",
    "Speeds and latencies are curl's own `time_total`; *Drive ÷ rclone* is the drive's figure divided by rclone's (above 1 is better",
    'for MiB/s rows and worse for latency rows). The emulator is allowed to go idle between cases (it hashes new content in the',
    'background). Upstream list calls are counted by the emulator (`GET /__emulator/stats`).',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = (section: NonNullable<typeof args.only>) => args.only === undefined || args.only === section;
  const sections = await withBenchRun(args, 'npm run bench', async (run) => ({
    sideBySide: wanted('side-by-side') ? await sideBySideBench(run) : undefined,
    upload: wanted('upload') ? await uploadBench(run) : undefined,
    teraboxLike: wanted('terabox-like') ? await teraboxLikeBench(run, { skip1g: args.skip1g }) : undefined,
    readsUpstream: wanted('upstream-reads') ? await readsUpstreamBench(run) : undefined,
  }));
  process.stdout.write(
    `${[sections.sideBySide, sections.upload, sections.teraboxLike, sections.readsUpstream].filter(Boolean).join('\n\n')}\n`,
  );
  if (args.quick) return;
  const file = join(repoRoot(), 'BENCHMARKS.md');
  if (sections.sideBySide) await writeSection(file, 'side-by-side', sections.sideBySide);
  if (sections.upload) await writeSection(file, 'upload', sections.upload);
  if (sections.teraboxLike) await writeSection(file, 'terabox-like', sections.teraboxLike);
  if (sections.readsUpstream) await writeSection(file, 'upstream-reads', sections.readsUpstream);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

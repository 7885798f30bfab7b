// Measures how much taking an upload body delays the event loop that serves other requests: a PUT
// of N MiB over loopback HTTP (sent by a child process, so the sender's CPU is not counted) fed to
// the uploader (spool on the event loop, MD5/CRC32 in hash workers), against the same digests
// computed inline on the event loop. Run: npx tsx scripts/measure-hash-lag.ts [MiB] [runs]

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import type { RemoteEntry, TeraBoxApi } from '../src/terabox/api.js';
import { createUploader } from '../src/upload/index.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024; // what an HTTP socket typically delivers per 'data' event
const BLOCK = 4 * MiB;

const sizeMiB = Number(process.argv[2] ?? 1024);
const runs = Number(process.argv[3] ?? 3);

/** A child process that PUTs `bytes` bytes in 64 KiB writes to `url`, with backpressure. */
function sendBody(url: string, bytes: number): Promise<void> {
  const client = `
    const http = require('node:http');
    const piece = Buffer.alloc(${CHUNK}, 7);
    const req = http.request(${JSON.stringify(url)}, { method: 'PUT', headers: { 'content-length': ${bytes} } }, (res) => {
      res.pipe(process.stderr);
      res.on('end', () => process.exit(res.statusCode === 204 ? 0 : 1));
    });
    let left = ${bytes};
    (function pump() {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(n === piece.length ? piece : piece.subarray(0, n))) return req.once('drain', pump);
      }
      req.end();
    })();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', client], (err, _out, stderr) => (err ? reject(new Error(`the PUT failed: ${stderr}`)) : resolve()));
  });
}

/** Only what the measured path needs: a rapid-upload hit, so the commit costs nothing. */
function rapidHitApi(): TeraBoxApi {
  const entry = (path: string, size: number): RemoteEntry => ({
    fsId: 1,
    path,
    name: path.slice(1),
    isDir: false,
    size,
    mtime: 0,
    ctime: 0,
  });
  return {
    account: async () => ({ vip: true, maxFileSize: 1024 * 1024 * MiB }),
    rapidUpload: async (req) => entry(req.path, req.size),
  } as Partial<TeraBoxApi> as TeraBoxApi;
}

/**
 * The baseline: the same digests (block MD5s, whole MD5, first-256-KiB MD5, CRC32) computed on the
 * event loop as the bytes pass through to the same kind of spool file.
 */
function inlineHasher(): Transform {
  let block = createHash('md5');
  let fill = 0;
  const whole = createHash('md5');
  const slice = createHash('md5');
  let seen = 0;
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      for (let off = 0; off < chunk.length; ) {
        const take = Math.min(chunk.length - off, BLOCK - fill);
        block.update(chunk.subarray(off, off + take));
        fill += take;
        off += take;
        if (fill === BLOCK) {
          block.digest();
          block = createHash('md5');
          fill = 0;
        }
      }
      whole.update(chunk);
      if (seen < 256 * 1024) slice.update(chunk.subarray(0, 256 * 1024 - seen));
      seen += chunk.length;
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
  });
}

interface Sample {
  mbps: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

async function measure(run: () => Promise<void>): Promise<Sample> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const started = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await delay(5); // let the sampler record a block that lasted until the very end
  h.disable();
  // The histogram holds each sampling interval; the lag is what exceeds the 1 ms resolution.
  const ms = (ns: number) => Math.max(0, Math.round((ns - 1e6) / 1e4) / 100);
  return {
    mbps: Math.round((sizeMiB * MiB) / 1e6 / seconds),
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
    mean: ms(h.mean),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hash-lag-'));
  const uploader = createUploader({ api: rapidHitApi(), spoolDir: join(dir, 'spool'), journalPath: join(dir, 'journal.db') });
  const bytes = sizeMiB * MiB;
  let n = 0;
  const take = async (req: IncomingMessage) => {
    if (req.url === '/inline') {
      const file = join(dir, `inline-${n++}.spool`);
      await pipeline(req, inlineHasher(), createWriteStream(file, { highWaterMark: MiB }));
      return rm(file);
    }
    const r = await uploader.upload({ path: `/lag-${n++}.bin`, body: req, size: bytes });
    if (r.kind !== 'committed') throw new Error('the measured upload did not commit');
  };
  const server = createServer((req, res) => {
    take(req).then(
      () => res.writeHead(204).end(),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lines: string[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      for (const [name, path] of [
        ['uploader (spool + hash workers)', '/uploader'],
        ['inline hashing on the event loop', '/inline'],
      ] as const) {
        const s = await measure(() => sendBody(base + path, bytes));
        lines.push(`${name.padEnd(34)} run ${i}: ${JSON.stringify(s)}`);
      }
    }
  } finally {
    server.close();
    await uploader.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `event-loop delay while a ${sizeMiB} MiB PUT arrives over loopback HTTP (lag in ms past the 1 ms sampling interval; mbps = MB/s of the body)`,
  );
  for (const line of lines) console.log(line);
}

await main();

// The hashing thread: follows each spool file while it is being written and computes, in one read
// pass, every block's MD5 and (when asked) the whole-file MD5, the MD5 of the first 256 KiB and the
// CRC32. The thread that serves requests only writes the spool and never runs a hash.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { SLICE_MD5_BYTES } from '../terabox/wire.js';

/** Digests of one spooled body. */
export interface Digests {
  size: number;
  chunkSize: number;
  /** MD5 of each block of `chunkSize` bytes (the last may be short), lowercase hex; at least one. */
  blockMd5s: string[];
  /** Rapid-upload digests, when asked for. */
  whole?: { contentMd5: string; sliceMd5: string; crc32: number };
}

export type HashRequest =
  | { op: 'start'; id: number; file: string; chunkSize: number; whole: boolean }
  /** The first `length` bytes of the file are written and may be hashed. */
  | { op: 'grow'; id: number; length: number }
  /** The file is complete at `length` bytes: answer when hashed. */
  | { op: 'end'; id: number; length: number }
  | { op: 'cancel'; id: number };

export type HashReply = { id: number; digests: Digests } | { id: number; error: string };

/** Bytes read per job per turn: jobs take turns so one large file does not delay the others' answers. */
const READ_SIZE = 1024 * 1024;

interface WholeState {
  content: Hash;
  slice: Hash;
  crc: number;
}

interface Job {
  id: number;
  file: string;
  /** Opened at the first read: the writer creates the file after the job starts. */
  fd?: number;
  chunkSize: number;
  /** Bytes hashed so far. */
  pos: number;
  /** Bytes the writer has confirmed. */
  available: number;
  /** Final size, once known. */
  end?: number;
  block: Hash;
  blockFill: number;
  blocks: string[];
  whole?: WholeState;
}

const port = parentPort;
if (!port) throw new Error('hash-worker.ts runs only as a worker thread');

const jobs = new Map<number, Job>();
const buffer = Buffer.allocUnsafe(READ_SIZE);
let scheduled = false;

function reply(msg: HashReply): void {
  port!.postMessage(msg);
}

function drop(job: Job): void {
  jobs.delete(job.id);
  if (job.fd !== undefined) closeSync(job.fd);
}

function feed(job: Job, data: Buffer): void {
  for (let off = 0; off < data.length; ) {
    const take = Math.min(data.length - off, job.chunkSize - job.blockFill);
    job.block.update(data.subarray(off, off + take));
    job.blockFill += take;
    off += take;
    if (job.blockFill === job.chunkSize) {
      job.blocks.push(job.block.digest('hex'));
      job.block = createHash('md5');
      job.blockFill = 0;
    }
  }
  const w = job.whole;
  if (w) {
    w.content.update(data);
    if (job.pos < SLICE_MD5_BYTES) w.slice.update(data.subarray(0, SLICE_MD5_BYTES - job.pos));
    w.crc = crc32(data, w.crc);
  }
  job.pos += data.length;
}

function readNext(job: Job): void {
  const want = Math.min(READ_SIZE, job.available - job.pos);
  let got = 0;
  job.fd ??= openSync(job.file, 'r');
  while (got < want) {
    const n = readSync(job.fd, buffer, got, want - got, job.pos + got);
    if (n === 0) throw new Error(`spool file ended at ${job.pos + got} bytes, ${job.available} were written`);
    got += n;
  }
  feed(job, buffer.subarray(0, got));
}

function complete(job: Job): void {
  if (job.blockFill > 0 || job.blocks.length === 0) job.blocks.push(job.block.digest('hex'));
  const w = job.whole;
  reply({
    id: job.id,
    digests: {
      size: job.pos,
      chunkSize: job.chunkSize,
      blockMd5s: job.blocks,
      whole: w && { contentMd5: w.content.digest('hex'), sliceMd5: w.slice.digest('hex'), crc32: w.crc },
    },
  });
  drop(job);
}

/** One turn: every job with written-but-unhashed bytes reads one slice; then messages get a chance. */
function pump(): void {
  scheduled = false;
  for (const job of jobs.values()) {
    try {
      if (job.pos < job.available) readNext(job);
      if (job.end !== undefined && job.pos === job.end) complete(job);
    } catch (e) {
      drop(job);
      reply({ id: job.id, error: (e as Error).message });
    }
  }
  for (const job of jobs.values()) if (job.pos < job.available) return schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pump);
}

port.on('message', (msg: HashRequest) => {
  if (msg.op === 'start') {
    jobs.set(msg.id, {
      id: msg.id,
      file: msg.file,
      chunkSize: msg.chunkSize,
      pos: 0,
      available: 0,
      block: createHash('md5'),
      blockFill: 0,
      blocks: [],
      whole: msg.whole ? { content: createHash('md5'), slice: createHash('md5'), crc: 0 } : undefined,
    });
    return;
  }
  const job = jobs.get(msg.id);
  if (!job) return;
  if (msg.op === 'cancel') return drop(job);
  job.available = Math.max(job.available, msg.length);
  if (msg.op === 'end') job.end = msg.length;
  schedule();
});

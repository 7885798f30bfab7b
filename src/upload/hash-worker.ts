// The hashing thread: follows each spool file while it is being written and computes, in one read
// pass, what its job asks for: every block's MD5, and/or the whole-file MD5, the MD5 of the first
// 256 KiB and the CRC32. The pool may give the two halves of one upload to two threads (they are
// independent MD5 chains). The thread that serves requests only writes the spool and never runs a hash.

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

/** What one thread computed for its job: the block MD5s and/or the whole-file digests it was asked for. */
export interface PartialDigests {
  size: number;
  blockMd5s?: string[];
  whole?: Digests['whole'];
}

export type HashRequest =
  | { op: 'start'; id: number; file: string; chunkSize: number; blocks: boolean; whole: boolean }
  /** The first `length` bytes of the file are written and may be hashed. */
  | { op: 'grow'; id: number; length: number }
  /** The file is complete at `length` bytes: answer when hashed. */
  | { op: 'end'; id: number; length: number }
  | { op: 'cancel'; id: number };

export type HashReply = { id: number; digests: PartialDigests } | { id: number; error: string };

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
  blocks?: BlockState;
  whole?: WholeState;
}

interface BlockState {
  hash: Hash;
  fill: number;
  md5s: string[];
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
  const b = job.blocks;
  for (let off = 0; b && off < data.length; ) {
    const take = Math.min(data.length - off, job.chunkSize - b.fill);
    b.hash.update(data.subarray(off, off + take));
    b.fill += take;
    off += take;
    if (b.fill === job.chunkSize) {
      b.md5s.push(b.hash.digest('hex'));
      b.hash = createHash('md5');
      b.fill = 0;
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
  const b = job.blocks;
  if (b && (b.fill > 0 || b.md5s.length === 0)) b.md5s.push(b.hash.digest('hex'));
  const w = job.whole;
  reply({
    id: job.id,
    digests: {
      size: job.pos,
      blockMd5s: b?.md5s,
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
  if ([...jobs.values()].some((job) => job.pos < job.available)) schedule();
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
      blocks: msg.blocks ? { hash: createHash('md5'), fill: 0, md5s: [] } : undefined,
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

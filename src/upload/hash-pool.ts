// Hashing threads shared by every upload: jobs go to the least busy worker; a worker is kept
// referenced only while it has jobs, so an idle pool never holds the process open. An upload that
// needs the whole-file digests too is split over two workers when the pool has two: its block MD5s
// and its whole-file MD5 are independent chains, so hashing keeps up with a body arriving at one
// MD5's speed (about 600 MiB/s a core) instead of half of it.

import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../util/module-worker.js';
import type { Digests, HashReply, HashRequest, PartialDigests } from './hash-worker.js';

export type { Digests };

/** One body being hashed while it is written. */
export interface HashJob {
  /** The first `length` bytes are in the file. */
  grow(length: number): void;
  /** The file is complete at `length` bytes; resolves once every byte is hashed. */
  finish(length: number): Promise<Digests>;
  /** Stops hashing (the body failed); the promise is dropped. */
  cancel(): void;
}

interface Pending {
  resolve(d: PartialDigests): void;
  reject(e: Error): void;
}

/** One worker's share of a job. */
interface Share {
  grow(length: number): void;
  finish(length: number): Promise<PartialDigests>;
  cancel(): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Pending>;
}

/** Starts a hash worker (compiled, or from sources under tsx: util/module-worker.ts). */
function spawnWorker(): Worker {
  return startModuleWorker('./hash-worker', import.meta.url);
}

export class HashPool {
  private readonly slots: (Slot | undefined)[];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`hash worker count must be a positive integer, got ${size}`);
    this.slots = new Array<Slot | undefined>(size).fill(undefined);
  }

  start(file: string, chunkSize: number, whole: boolean): HashJob {
    if (this.closed) throw new Error('the hash pool is closed');
    const shares =
      whole && this.slots.length > 1
        ? [this.share(file, chunkSize, { blocks: true, whole: false }), this.share(file, chunkSize, { blocks: false, whole: true })]
        : [this.share(file, chunkSize, { blocks: true, whole })];
    const cancel = () => {
      for (const s of shares) s.cancel();
    };
    return {
      grow: (length) => {
        for (const s of shares) s.grow(length);
      },
      finish: async (length) => {
        try {
          const parts = await Promise.all(shares.map((s) => s.finish(length)));
          const blockMd5s = parts.find((p) => p.blockMd5s)!.blockMd5s!;
          return { size: parts[0]!.size, chunkSize, blockMd5s, whole: parts.find((p) => p.whole)?.whole };
        } catch (e) {
          // The other share would go on reading a spool nobody waits for.
          cancel();
          throw e;
        }
      },
      cancel,
    };
  }

  private share(file: string, chunkSize: number, what: { blocks: boolean; whole: boolean }): Share {
    const slot = this.pickSlot();
    const id = this.nextId++;
    const send = (msg: HashRequest) => slot.worker.postMessage(msg);
    const done = new Promise<PartialDigests>((resolve, reject) => slot.jobs.set(id, { resolve, reject }));
    // The job may fail before anyone awaits finish(); that must not be an unhandled rejection.
    done.catch(() => {});
    if (slot.jobs.size === 1) slot.worker.ref();
    send({ op: 'start', id, file, chunkSize, ...what });
    return {
      grow: (length) => send({ op: 'grow', id, length }),
      finish: (length) => {
        send({ op: 'end', id, length });
        return done;
      },
      cancel: () => {
        if (this.settle(slot, id)) send({ op: 'cancel', id });
      },
    };
  }

  /**
   * Starts every worker now rather than at the first upload, which would otherwise wait for the
   * threads to start and load their module. Idle workers keep no process alive.
   */
  warm(): void {
    if (this.closed) return;
    for (let i = 0; i < this.slots.length; i++) this.slots[i] ??= this.spawn(i);
  }

  /** Hashes a file already complete. */
  hashFile(file: string, chunkSize: number, length: number, whole: boolean): Promise<Digests> {
    return this.start(file, chunkSize, whole).finish(length);
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    for (const s of workers) this.fail(s, new Error('the hash pool was closed'));
    await Promise.all(workers.map((s) => s.worker.terminate()));
  }

  private pickSlot(): Slot {
    let best = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s) {
        const spawned = this.spawn(i);
        this.slots[i] = spawned;
        return spawned;
      }
      if (best < 0 || s.jobs.size < this.slots[best]!.jobs.size) best = i;
    }
    return this.slots[best]!;
  }

  private spawn(index: number): Slot {
    const slot: Slot = { worker: spawnWorker(), jobs: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (msg: HashReply) => {
      const pending = slot.jobs.get(msg.id);
      if (!pending || !this.settle(slot, msg.id)) return;
      if ('error' in msg) pending.reject(new Error(`hashing the spool failed: ${msg.error}`));
      else pending.resolve(msg.digests);
    });
    const died = (why: string) => {
      if (this.slots[index] === slot) this.slots[index] = undefined;
      this.fail(slot, new Error(`the hash worker stopped: ${why}`));
    };
    slot.worker.on('error', (e) => died(e.message));
    slot.worker.on('exit', (code) => died(`exit code ${code}`));
    return slot;
  }

  /** Removes a job from its slot; false when it was already settled. */
  private settle(slot: Slot, id: number): boolean {
    if (!slot.jobs.delete(id)) return false;
    if (slot.jobs.size === 0) slot.worker.unref();
    return true;
  }

  private fail(slot: Slot, error: Error): void {
    for (const [id, pending] of [...slot.jobs]) {
      this.settle(slot, id);
      pending.reject(error);
    }
  }
}

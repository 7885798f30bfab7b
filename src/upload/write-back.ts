// The write-back queue: commits whose bodies are already durable (spool fsynced, journal row committed)
// and whose clients already got their 201, run to TeraBox in the background in the order their PUTs
// finished. A transient failure (TeraBox unreachable, 5xx, throttling, an expired session) is retried
// with backoff for as long as it takes; a permanent one (quota, per-file limit, a refused name) marks
// the commit failed: it stays in the journal and on the drive, is logged at error level, and is tried
// again when the drive says its cause may have gone (retryFailed) or at the next start.
//
// The drive keeps the namespace consistent through cancel() (DELETE, a newer PUT) and hold() (MOVE,
// COPY): both stop the matching commits at a safe point and wait for them, so nothing lands behind
// the drive's back; a commit whose `create` was already on the wire lands, and the drive hears of it
// through onLanded before cancel()/hold() return.

import type { Logger } from '../log.js';
import type { RemoteEntry } from '../terabox/api.js';
import type { CommitOutcome } from './commit.js';
import type { Journal, JournalRow } from './journal.js';
import { inBackground } from '../terabox/priority.js';
import { backoffDelay, type Backoff } from '../terabox/retry.js';
import { serverMd5For } from './server-md5.js';
import { UploadError } from './types.js';

export type PendingState = 'pending' | 'active' | 'failed';

/** One commit as the drive and the status API see it. */
export interface PendingCommit {
  /** The journal id: stable for the life of the commit. */
  id: number;
  path: string;
  size: number;
  /** The modification time sent to TeraBox as local_mtime, unix seconds. */
  mtime: number;
  /** The spooled body (read it for GET while the commit is pending). */
  spoolFile: string;
  /** The md5 TeraBox will report for the file (its ETag source). */
  md5: string;
  state: PendingState;
  attempts: number;
  lastError?: string;
  /** Bytes TeraBox holds already (confirmed parts, and parts it had before). */
  confirmedBytes: number;
  /** ms since the epoch. */
  queuedAt: number;
  startedAt?: number;
  updatedAt: number;
  /** Bytes per second TeraBox confirmed over the last few seconds, while active. */
  rate?: number;
}

/** How far back the upload rate looks. */
const RATE_WINDOW_MS = 10_000;

interface Item {
  row: JournalRow;
  view: PendingCommit;
  confirmed: Set<number>;
  /** (time, confirmed bytes) samples of the last RATE_WINDOW_MS while active. */
  samples: { at: number; bytes: number }[];
  /** Holds (cancel, hold, shutdown) that keep it from starting. */
  held: number;
  /** Not started again before this time (after a transient failure). */
  notBefore: number;
  controller?: AbortController;
  running?: Promise<void>;
}

export interface CommitHooks {
  onUploadId(uploadId: string): void;
  onConfirmed(partseq: number): void;
  onNeeded(partseqs: readonly number[]): void;
}

export interface WriteBackDeps {
  journal: Journal;
  /** Commits a journalled row (resuming its session and confirmed parts). */
  commit(row: JournalRow, hooks: CommitHooks, signal: AbortSignal): Promise<CommitOutcome>;
  /** Removes a commit's journal row and spool file. */
  forget(row: JournalRow): Promise<void>;
  /** A failure a later try may get past. */
  transient(error: unknown): boolean;
  /** Commits running at once. */
  maxActive: number;
  /** Delay between tries after transient failures. */
  backoff: Backoff;
  /** A failed commit is tried again after this long even if nothing says its cause has gone (space freed outside the drive). */
  failedRetryMs: number;
  logger: Logger;
  now?: () => number;
}

/** A set of commits kept from starting while the drive moves or copies them; release() lets them go. */
export interface HeldCommits {
  /** The held commits still pending (not landed meanwhile), as they stood when held. */
  readonly commits: PendingCommit[];
  /** Lets them go, each under `rename(path)` (the journal row follows; the upload session starts over). */
  release(rename?: (path: string) => string): void;
}

/**
 * Told of each commit that landed, before its spool file is removed: a listener may still read
 * `commit.spoolFile` (the drive keeps its bytes as read-cache chunks); a promise it returns is awaited.
 */
export type LandedListener = (commit: PendingCommit, entry: RemoteEntry) => unknown;

export class WriteBackQueue {
  private readonly items = new Map<number, Item>();
  private readonly now: () => number;
  private active = 0;
  private started = false;
  private closing = false;
  private timer?: NodeJS.Timeout;
  private landed: LandedListener = () => {};

  constructor(private readonly d: WriteBackDeps) {
    this.now = d.now ?? Date.now;
  }

  onLanded(listener: LandedListener): void {
    this.landed = listener;
  }

  /** Queues a journalled commit (after the ones already queued). */
  add(row: JournalRow, queuedAt = row.startedAt): PendingCommit {
    const item: Item = {
      row,
      confirmed: new Set(row.confirmed),
      samples: [],
      held: 0,
      notBefore: 0,
      view: {
        id: row.id,
        path: row.path,
        size: row.size,
        mtime: row.mtime ?? Math.floor(queuedAt / 1000),
        spoolFile: row.spoolFile,
        md5: serverMd5For(row.blockMd5s),
        state: 'pending',
        attempts: 0,
        confirmedBytes: 0,
        queuedAt,
        updatedAt: queuedAt,
      },
    };
    this.recount(item);
    this.items.set(row.id, item);
    return { ...item.view };
  }

  /** Starts committing (at start-up once the drive is ready, or with the first new commit). */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Every commit not landed yet, in queue order. */
  list(): PendingCommit[] {
    return [...this.items.values()].map((i) => {
      const view = { ...i.view };
      const first = i.samples[0];
      const last = i.samples[i.samples.length - 1];
      if (i.view.state === 'active' && first && last && last.at > first.at)
        view.rate = Math.round(((last.bytes - first.bytes) * 1000) / (last.at - first.at));
      return view;
    });
  }

  /** The newest commit at exactly this path. */
  at(path: string): PendingCommit | undefined {
    let found: Item | undefined;
    for (const i of this.items.values()) if (i.view.path === path) found = i;
    return found && { ...found.view };
  }

  get size(): number {
    return this.items.size;
  }

  /** The journal row of a queued commit (its digests, for a copy). */
  rowOf(id: number): JournalRow | undefined {
    return this.items.get(id)?.row;
  }

  /**
   * Drops every commit whose path matches (DELETE, a newer PUT): a running one is stopped and waited
   * for; if its create was already on the wire it lands (onLanded) and the caller deals with the file.
   */
  async cancel(match: (path: string, id: number) => boolean, why: string): Promise<number> {
    const held = await this.stop(match, why);
    let dropped = 0;
    for (const i of held) {
      if (!this.items.has(i.row.id)) continue;
      this.items.delete(i.row.id);
      dropped++;
      await this.d.forget(i.row);
    }
    return dropped;
  }

  /** Stops the matching commits and keeps them from starting until release(). */
  async hold(match: (path: string) => boolean, why: string): Promise<HeldCommits> {
    const held = await this.stop(match, why);
    const commits = held.filter((i) => this.items.has(i.row.id)).map((i) => ({ ...i.view }));
    let released = false;
    return {
      commits,
      release: (rename) => {
        if (released) return;
        released = true;
        for (const i of held) {
          i.held--;
          if (!this.items.has(i.row.id) || !rename) continue;
          const to = rename(i.view.path);
          if (to === i.view.path) continue;
          this.d.journal.setPath(i.row.id, to);
          i.row = { ...i.row, path: to, uploadId: undefined, confirmed: [] };
          i.confirmed.clear();
          i.view.path = to;
          // A move is a new write: a failed commit gets another try at its new path.
          if (i.view.state === 'failed') i.view.state = 'pending';
          i.notBefore = 0;
          this.recount(i);
        }
        this.pump();
      },
    };
  }

  /** Failed commits are tried again (space was freed, or the user asked). */
  retryFailed(): void {
    for (const i of this.items.values()) {
      if (i.view.state !== 'failed') continue;
      i.view.state = 'pending';
      i.notBefore = 0;
    }
    this.pump();
  }

  /** Resolves once nothing is pending or active (failed commits excepted); rejects after `timeoutMs`. */
  async idle(timeoutMs = 10 * 60_000, pollMs = 20): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.items.values()].some((i) => i.view.state !== 'failed')) {
      if (Date.now() > deadline) throw new UploadError('UNAVAILABLE', `commits still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /**
   * Shutdown: starts nothing more, lets running commits finish for up to `graceMs`, then stops them
   * at a safe point (parts in flight abort; a create on the wire completes). The journal keeps the rest.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const running = () => Promise.all([...this.items.values()].map((i) => i.running));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const i of this.items.values()) i.controller?.abort(new UploadError('UNAVAILABLE', 'the server is shutting down'));
    await running();
  }

  private async stop(match: (path: string, id: number) => boolean, why: string): Promise<Item[]> {
    const held = [...this.items.values()].filter((i) => match(i.view.path, i.row.id));
    for (const i of held) {
      i.held++;
      i.controller?.abort(new UploadError('ABORTED', why));
    }
    await Promise.all(held.map((i) => i.running));
    return held;
  }

  private recount(i: Item): void {
    const { size, chunkSize } = i.row;
    let bytes = 0;
    for (const seq of i.confirmed) bytes += Math.max(0, Math.min(chunkSize, size - seq * chunkSize));
    i.view.confirmedBytes = bytes;
  }

  private pump(): void {
    if (!this.started || this.closing) return;
    const now = this.now();
    let wake = Infinity;
    for (const i of this.items.values()) {
      if (this.active >= this.d.maxActive) break;
      if (i.view.state === 'failed' && i.held === 0 && !i.running) {
        if (i.notBefore > now) wake = Math.min(wake, i.notBefore);
        else i.view.state = 'pending';
      }
      if (i.view.state !== 'pending' || i.held > 0 || i.running) continue;
      if (i.notBefore > now) {
        wake = Math.min(wake, i.notBefore);
        continue;
      }
      this.run(i);
    }
    if (wake !== Infinity) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.pump(), Math.max(1, wake - now));
      this.timer.unref();
    }
  }

  private run(i: Item): void {
    this.active++;
    const now = this.now();
    i.view.state = 'active';
    i.view.attempts++;
    i.view.startedAt ??= now;
    i.view.updatedAt = now;
    i.samples = [{ at: now, bytes: i.view.confirmedBytes }];
    const controller = new AbortController();
    i.controller = controller;
    // Every TeraBox call of the commit waits behind a client's calls (the pacer's background priority).
    i.running = inBackground(() => this.commit(i, controller.signal)).finally(() => {
      i.controller = undefined;
      i.running = undefined;
      this.active--;
      this.pump();
    });
  }

  private async commit(i: Item, signal: AbortSignal): Promise<void> {
    const { logger } = this.d;
    const started = this.now();
    logger.info({ path: i.view.path, size: i.view.size, attempt: i.view.attempts, background: true }, 'upload started');
    const hooks: CommitHooks = {
      onUploadId: (uploadId) => {
        if (i.row.uploadId !== uploadId) i.confirmed.clear();
        i.row = { ...i.row, uploadId };
        this.d.journal.setUploadId(i.row.id, uploadId);
        this.recount(i);
      },
      onConfirmed: (seq) => {
        i.confirmed.add(seq);
        this.d.journal.confirmPart(i.row.id, seq);
        const now = this.now();
        i.view.updatedAt = now;
        this.recount(i);
        i.samples.push({ at: now, bytes: i.view.confirmedBytes });
        while (i.samples.length > 2 && i.samples[0]!.at < now - RATE_WINDOW_MS) i.samples.shift();
      },
      onNeeded: (needed) => {
        const missing = new Set(needed);
        const parts = Math.max(1, Math.ceil(i.row.size / i.row.chunkSize));
        for (let seq = 0; seq < parts; seq++) if (!missing.has(seq)) i.confirmed.add(seq);
        this.recount(i);
      },
    };
    let outcome: CommitOutcome;
    try {
      outcome = await this.d.commit({ ...i.row, confirmed: [...i.confirmed] }, hooks, signal);
    } catch (e) {
      const message = (e as Error).message;
      i.view.updatedAt = this.now();
      // Stopped by cancel(), hold() or close(): they decide what happens next.
      if (signal.aborted) {
        i.view.state = 'pending';
        return;
      }
      i.view.lastError = message;
      if (this.d.transient(e)) {
        i.view.state = 'pending';
        const wait = backoffDelay(Math.max(0, i.view.attempts - 1), this.d.backoff);
        i.notBefore = this.now() + wait;
        logger.warn(
          { path: i.view.path, attempts: i.view.attempts, err: message, retryInMs: Math.round(wait) },
          'background commit failed; retrying',
        );
      } else {
        i.view.state = 'failed';
        i.notBefore = this.now() + this.d.failedRetryMs;
        logger.error(
          { path: i.view.path, size: i.view.size, attempts: i.view.attempts, err: message },
          'background commit failed; the file stays on the drive, is shown as failed in the status API, and is tried again when space is freed or it is written again',
        );
      }
      return;
    }
    // Landed (even when a cancel came meanwhile: a create on the wire cannot be called back).
    this.items.delete(i.row.id);
    i.view.confirmedBytes = i.view.size;
    try {
      await this.landed({ ...i.view }, outcome.entry);
    } catch (err) {
      logger.warn({ err, path: i.view.path }, 'a landed commit could not be shown in the cached listings');
    }
    const ms = this.now() - started;
    logger.info(
      // rate: bytes per second over this attempt of the commit, whatever rapid upload skipped.
      {
        path: i.view.path,
        size: i.view.size,
        partsSent: outcome.partsSent,
        rapid: outcome.rapid,
        ms,
        rate: Math.round((i.view.size / Math.max(ms, 1)) * 1000),
        attempts: i.view.attempts,
        background: true,
      },
      'upload committed',
    );
    await this.d.forget(i.row);
  }
}

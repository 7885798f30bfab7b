// The upload service: one body in → spooled and hashed in one pass → journalled → committed →
// the spool removed. Tracks every upload in progress so close() can let commits finish (or leave
// them to the journal) and resumePending() can finish what a crash left behind.
//
// What stays journalled (row + spool) after a failure:
//   - a commit stopped by shutdown (close() timed out): the next start finishes it;
//   - a resumed commit that failed transiently (TeraBox unreachable, 5xx, rate limited, a session to
//     renew), typically because the network is not up yet at start-up: the next start tries again.
// Everything else is removed at once: a client that got an error for its PUT owns the retry, and a
// stale body committed later could overwrite newer content. A newer commit of the same path removes
// older rows, and rows older than RESUME_MAX_AGE_MS are dropped, so nothing stays forever.

import { openAsBlob, statSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import { chunkSizeFor } from '../terabox/chunk-size.js';
import { TeraBoxError } from '../terabox/errors.js';
import { inBackground } from '../terabox/priority.js';
import { commitUpload, type CommitOutcome, type CommitTarget } from './commit.js';
import { HashPool, type Digests } from './hash-pool.js';
import { Journal, type JournalEntry, type JournalRow } from './journal.js';
import type { ResolvedUploaderOptions } from './options.js';
import { Semaphore } from '../util/semaphore.js';
import { spoolBody } from './spool-body.js';
import { SpoolDir } from './spool.js';
import {
  UploadError,
  type HeldCommits,
  type LandedListener,
  type PendingCommit,
  type ResumeOutcome,
  type StageRequest,
  type StageResult,
  type UploadRequest,
  type UploadResult,
  type UploadService,
} from './types.js';
import { toUploadError } from './upload-error.js';
import { WriteBackQueue } from './write-back.js';

/** A journalled commit older than this is not resumed: its upload id is long dead and its content likely stale. */
const RESUME_MAX_AGE_MS = 7 * 24 * 3600_000;

/** One upload or resume in progress. */
interface Op {
  path: string;
  spoolFile: string;
  phase: 'receiving' | 'committing';
  /** A start-up resume rather than a client's upload. */
  resume: boolean;
  /** Set once the commit is journalled. */
  journalId?: number;
  /** Journalled and handed to the write-back queue, which owns its row and spool from then on. */
  handedOff?: boolean;
  controller: AbortController;
  /** Settles when the op has cleaned up after itself. */
  done: Promise<void>;
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/' || path.endsWith('/') || path.includes('//')) {
    throw new UploadError('INVALID_NAME', `not a remote file path: ${JSON.stringify(path)}`);
  }
}

/**
 * A failure a later try of the same commit may get past: TeraBox unreachable, throttling, a session to
 * renew (UNAVAILABLE), or still failing with server errors after the retries (UPSTREAM from a retryable
 * TeraBoxError). UPSTREAM also covers refusals (errno 10, 31299, a non-JSON answer) that no later try can
 * change: keeping those would re-send the commit at every start for the whole resume window.
 */
function transientFailure(error: unknown): boolean {
  if (!(error instanceof UploadError)) return false;
  if (error.code === 'UNAVAILABLE') return true;
  return error.code === 'UPSTREAM' && error.cause instanceof TeraBoxError && error.cause.retryable;
}

function checkSize(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`upload ${name} must be a non-negative integer, got ${value}`);
  }
}

/** Background-commit failures no retry can get past until something changes (space freed, a new write). */
const PERMANENT = new Set(['QUOTA', 'TOO_LARGE', 'INVALID_NAME', 'PARENT_MISSING']);

/** What commitUpload() needs for a journalled row. */
function targetOf(row: JournalRow, spool: Blob): CommitTarget {
  return {
    path: row.path,
    size: row.size,
    chunkSize: row.chunkSize,
    blockMd5s: row.blockMd5s,
    whole:
      row.contentMd5 && row.sliceMd5 && row.crc32 !== undefined
        ? { contentMd5: row.contentMd5, sliceMd5: row.sliceMd5, crc32: row.crc32 }
        : undefined,
    spool,
    mtime: row.mtime,
    uploadId: row.uploadId,
    confirmed: row.confirmed,
  };
}

/** The journal row of a body spooled and hashed: what a commit, or its resume after a restart, needs. */
function journalEntry(path: string, spoolFile: string, size: number, digests: Digests, mtime: number | undefined): JournalEntry {
  return { path, size, chunkSize: digests.chunkSize, blockMd5s: digests.blockMd5s, ...digests.whole, spoolFile, mtime };
}

export class Uploader implements UploadService {
  private readonly spool: SpoolDir;
  private readonly journal: Journal;
  private readonly pool: HashPool;
  private readonly budget: Semaphore;
  private readonly ops = new Set<Op>();
  private readonly queue: WriteBackQueue;
  /** Spool files being written by copyCommit (not journalled yet): the start-up sweep leaves them. */
  private readonly copying = new Set<string>();
  /** Content-Length of bodies being spooled: the spool's free space is theirs already. */
  private reservedSpool = 0;
  private accountLimit?: Promise<number>;
  private resuming?: Promise<ResumeOutcome[]>;
  private closing?: Promise<void>;

  constructor(private readonly opts: ResolvedUploaderOptions) {
    this.spool = new SpoolDir(opts.spoolDir);
    this.journal = new Journal(opts.journalPath, opts.now);
    this.pool = new HashPool(opts.hashWorkers);
    this.budget = new Semaphore(opts.globalParallel);
    this.queue = new WriteBackQueue({
      journal: this.journal,
      commit: async (row, hooks, signal) => {
        try {
          return await commitUpload(targetOf(row, await openAsBlob(row.spoolFile)), {
            api: opts.api,
            budget: this.budget,
            settings: { ...opts, rapidUpload: opts.rapidUpload && row.uploadId === undefined },
            logger: opts.logger,
            signal,
            ...hooks,
          });
        } catch (e) {
          throw toUploadError(e, row.path);
        }
      },
      forget: (row) => this.forget(row.path, row.id, row.spoolFile),
      // Only TeraBox's verdicts about the file or the account are final; everything else is tried again.
      transient: (e) => !(e instanceof UploadError && PERMANENT.has(e.code)),
      maxActive: opts.commitConcurrency,
      backoff: opts.commitBackoff,
      failedRetryMs: opts.failedRetryMs,
      logger: opts.logger,
    });
    // Write-back: commits journalled by an earlier run are pending files from the first request on;
    // they start committing with resumePending().
    if (opts.mode === 'write-back') this.loadJournal();
  }

  // ---- write-back ----

  async stage(req: StageRequest): Promise<StageResult> {
    const limit = await this.admit(req);
    const { path } = req;
    const reserve = req.size ?? 0;
    if (reserve > (await this.spool.freeBytes()) - this.reservedSpool) {
      throw new UploadError('QUOTA', `${path}: the local spool disk has no room for ${reserve} more bytes`);
    }
    this.reservedSpool += reserve;
    let done: (() => void) | undefined;
    try {
      done = await req.beforeBody?.();
      return await this.track({ path, spoolFile: this.spool.newFile(), resume: false }, req.signal, (op) =>
        this.receiveAndStage(req, op, limit),
      );
    } finally {
      this.reservedSpool -= reserve;
      done?.();
    }
  }

  pendingCommits(): PendingCommit[] {
    return this.queue.list();
  }

  pendingAt(path: string): PendingCommit | undefined {
    return this.queue.at(path);
  }

  async cancelCommits(match: (path: string, id: number) => boolean, why: string): Promise<void> {
    await this.queue.cancel(match, why);
    // Write-through: a commit resumed from the journal at start-up, or waiting for its turn.
    const resumed = [...this.ops].filter((op) => op.resume && op.journalId !== undefined && match(op.path, op.journalId));
    for (const op of resumed) op.controller.abort(new UploadError('ABORTED', why));
    await Promise.all(resumed.map((op) => op.done));
    if (this.closing) return;
    const queued = new Set(this.queue.list().map((c) => c.id));
    const active = new Set([...this.ops].map((op) => op.journalId));
    for (const row of this.journal.list()) {
      if (match(row.path, row.id) && !queued.has(row.id) && !active.has(row.id)) await this.forget(row.path, row.id, row.spoolFile);
    }
  }

  holdCommits(match: (path: string) => boolean, why: string): Promise<HeldCommits> {
    return this.queue.hold(match, why);
  }

  async copyCommit(c: PendingCommit, to: string): Promise<PendingCommit> {
    checkPath(to);
    this.assertOpen();
    const row = this.queue.rowOf(c.id);
    if (!row) throw new UploadError('ABORTED', `the commit of ${c.path} is no longer queued`);
    const spoolFile = this.spool.newFile();
    this.copying.add(spoolFile);
    try {
      await copyFile(row.spoolFile, spoolFile);
      await this.makeDurable(spoolFile);
      const id = this.journal.begin({ ...row, path: to, spoolFile });
      const view = this.queue.add({ ...row, id, path: to, spoolFile, uploadId: undefined, confirmed: [], startedAt: Date.now() });
      this.queue.start();
      return view;
    } catch (e) {
      await this.spool.remove(spoolFile).catch(() => {});
      throw toUploadError(e, to);
    } finally {
      this.copying.delete(spoolFile);
    }
  }

  retryFailed(): void {
    this.queue.retryFailed();
  }

  warm(): void {
    this.pool.warm();
  }

  onLanded(listener: LandedListener): void {
    this.queue.onLanded(listener);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Journalled commits become queued ones; a row whose spool is gone or short cannot be committed. */
  private loadJournal(): void {
    for (const row of this.journal.list()) {
      const size = (() => {
        try {
          return statSync(row.spoolFile).size;
        } catch {
          return -1;
        }
      })();
      if (size !== row.size) {
        this.opts.logger.error(
          { path: row.path, spoolBytes: size, size: row.size },
          'journalled commit discarded: its spool file is missing or short',
        );
        this.journal.remove(row.id);
        continue;
      }
      this.queue.add(row);
    }
  }

  /** fsync of the file, then of its folder (so the file's name survives power loss too). */
  private async makeDurable(file: string): Promise<void> {
    const fh = await open(file, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const dir = await open(this.spool.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async receiveAndStage(req: StageRequest, op: Op, limit: number): Promise<StageResult> {
    const signal = op.controller.signal;
    const received = await this.receive(req, op, limit);
    if (!received) return { kind: 'empty' };
    const { size, digests } = received;
    await this.makeDurable(op.spoolFile);
    await req.admit?.(size);
    signal.throwIfAborted();
    const entry = journalEntry(req.path, op.spoolFile, size, digests, req.mtime ?? Math.floor(this.opts.now() / 1000));
    op.journalId = this.journal.begin(entry);
    op.handedOff = true;
    const commit = this.queue.add({ ...entry, id: op.journalId, confirmed: [], startedAt: Date.now() });
    // Newest wins: an older commit of the path (queued, or resumed by write-through) never lands after this one.
    await this.supersede(op);
    this.queue.start();
    this.opts.logger.info({ path: req.path, size }, 'upload stored locally; committing in the background');
    return { kind: 'staged', commit };
  }

  async upload(req: UploadRequest): Promise<UploadResult> {
    const limit = await this.admit(req);
    const { path } = req;
    if (req.size !== undefined && req.size > (await this.spool.freeBytes())) {
      throw new UploadError('QUOTA', `${path}: the local spool disk has no room for ${req.size} bytes`);
    }
    return this.track({ path, spoolFile: this.spool.newFile(), resume: false }, req.signal, (op) => this.receiveAndCommit(req, op, limit));
  }

  /**
   * What every write checks before its body is read: the path, the declared sizes, an open uploader
   * and a size within the per-file limit. Answers the limit, which the body is held to as it arrives.
   */
  private async admit(req: UploadRequest): Promise<number> {
    checkPath(req.path);
    checkSize('size', req.size);
    checkSize('sizeHint', req.sizeHint);
    this.assertOpen();
    const limit = req.size === 0 ? 0 : await this.fileSizeLimit(req.path);
    if (req.size !== undefined && req.size > limit) {
      throw new UploadError('TOO_LARGE', `${req.path}: ${req.size} bytes is over the per-file limit of ${limit} bytes`);
    }
    return limit;
  }

  resumePending(): Promise<ResumeOutcome[]> {
    if (this.closing) return Promise.resolve([]);
    if (this.opts.mode === 'write-back') return this.startQueue();
    // Write-through resume runs commits outside the write-back queue: background priority too.
    this.resuming ??= inBackground(() => this.resumeAll()).finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new UploadError('UNAVAILABLE', 'the uploader is shutting down');
  }

  /**
   * Runs `work` as a tracked op, aborted with the client's signal. Afterwards its journal row (if
   * any) and then its spool file are removed, unless the failure leaves them for a later resume.
   */
  private async track<T>(
    init: Pick<Op, 'path' | 'spoolFile' | 'resume'>,
    clientSignal: AbortSignal | undefined,
    work: (op: Op) => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    let finish!: () => void;
    const op: Op = { ...init, phase: 'receiving', controller: new AbortController(), done: new Promise((r) => (finish = r)) };
    const onClientAbort = () => op.controller.abort(new UploadError('ABORTED', `the upload of ${op.path} was aborted by the client`));
    clientSignal?.addEventListener('abort', onClientAbort, { once: true });
    if (clientSignal?.aborted) onClientAbort();
    this.ops.add(op);
    let keep = false;
    try {
      return await work(op);
    } catch (e) {
      const error = toUploadError(e, op.path);
      keep = this.keptForResume(op, error);
      throw error;
    } finally {
      clientSignal?.removeEventListener('abort', onClientAbort);
      if (!keep && !op.handedOff) await this.forget(op.path, op.journalId, op.spoolFile);
      this.ops.delete(op);
      finish();
    }
  }

  /**
   * Removes a commit's journal row, then its spool file. A failure here (disk full, an I/O error) must
   * not change an upload's answer, nor leave its op unsettled: close() and a superseding upload wait
   * on it. The spool goes even when the row cannot: a row without its spool is discarded at the next
   * start, while a row with it would be committed although its client was told it failed.
   */
  private async forget(path: string, journalId: number | undefined, spoolFile: string): Promise<void> {
    const failed = (what: string) => (e: unknown) =>
      this.opts.logger.warn({ path, err: (e as Error).message }, `could not remove the ${what} of an upload`);
    // Row first: a crash in between leaves an orphan spool file, which the start-up sweep removes.
    if (journalId !== undefined) {
      try {
        this.journal.remove(journalId);
      } catch (e) {
        failed('journal row')(e);
      }
    }
    await this.spool.remove(spoolFile).catch(failed('spool file'));
  }

  private keptForResume(op: Op, error: unknown): boolean {
    if (op.journalId === undefined) return false;
    const reason: unknown = op.controller.signal.reason;
    if (this.closing && reason instanceof UploadError && reason.code === 'UNAVAILABLE') return true;
    return op.resume && transientFailure(error);
  }

  /** Spools and hashes the body; null when it is empty. */
  private async receive(req: UploadRequest, op: Op, limit: number): Promise<{ size: number; digests: Digests } | null> {
    const { ladder } = this.opts;
    const signal = op.controller.signal;
    const hashing = this.pool.start(op.spoolFile, chunkSizeFor(req.size ?? req.sizeHint ?? 0, ladder), this.opts.rapidUpload);
    let size: number;
    try {
      size = await spoolBody(req.body, { file: op.spoolFile, maxBytes: limit, onWritten: (n) => hashing.grow(n), signal });
      if (req.size !== undefined && size !== req.size) {
        throw new UploadError('ABORTED', `${req.path}: the body had ${size} bytes, ${req.size} were announced`);
      }
    } catch (e) {
      hashing.cancel();
      throw e;
    }
    if (size === 0) {
      hashing.cancel();
      return null;
    }
    const digests = await this.settledDigests(await hashing.finish(size), op.spoolFile);
    signal.throwIfAborted();
    return { size, digests };
  }

  private async receiveAndCommit(req: UploadRequest, op: Op, limit: number): Promise<UploadResult> {
    const received = await this.receive(req, op, limit);
    if (!received) return { kind: 'empty' };
    const { size, digests } = received;

    op.phase = 'committing';
    op.journalId = this.journal.begin(journalEntry(req.path, op.spoolFile, size, digests, req.mtime));
    await this.supersede(op);
    const started = Date.now();
    this.opts.logger.info({ path: req.path, size, parts: digests.blockMd5s.length }, 'upload started');
    const outcome = await this.commitOp(op, {
      path: req.path,
      size,
      chunkSize: digests.chunkSize,
      blockMd5s: digests.blockMd5s,
      whole: digests.whole,
      spool: await openAsBlob(op.spoolFile),
      mtime: req.mtime,
    });
    const ms = Date.now() - started;
    this.opts.logger.info(
      // rate: bytes per second over the commit (spooled → committed), whatever rapid upload skipped.
      {
        path: req.path,
        size,
        parts: digests.blockMd5s.length,
        partsSent: outcome.partsSent,
        rapid: outcome.rapid,
        ms,
        rate: Math.round((size / Math.max(ms, 1)) * 1000),
      },
      'upload committed',
    );
    return { kind: 'committed', ...outcome };
  }

  /**
   * Block md5s for the chunk size the real size needs. When the body was hashed with another one
   * (a wrong size hint, or an unknown-size body that crossed a ladder threshold) it is hashed again
   * from the spool; the whole-file digests do not depend on the chunk size and are kept.
   */
  private async settledDigests(d: Digests, spoolFile: string): Promise<Digests> {
    const chunkSize = chunkSizeFor(d.size, this.opts.ladder);
    if (chunkSize === d.chunkSize) return d;
    this.opts.logger.info({ size: d.size, hashedWith: d.chunkSize, needs: chunkSize }, 'block size changed at close; re-hashing the spool');
    return { ...(await this.pool.hashFile(spoolFile, chunkSize, d.size, false)), whole: d.whole };
  }

  /**
   * A newer commit of a path makes older journalled ones of the same path stale: a resume of it in
   * progress is aborted, and rows kept from earlier runs are dropped with their spool files. The
   * aborted resume is waited for: its create may already be on the wire (create takes no signal),
   * and landing after ours it would put the old content back.
   */
  private async supersede(newer: Op): Promise<void> {
    const superseded = new UploadError('ABORTED', `superseded by a newer upload of ${newer.path}`);
    await this.queue.cancel((path, id) => path === newer.path && id < newer.journalId!, superseded.message);
    const stale = [...this.ops].filter((op) => op.resume && op.path === newer.path);
    for (const op of stale) op.controller.abort(superseded);
    await Promise.all(stale.map((op) => op.done));
    const active = new Set([...this.ops].map((op) => op.journalId));
    for (const c of this.queue.list()) active.add(c.id);
    for (const row of this.journal.list()) {
      if (row.path !== newer.path || row.id >= newer.journalId! || active.has(row.id)) continue;
      await this.forget(row.path, row.id, row.spoolFile);
    }
  }

  private commitOp(op: Op, target: CommitTarget): Promise<CommitOutcome> {
    const id = op.journalId!;
    return commitUpload(target, {
      api: this.opts.api,
      budget: this.budget,
      // Rapid upload was tried before a crash, if at all: a resume goes straight to precreate.
      settings: { ...this.opts, rapidUpload: this.opts.rapidUpload && !op.resume },
      logger: this.opts.logger,
      signal: op.controller.signal,
      onUploadId: (uploadId) => this.journal.setUploadId(id, uploadId),
      onConfirmed: (partseq) => this.journal.confirmPart(id, partseq),
    });
  }

  private fileSizeLimit(path: string): Promise<number> {
    if (this.opts.maxFileSize !== undefined) return Promise.resolve(this.opts.maxFileSize);
    this.accountLimit ??= this.opts.api.account().then(
      (a) => a.maxFileSize,
      (e: unknown) => {
        this.accountLimit = undefined;
        throw toUploadError(e, path);
      },
    );
    return this.accountLimit;
  }

  /** Write-back start-up: spool files no commit needs go, and the journalled commits start. */
  private async startQueue(): Promise<ResumeOutcome[]> {
    const journalled = new Set(this.journal.list().map((r) => r.spoolFile));
    // Bodies staged or copied while the sweep runs are in the queue, in ops or being copied.
    const needed = (file: string) =>
      journalled.has(file) ||
      this.copying.has(file) ||
      this.queue.list().some((c) => c.spoolFile === file) ||
      [...this.ops].some((op) => op.spoolFile === file);
    const swept = await this.spool.sweep(needed);
    if (swept.length > 0) this.opts.logger.info({ files: swept.length }, 'removed spool files no commit needs');
    if (this.queue.size > 0) this.opts.logger.info({ commits: this.queue.size }, 'resuming journalled commits in the background');
    this.queue.start();
    return [];
  }

  private async resumeAll(): Promise<ResumeOutcome[]> {
    const rows = this.journal.list();
    const needed = (file: string) => rows.some((r) => r.spoolFile === file) || [...this.ops].some((op) => op.spoolFile === file);
    const swept = await this.spool.sweep(needed);
    if (swept.length > 0) this.opts.logger.info({ files: swept.length }, 'removed spool files no commit needs');
    const newest = new Map(rows.map((r) => [r.path, r.id]));
    const outcomes: ResumeOutcome[] = [];
    for (const row of rows) {
      if (this.closing) break;
      // Cancelled meanwhile (its file was deleted, moved or written again).
      if (!this.journal.list().some((r) => r.id === row.id)) continue;
      outcomes.push(await this.resumeOne(row, newest.get(row.path) !== row.id));
    }
    return outcomes;
  }

  private async resumeOne(row: JournalRow, superseded: boolean): Promise<ResumeOutcome> {
    const discard = async (why: string): Promise<ResumeOutcome> => {
      await this.forget(row.path, row.id, row.spoolFile);
      this.opts.logger.warn({ path: row.path, why }, 'journalled commit discarded');
      return { path: row.path, status: 'discarded', partsSent: 0, error: why };
    };
    if (superseded) return discard('a later upload of the same path was journalled');
    if (this.opts.now() - row.startedAt > RESUME_MAX_AGE_MS) return discard('it is older than the resume window');
    const spooled = await stat(row.spoolFile).catch(() => undefined);
    if (!spooled || spooled.size !== row.size)
      return discard(`its spool file is ${spooled ? `${spooled.size} bytes, not ${row.size}` : 'missing'}`);

    try {
      const outcome = await this.track({ path: row.path, spoolFile: row.spoolFile, resume: true }, undefined, async (op) => {
        op.phase = 'committing';
        op.journalId = row.id;
        return this.commitOp(op, targetOf(row, await openAsBlob(row.spoolFile)));
      });
      this.opts.logger.info({ path: row.path, partsSent: outcome.partsSent }, 'journalled commit finished');
      return { path: row.path, status: 'committed', partsSent: outcome.partsSent };
    } catch (e) {
      const error = e as UploadError;
      const kept = this.journal.list().some((r) => r.id === row.id);
      this.opts.logger.warn({ path: row.path, err: error.message, kept }, 'journalled commit failed');
      if (error.code === 'ABORTED') return { path: row.path, status: 'discarded', partsSent: 0, error: error.message };
      return { path: row.path, status: 'failed', partsSent: 0, error: kept ? `${error.message} (kept for the next start)` : error.message };
    }
  }

  private async shutdown(): Promise<void> {
    const stopping = (op: Op) =>
      new UploadError(
        'UNAVAILABLE',
        op.phase === 'committing'
          ? `the server is shutting down; the commit of ${op.path} will finish at the next start`
          : `the server is shutting down; the upload of ${op.path} was dropped`,
      );
    for (const op of this.ops) if (op.phase === 'receiving') op.controller.abort(stopping(op));
    const queueClosed = this.queue.close(this.opts.closeTimeoutMs);
    const settled = () => Promise.all([...this.ops].map((op) => op.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((r) => (timer = setTimeout(r, this.opts.closeTimeoutMs)));
    await Promise.race([settled(), timedOut]);
    clearTimeout(timer);
    for (const op of this.ops) op.controller.abort(stopping(op));
    await settled();
    await queueClosed;
    await this.resuming?.catch(() => {});
    await this.pool.close();
    this.journal.close();
  }
}

// The upload service: one body in → spooled and hashed in one pass → journalled → committed →
// the spool removed. Tracks every upload in progress so close() can let commits finish (or leave
// them to the journal) and resumePending() can finish what a crash left behind.

import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { chunkSizeFor } from '../terabox/chunk-size.js';
import { commit, type CommitContext, type CommitOutcome, type CommitTarget } from './commit.js';
import { HashPool, type Digests } from './hash-pool.js';
import { Journal, type JournalRow } from './journal.js';
import type { ResolvedUploaderOptions } from './options.js';
import { Semaphore } from './semaphore.js';
import { spoolBody } from './spool-body.js';
import { SpoolDir } from './spool.js';
import { UploadError, type ResumeOutcome, type UploadRequest, type UploadResult, type UploadService } from './types.js';
import { toUploadError } from './upload-error.js';

/** One upload or resume in progress. */
interface Op {
  path: string;
  spoolFile: string;
  phase: 'receiving' | 'committing';
  controller: AbortController;
  /** Settles when the op has cleaned up after itself. */
  done: Promise<void>;
}

function shuttingDown(path: string, phase: Op['phase']): UploadError {
  return new UploadError(
    'UNAVAILABLE',
    phase === 'committing'
      ? `the server is shutting down; the commit of ${path} will finish at the next start`
      : `the server is shutting down; the upload of ${path} was dropped`,
  );
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/' || path.endsWith('/') || path.includes('//')) {
    throw new UploadError('INVALID_NAME', `not a remote file path: ${JSON.stringify(path)}`);
  }
}

function checkSize(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`upload ${name} must be a non-negative integer, got ${value}`);
  }
}

export class Uploader implements UploadService {
  private readonly spool: SpoolDir;
  private readonly journal: Journal;
  private readonly pool: HashPool;
  private readonly budget: Semaphore;
  private readonly ops = new Set<Op>();
  /** Resumes in progress by path: a new upload of the same path supersedes them. */
  private readonly resumes = new Map<string, Op>();
  private accountLimit?: Promise<number>;
  private resuming?: Promise<ResumeOutcome[]>;
  private closing?: Promise<void>;

  constructor(private readonly o: ResolvedUploaderOptions) {
    this.spool = new SpoolDir(o.spoolDir);
    this.journal = new Journal(o.journalPath);
    this.pool = new HashPool(o.hashWorkers);
    this.budget = new Semaphore(o.globalParallel);
  }

  async upload(req: UploadRequest): Promise<UploadResult> {
    checkPath(req.path);
    checkSize('size', req.size);
    checkSize('sizeHint', req.sizeHint);
    this.assertOpen();
    const { path } = req;
    const limit = req.size === 0 ? 0 : await this.fileSizeLimit(path);
    if (req.size !== undefined && req.size > limit) {
      throw new UploadError('TOO_LARGE', `${path}: ${req.size} bytes is over the per-file limit of ${limit} bytes`);
    }
    return this.track(path, this.spool.newFile(), req.signal, (op) => this.receiveAndCommit(req, op, limit));
  }

  private assertOpen(): void {
    if (this.closing) throw new UploadError('UNAVAILABLE', 'the uploader is shutting down');
  }

  resumePending(): Promise<ResumeOutcome[]> {
    if (this.closing) return Promise.resolve([]);
    this.resuming ??= this.resumeAll().finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Runs `work` as a tracked op: aborted with the client, cleaned up (spool, journal) whatever happens. */
  private async track<T>(path: string, spoolFile: string, clientSignal: AbortSignal | undefined, work: (op: Op) => Promise<T>): Promise<T> {
    this.assertOpen();
    let finish!: () => void;
    const op: Op = { path, spoolFile, phase: 'receiving', controller: new AbortController(), done: new Promise((r) => (finish = r)) };
    const onClientAbort = () => op.controller.abort(new UploadError('ABORTED', `the upload of ${path} was aborted by the client`));
    clientSignal?.addEventListener('abort', onClientAbort, { once: true });
    if (clientSignal?.aborted) onClientAbort();
    this.ops.add(op);
    let keepSpool = false;
    try {
      return await work(op);
    } catch (e) {
      keepSpool = this.leftForResume(op);
      throw toUploadError(e, path);
    } finally {
      clientSignal?.removeEventListener('abort', onClientAbort);
      if (!keepSpool) await this.spool.remove(spoolFile);
      this.ops.delete(op);
      finish();
    }
  }

  /** A commit that failed because shutdown stopped it keeps its journal row and spool: the next start finishes it. */
  private leftForResume(op: Op): boolean {
    const reason: unknown = op.controller.signal.reason;
    return op.phase === 'committing' && reason instanceof UploadError && reason.code === 'UNAVAILABLE' && this.closing !== undefined;
  }

  private async receiveAndCommit(req: UploadRequest, op: Op, limit: number): Promise<UploadResult> {
    const { ladder } = this.o;
    const signal = op.controller.signal;
    const hashing = this.pool.start(op.spoolFile, chunkSizeFor(req.size ?? req.sizeHint ?? 0, ladder), this.o.rapidUpload);
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
      return { kind: 'empty' };
    }
    const digests = await this.settledDigests(await hashing.finish(size), op.spoolFile);
    signal.throwIfAborted();

    op.phase = 'committing';
    this.resumes.get(req.path)?.controller.abort(new UploadError('ABORTED', `superseded by a newer upload of ${req.path}`));
    const id = this.journal.begin({
      path: req.path,
      size,
      chunkSize: digests.chunkSize,
      blockMd5s: digests.blockMd5s,
      ...digests.whole,
      spoolFile: op.spoolFile,
      mtime: req.mtime,
    });
    const started = Date.now();
    const outcome = await this.commitJournalled(id, op, {
      path: req.path,
      size,
      chunkSize: digests.chunkSize,
      blockMd5s: digests.blockMd5s,
      whole: digests.whole,
      spool: await openAsBlob(op.spoolFile),
      mtime: req.mtime,
    }, this.o.rapidUpload);
    this.o.logger.info(
      { path: req.path, size, parts: digests.blockMd5s.length, partsSent: outcome.partsSent, rapid: outcome.rapid, ms: Date.now() - started },
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
    const chunkSize = chunkSizeFor(d.size, this.o.ladder);
    if (chunkSize === d.chunkSize) return d;
    this.o.logger.info({ size: d.size, hashedWith: d.chunkSize, needs: chunkSize }, 'block size changed at close; re-hashing the spool');
    return { ...(await this.pool.hashFile(spoolFile, chunkSize, d.size, false)), whole: d.whole };
  }

  /** Commits with journal hooks; the row goes when create succeeded, or when the commit failed for good. */
  private async commitJournalled(id: number, op: Op, target: CommitTarget, rapidUpload: boolean): Promise<CommitOutcome> {
    const ctx: CommitContext = {
      api: this.o.api,
      budget: this.budget,
      settings: { ...this.o, rapidUpload },
      logger: this.o.logger,
      signal: op.controller.signal,
      onUploadId: (uploadId) => this.journal.setUploadId(id, uploadId),
      onConfirmed: (partseq) => this.journal.confirmPart(id, partseq),
    };
    try {
      const outcome = await commit(target, ctx);
      this.journal.remove(id);
      return outcome;
    } catch (e) {
      if (!this.leftForResume(op)) this.journal.remove(id);
      throw e;
    }
  }

  private fileSizeLimit(path: string): Promise<number> {
    if (this.o.maxFileSize !== undefined) return Promise.resolve(this.o.maxFileSize);
    this.accountLimit ??= this.o.api.account().then(
      (a) => a.maxFileSize,
      (e: unknown) => {
        this.accountLimit = undefined;
        throw toUploadError(e, path);
      },
    );
    return this.accountLimit;
  }

  private async resumeAll(): Promise<ResumeOutcome[]> {
    const rows = this.journal.list();
    const journalled = new Set(rows.map((r) => r.spoolFile));
    const swept = await this.spool.sweep((file) => journalled.has(file) || [...this.ops].some((op) => op.spoolFile === file));
    if (swept.length > 0) this.o.logger.info({ files: swept.length }, 'removed spool files no commit needs');
    const latest = new Map(rows.map((r) => [r.path, r.id]));
    const outcomes: ResumeOutcome[] = [];
    for (const row of rows) {
      if (this.closing) break;
      outcomes.push(await this.resumeOne(row, latest.get(row.path) !== row.id));
    }
    return outcomes;
  }

  private async resumeOne(row: JournalRow, superseded: boolean): Promise<ResumeOutcome> {
    const discard = async (why: string): Promise<ResumeOutcome> => {
      this.journal.remove(row.id);
      await this.spool.remove(row.spoolFile);
      this.o.logger.warn({ path: row.path, why }, 'journalled commit discarded');
      return { path: row.path, status: 'discarded', partsSent: 0, error: why };
    };
    if (superseded) return discard('a later upload of the same path was journalled');
    const spooled = await stat(row.spoolFile).catch(() => undefined);
    if (!spooled || spooled.size !== row.size) return discard(`its spool file is ${spooled ? `${spooled.size} bytes, not ${row.size}` : 'missing'}`);

    try {
      const outcome = await this.track(row.path, row.spoolFile, undefined, async (op) => {
        op.phase = 'committing';
        this.resumes.set(row.path, op);
        try {
          return await this.commitJournalled(row.id, op, {
            path: row.path,
            size: row.size,
            chunkSize: row.chunkSize,
            blockMd5s: row.blockMd5s,
            whole: row.contentMd5 && row.sliceMd5 && row.crc32 !== undefined ? { contentMd5: row.contentMd5, sliceMd5: row.sliceMd5, crc32: row.crc32 } : undefined,
            spool: await openAsBlob(row.spoolFile),
            mtime: row.mtime,
            uploadId: row.uploadId,
            confirmed: row.confirmed,
          }, false);
        } finally {
          if (this.resumes.get(row.path) === op) this.resumes.delete(row.path);
        }
      });
      this.o.logger.info({ path: row.path, partsSent: outcome.partsSent }, 'journalled commit finished');
      return { path: row.path, status: 'committed', partsSent: outcome.partsSent };
    } catch (e) {
      const message = (e as Error).message;
      this.o.logger.warn({ path: row.path, err: message }, 'journalled commit failed');
      const superseded = e instanceof UploadError && e.code === 'ABORTED';
      return { path: row.path, status: superseded ? 'discarded' : 'failed', partsSent: 0, error: message };
    }
  }

  private async shutdown(): Promise<void> {
    for (const op of this.ops) if (op.phase === 'receiving') op.controller.abort(shuttingDown(op.path, op.phase));
    const settled = () => Promise.all([...this.ops].map((op) => op.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((r) => (timer = setTimeout(r, this.o.closeTimeoutMs)));
    await Promise.race([settled(), timedOut]);
    clearTimeout(timer);
    for (const op of this.ops) op.controller.abort(shuttingDown(op.path, op.phase));
    await settled();
    await this.resuming?.catch(() => {});
    await this.pool.close();
    this.journal.close();
  }
}

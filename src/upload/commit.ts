// Commits a spooled, hashed body the way the seed describes: rapid upload by content hash where it
// applies → precreate with the block list → only the parts TeraBox still needs → create with every
// block md5 in order → the md5 create answers checked against ours. Nothing here touches the
// journal or the spool file directly; the caller does, through the hooks.

import type { Logger } from '../log.js';
import type { RemoteEntry, TeraBoxApi } from '../terabox/api.js';
import { GiB, partCount } from '../terabox/chunk-size.js';
import { TeraBoxError } from '../terabox/errors.js';
import { PLACEHOLDER_BLOCK_MD5, SLICE_MD5_BYTES, type Rtype } from '../terabox/wire.js';
import { retrying, type Backoff } from '../terabox/retry.js';
import { sendParts } from './parts.js';
import type { Semaphore } from '../util/semaphore.js';
import { serverMd5For } from './server-md5.js';
import { UploadError } from './types.js';

/** Overwrite: the old file stays visible until create replaces it. */
const RTYPE: Rtype = 3;

/**
 * Tries of create when TeraBox commits other bytes than ours (size or md5 differ). Transient failures
 * of precreate and create are retried by the client under the endpoint's policy, never here.
 */
const COMMIT_ATTEMPTS = 3;

/** /api/rapidupload is refused below 256 KiB and fails above 20 GiB (protocol §2.8.5). */
const RAPID_MIN = SLICE_MD5_BYTES;
const RAPID_MAX = 20 * GiB;

/** TeraBox verdicts about the file or the account: starting the upload session over cannot help. */
const FINAL_CODES = new Set(['QUOTA', 'FILE_TOO_LARGE', 'INVALID_NAME', 'NOT_FOUND', 'AUTH_EXPIRED', 'TOKEN_EXPIRED']);

export interface CommitTarget {
  path: string;
  size: number;
  chunkSize: number;
  blockMd5s: readonly string[];
  whole?: { contentMd5: string; sliceMd5: string; crc32: number };
  /** The spooled body as a file-backed Blob. */
  spool: Blob;
  mtime?: number;
  /** From the journal when resuming: the session to continue and the parts it already holds. */
  uploadId?: string;
  confirmed?: readonly number[];
}

export interface CommitSettings {
  parallel: number;
  partAttempts: number;
  backoff: Backoff;
  precreateBlockList: 'real' | 'placeholder';
  /** Try /api/rapidupload first (skipped on resume: it was tried before the crash). */
  rapidUpload: boolean;
}

export interface CommitContext {
  api: TeraBoxApi;
  budget: Semaphore;
  settings: CommitSettings;
  logger: Logger;
  signal?: AbortSignal;
  /** precreate answered this upload session. */
  onUploadId(uploadId: string): void;
  onConfirmed(partseq: number): void;
  /** The parts about to be sent (the others TeraBox already holds). */
  onNeeded?(partseqs: readonly number[]): void;
}

export interface CommitOutcome {
  entry: RemoteEntry;
  /** No part had to be sent. */
  rapid: boolean;
  partsSent: number;
}

/** create answered a file that is not ours: committing again may fix it (a meaning-level retry). */
class CommitMismatchError extends Error {}

/** /api/rapidupload: the entry when TeraBox already has the content, else null (any doubt falls back to a normal upload). */
async function tryRapidUpload(t: CommitTarget, ctx: CommitContext): Promise<RemoteEntry | null> {
  if (!ctx.settings.rapidUpload || !t.whole || t.size < RAPID_MIN || t.size > RAPID_MAX) return null;
  try {
    const entry = await ctx.api.rapidUpload({
      path: t.path,
      size: t.size,
      contentMd5: t.whole.contentMd5,
      sliceMd5: t.whole.sliceMd5,
      contentCrc32: t.whole.crc32,
      blockList: [...t.blockMd5s],
      rtype: RTYPE,
      localMtime: t.mtime,
    });
    if (entry && entry.size !== t.size) {
      ctx.logger.warn({ path: t.path, size: t.size, got: entry.size }, 'rapid upload answered another size; uploading normally');
      return null;
    }
    return entry;
  } catch (e) {
    if (e instanceof TeraBoxError && FINAL_CODES.has(e.code)) throw e;
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    ctx.logger.info({ path: t.path, err: (e as Error).message }, 'rapid upload failed; uploading normally');
    return null;
  }
}

function precreateList(t: CommitTarget, mode: CommitSettings['precreateBlockList']): string[] {
  if (mode === 'real') return [...t.blockMd5s];
  return t.size <= t.chunkSize ? [PLACEHOLDER_BLOCK_MD5[0]] : [...PLACEHOLDER_BLOCK_MD5];
}

function precreate(t: CommitTarget, ctx: CommitContext, uploadId: string | undefined) {
  return ctx.api.precreate({
      path: t.path,
      size: t.size,
      blockList: precreateList(t, ctx.settings.precreateBlockList),
      uploadId,
      localMtime: t.mtime,
      contentMd5: t.whole?.contentMd5,
      sliceMd5: t.whole?.sliceMd5,
      contentCrc32: t.whole?.crc32,
      rtype: RTYPE,
    });
}

/** precreate, continuing the journalled session when there is one; a session TeraBox no longer accepts is started over. */
async function openSession(t: CommitTarget, ctx: CommitContext) {
  const saved = t.uploadId;
  let resumed = false;
  const pre = await retrying(
    (attempt) => {
      resumed = saved !== undefined && attempt === 1;
      return precreate(t, ctx, resumed ? saved : undefined);
    },
    {
      attempts: saved === undefined ? 1 : 2,
      backoff: ctx.settings.backoff,
      signal: ctx.signal,
      retryable: staleSession,
      onRetry: (e) => ctx.logger.info({ path: t.path, err: (e as Error).message }, 'the saved upload session was refused; starting a new one'),
    },
  );
  return { pre, resumed };
}

/** A refusal of a journalled upload session that a new session may not meet (not a verdict on the file, not a transport failure). */
function staleSession(e: unknown): boolean {
  return e instanceof TeraBoxError && !FINAL_CODES.has(e.code) && !e.retryable;
}

/**
 * The parts to send when precreate asked for an upload (return_type 1): what it says is missing (real
 * list), else every part not confirmed in this session. Only return_type 2 means "nothing to send"
 * (protocol §0): a real-list answer naming no part is a server that left block_list out, so every part goes.
 */
function partsToSend(t: CommitTarget, ctx: CommitContext, needed: readonly number[], resumed: boolean): number[] {
  const count = partCount(t.size, t.chunkSize);
  const all = Array.from({ length: count }, (_, i) => i);
  if (ctx.settings.precreateBlockList === 'real') {
    const missing = [...new Set(needed)].filter((n) => Number.isInteger(n) && n >= 0 && n < count).sort((a, b) => a - b);
    return missing.length > 0 ? missing : all;
  }
  const done = new Set(resumed ? t.confirmed : []);
  return all.filter((i) => !done.has(i));
}

async function create(t: CommitTarget, ctx: CommitContext, uploadId: string): Promise<RemoteEntry> {
  const expected = serverMd5For(t.blockMd5s);
  try {
    return await retrying(
      async () => {
        const entry = await ctx.api.create({ path: t.path, size: t.size, uploadId, blockList: [...t.blockMd5s], rtype: RTYPE, localMtime: t.mtime });
        const md5 = entry.md5?.toLowerCase();
        if (entry.size === t.size && (md5 === undefined || md5 === expected)) return entry;
        throw new CommitMismatchError(`TeraBox committed ${t.path} with size ${entry.size} and md5 ${md5 ?? '?'}; expected ${t.size} and ${expected}`);
      },
      {
        attempts: COMMIT_ATTEMPTS,
        backoff: ctx.settings.backoff,
        signal: ctx.signal,
        retryable: (e) => e instanceof CommitMismatchError,
        onRetry: (e, attempt) => ctx.logger.warn({ path: t.path, attempt }, `${(e as Error).message}; committing again`),
      },
    );
  } catch (e) {
    if (e instanceof CommitMismatchError) throw new UploadError('INTEGRITY', `${e.message} (${COMMIT_ATTEMPTS} tries)`);
    throw e;
  }
}

/**
 * precreate answered return_type 2. With `info`, that entry is the committed file;
 * without, filemetas says whether the file is there. Either way it counts only with our size and
 * server md5 (an old version at the path is not our file); null sends the upload on to create.
 */
async function committedAtPrecreate(t: CommitTarget, ctx: CommitContext, info: RemoteEntry | undefined): Promise<RemoteEntry | null> {
  const entry = info ?? (await ctx.api.stat([t.path]))[0] ?? undefined;
  const expected = serverMd5For(t.blockMd5s);
  const md5 = entry?.md5?.toLowerCase();
  if (entry && !entry.isDir && entry.size === t.size && (md5 === undefined || md5 === expected)) return entry;
  ctx.logger.info({ path: t.path, info: info !== undefined }, 'precreate answered return_type 2 but the file is not ours yet; committing with create');
  return null;
}

export async function commit(t: CommitTarget, ctx: CommitContext): Promise<CommitOutcome> {
  // rapidupload takes no signal and commits at once: a caller gone by now must not replace the file.
  ctx.signal?.throwIfAborted();
  const rapid = await tryRapidUpload(t, ctx);
  if (rapid) return { entry: rapid, rapid: true, partsSent: 0 };

  const { pre, resumed } = await openSession(t, ctx);
  ctx.onUploadId(pre.uploadId);
  // return_type 2: TeraBox already had the content and (Baidu-style) committed the file.
  if (pre.returnType === 2) {
    const done = await committedAtPrecreate(t, ctx, pre.entry);
    if (done) return { entry: done, rapid: true, partsSent: 0 };
    if (pre.uploadId === '') throw new UploadError('INTEGRITY', `precreate answered ${t.path} as already there, but it is not what was sent`);
  }

  const needed = pre.returnType === 2 ? [] : partsToSend(t, ctx, pre.needed, resumed && pre.uploadId === t.uploadId);
  ctx.onNeeded?.(needed);
  await sendParts({
    api: ctx.api,
    path: t.path,
    uploadId: pre.uploadId,
    spool: t.spool,
    size: t.size,
    chunkSize: t.chunkSize,
    blockMd5s: t.blockMd5s,
    needed,
    parallel: ctx.settings.parallel,
    budget: ctx.budget,
    attempts: ctx.settings.partAttempts,
    backoff: ctx.settings.backoff,
    signal: ctx.signal,
    onConfirmed: ctx.onConfirmed,
    logger: ctx.logger,
  });
  ctx.signal?.throwIfAborted();
  const entry = await create(t, ctx, pre.uploadId);
  return { entry, rapid: needed.length === 0, partsSent: needed.length };
}

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
async function tryRapidUpload(target: CommitTarget, commit: CommitContext): Promise<RemoteEntry | null> {
  if (!commit.settings.rapidUpload || !target.whole || target.size < RAPID_MIN || target.size > RAPID_MAX) return null;
  try {
    const entry = await commit.api.rapidUpload({
      path: target.path,
      size: target.size,
      contentMd5: target.whole.contentMd5,
      sliceMd5: target.whole.sliceMd5,
      contentCrc32: target.whole.crc32,
      blockList: [...target.blockMd5s],
      rtype: RTYPE,
      localMtime: target.mtime,
    });
    if (entry && entry.size !== target.size) {
      commit.logger.warn(
        { path: target.path, size: target.size, got: entry.size },
        'rapid upload answered another size; uploading normally',
      );
      return null;
    }
    return entry;
  } catch (e) {
    if (e instanceof TeraBoxError && FINAL_CODES.has(e.code)) throw e;
    if (commit.signal?.aborted) throw commit.signal.reason;
    commit.logger.info({ path: target.path, err: (e as Error).message }, 'rapid upload failed; uploading normally');
    return null;
  }
}

function precreateList(target: CommitTarget, mode: CommitSettings['precreateBlockList']): string[] {
  if (mode === 'real') return [...target.blockMd5s];
  return target.size <= target.chunkSize ? [PLACEHOLDER_BLOCK_MD5[0]] : [...PLACEHOLDER_BLOCK_MD5];
}

function precreate(target: CommitTarget, commit: CommitContext, uploadId: string | undefined) {
  return commit.api.precreate({
    path: target.path,
    size: target.size,
    blockList: precreateList(target, commit.settings.precreateBlockList),
    uploadId,
    localMtime: target.mtime,
    contentMd5: target.whole?.contentMd5,
    sliceMd5: target.whole?.sliceMd5,
    contentCrc32: target.whole?.crc32,
    rtype: RTYPE,
  });
}

/** precreate, continuing the journalled session when there is one; a session TeraBox no longer accepts is started over. */
async function openSession(target: CommitTarget, commit: CommitContext) {
  const saved = target.uploadId;
  let resumed = false;
  const pre = await retrying(
    (attempt) => {
      resumed = saved !== undefined && attempt === 1;
      return precreate(target, commit, resumed ? saved : undefined);
    },
    {
      attempts: saved === undefined ? 1 : 2,
      backoff: commit.settings.backoff,
      signal: commit.signal,
      retryable: staleSession,
      onRetry: (e) =>
        commit.logger.info({ path: target.path, err: (e as Error).message }, 'the saved upload session was refused; starting a new one'),
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
function partsToSend(target: CommitTarget, commit: CommitContext, needed: readonly number[], resumed: boolean): number[] {
  const count = partCount(target.size, target.chunkSize);
  const all = Array.from({ length: count }, (_, i) => i);
  if (commit.settings.precreateBlockList === 'real') {
    const missing = [...new Set(needed)].filter((n) => Number.isInteger(n) && n >= 0 && n < count).sort((a, b) => a - b);
    return missing.length > 0 ? missing : all;
  }
  const done = new Set(resumed ? target.confirmed : []);
  return all.filter((i) => !done.has(i));
}

async function create(target: CommitTarget, commit: CommitContext, uploadId: string): Promise<RemoteEntry> {
  const expected = serverMd5For(target.blockMd5s);
  try {
    return await retrying(
      async () => {
        const entry = await commit.api.create({
          path: target.path,
          size: target.size,
          uploadId,
          blockList: [...target.blockMd5s],
          rtype: RTYPE,
          localMtime: target.mtime,
        });
        const md5 = entry.md5?.toLowerCase();
        if (entry.size === target.size && (md5 === undefined || md5 === expected)) return entry;
        throw new CommitMismatchError(
          `TeraBox committed ${target.path} with size ${entry.size} and md5 ${md5 ?? '?'}; expected ${target.size} and ${expected}`,
        );
      },
      {
        attempts: COMMIT_ATTEMPTS,
        backoff: commit.settings.backoff,
        signal: commit.signal,
        retryable: (e) => e instanceof CommitMismatchError,
        onRetry: (e, attempt) => commit.logger.warn({ path: target.path, attempt }, `${(e as Error).message}; committing again`),
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
async function committedAtPrecreate(
  target: CommitTarget,
  commit: CommitContext,
  info: RemoteEntry | undefined,
): Promise<RemoteEntry | null> {
  const entry = info ?? (await commit.api.stat([target.path]))[0] ?? undefined;
  const expected = serverMd5For(target.blockMd5s);
  const md5 = entry?.md5?.toLowerCase();
  if (entry && !entry.isDir && entry.size === target.size && (md5 === undefined || md5 === expected)) return entry;
  commit.logger.info(
    { path: target.path, info: info !== undefined },
    'precreate answered return_type 2 but the file is not ours yet; committing with create',
  );
  return null;
}

export async function commitUpload(target: CommitTarget, commit: CommitContext): Promise<CommitOutcome> {
  // rapidupload takes no signal and commits at once: a caller gone by now must not replace the file.
  commit.signal?.throwIfAborted();
  const rapid = await tryRapidUpload(target, commit);
  if (rapid) return { entry: rapid, rapid: true, partsSent: 0 };

  const { pre, resumed } = await openSession(target, commit);
  commit.onUploadId(pre.uploadId);
  // return_type 2: TeraBox already had the content and (Baidu-style) committed the file.
  if (pre.returnType === 2) {
    const done = await committedAtPrecreate(target, commit, pre.entry);
    if (done) return { entry: done, rapid: true, partsSent: 0 };
    if (pre.uploadId === '')
      throw new UploadError('INTEGRITY', `precreate answered ${target.path} as already there, but it is not what was sent`);
  }

  const needed = pre.returnType === 2 ? [] : partsToSend(target, commit, pre.needed, resumed && pre.uploadId === target.uploadId);
  commit.onNeeded?.(needed);
  await sendParts({
    api: commit.api,
    path: target.path,
    uploadId: pre.uploadId,
    spool: target.spool,
    size: target.size,
    chunkSize: target.chunkSize,
    blockMd5s: target.blockMd5s,
    needed,
    parallel: commit.settings.parallel,
    budget: commit.budget,
    attempts: commit.settings.partAttempts,
    backoff: commit.settings.backoff,
    signal: commit.signal,
    onConfirmed: commit.onConfirmed,
    logger: commit.logger,
  });
  commit.signal?.throwIfAborted();
  const entry = await create(target, commit, pre.uploadId);
  return { entry, rapid: needed.length === 0, partsSent: needed.length };
}

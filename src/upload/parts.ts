// Sends the parts TeraBox still needs: N at a time per upload, every superfile2 request holding a
// slot of the global budget, every part checked against the md5 the server returns and retried
// alone. Parts are file-backed Blob slices of the spool, so memory stays flat whatever their size.

import type { Logger } from '../log.js';
import type { TeraBoxApi } from '../terabox/api.js';
import { TeraBoxError } from '../terabox/errors.js';
import { retrying, type Backoff } from '../terabox/retry.js';
import type { Semaphore } from '../util/semaphore.js';
import { UploadError } from './types.js';

/** The server stored other bytes than the ones we hashed: the part is re-sent (it counts as a try). */
export class PartMismatchError extends Error {
  constructor(
    readonly partseq: number,
    readonly got: string,
    readonly want: string,
  ) {
    super(`part ${partseq}: TeraBox computed md5 ${got}, ours is ${want}`);
    this.name = 'PartMismatchError';
  }
}

export interface PartsJob {
  api: TeraBoxApi;
  path: string;
  uploadId: string;
  /** The whole spooled body as a file-backed Blob. */
  spool: Blob;
  size: number;
  chunkSize: number;
  blockMd5s: readonly string[];
  /** Partseqs to send, in the order to send them. */
  needed: readonly number[];
  /** Parts of this upload in flight at once. */
  parallel: number;
  /** superfile2 requests in flight across all uploads. */
  budget: Semaphore;
  /** Tries per part, the first included. */
  attempts: number;
  backoff: Backoff;
  signal?: AbortSignal;
  /** A part arrived intact. */
  onConfirmed(partseq: number): void;
  logger: Logger;
}

/**
 * superfile2's policy is `caller` (terabox/endpoints.ts): the client tries once and this is the one
 * place a part is retried, for a transient failure or for an md5 that is not ours.
 */
function retryablePartError(e: unknown): boolean {
  return e instanceof PartMismatchError || (e instanceof TeraBoxError && e.retryable);
}

async function sendPart(job: PartsJob, partseq: number, signal: AbortSignal): Promise<void> {
  const start = partseq * job.chunkSize;
  const end = Math.min(start + job.chunkSize, job.size);
  const want = job.blockMd5s[partseq];
  if (want === undefined) throw new RangeError(`part ${partseq} is not one of the file's ${job.blockMd5s.length} parts`);
  try {
    await retrying(
      async () => {
        const release = await job.budget.acquire(signal);
        let md5: string;
        try {
          ({ md5 } = await job.api.uploadPart({
            path: job.path,
            uploadId: job.uploadId,
            partseq,
            data: job.spool.slice(start, end),
            signal,
          }));
        } finally {
          release();
        }
        if (md5.toLowerCase() !== want) throw new PartMismatchError(partseq, md5, want);
      },
      {
        attempts: job.attempts,
        backoff: job.backoff,
        signal,
        retryable: retryablePartError,
        onRetry: (e, failures, waitMs) =>
          job.logger.warn(
            { path: job.path, partseq, failures, waitMs: Math.round(waitMs), err: (e as Error).message },
            'part failed; retrying',
          ),
      },
    );
  } catch (e) {
    if (e instanceof PartMismatchError) {
      throw new UploadError('INTEGRITY', `${e.message} after ${job.attempts} tries; ${job.path} was not committed`, e);
    }
    throw e;
  }
  job.onConfirmed(partseq);
}

/** Sends every needed part; the first part that fails for good stops the others and is thrown. */
export async function sendParts(job: PartsJob): Promise<void> {
  const stop = new AbortController();
  const signal = job.signal ? AbortSignal.any([job.signal, stop.signal]) : stop.signal;
  const queue = [...job.needed];
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    while (queue.length > 0 && !failure) {
      const partseq = queue.shift()!;
      try {
        await sendPart(job, partseq, signal);
      } catch (e) {
        if (!failure) {
          failure = { error: e };
          stop.abort(e);
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.parallel, queue.length) }, runner));
  if (failure) throw job.signal?.aborted ? job.signal.reason : failure.error;
}

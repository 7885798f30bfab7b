// createUploader's options, their defaults and their validation: a bad value is refused at start-up
// with a message naming it, never discovered in the middle of an upload.

import { availableParallelism } from 'node:os';
import { DEFAULTS } from '../defaults.js';
import { silentLogger, type Logger } from '../log.js';
import type { TeraBoxApi } from '../terabox/api.js';
import { DEFAULT_LADDER, type ChunkLadder } from '../terabox/chunk-size.js';
import { DEFAULT_RETRY } from '../terabox/options.js';
import type { Backoff } from '../terabox/retry.js';
import { systemClock, type Clock } from '../util/clock.js';

export interface UploaderOptions {
  /** The only thing below the pipeline. */
  api: TeraBoxApi;
  /** Where bodies are spooled while they arrive and until they are committed (created if missing). */
  spoolDir: string;
  /** The commit journal's own SQLite file (created if missing). */
  journalPath: string;
  /** Parts of one upload in flight at once, 1–16. Default 4. */
  parallel?: number;
  /** superfile2 requests in flight across all uploads: TeraBox throttles accounts that push more. Default 8. */
  globalParallel?: number;
  /** Tries per part, the first included; an md5 mismatch counts as a try. Default 5. */
  partAttempts?: number;
  /** What precreate gets: the real block md5s (default; lets TeraBox answer the parts it lacks) or the placeholder list live web clients send. */
  precreateBlockList?: 'real' | 'placeholder';
  /** Try /api/rapidupload first for 256 KiB ≤ size ≤ 20 GiB. Default true. */
  rapidUpload?: boolean;
  /** Part-size ladder (protocol §3.1). Default DEFAULT_LADDER; tests scale it down. */
  ladder?: ChunkLadder;
  /** Per-file limit in bytes. Default: the account's, from api.account() (read once). */
  maxFileSize?: number;
  /** Hashing threads shared by all uploads. Default: one per spare core, 1–4, but two from two cores up (see defaultHashWorkers). */
  hashWorkers?: number;
  /** Backoff between tries of a part or a commit: the client's (terabox.retry) unless set. Default 500 ms doubling up to 8 s. */
  backoff?: Partial<Backoff>;
  /** How long close() lets commits in progress finish before leaving them to the journal. Default 30 s. */
  closeTimeoutMs?: number;
  /** `write-back` loads the journal as queued commits at construction; resumePending() starts them. Default write-through. */
  mode?: 'write-back' | 'write-through';
  /** Backoff between tries of a background (write-back) commit after transient failures. Default 1 s doubling up to 5 min. */
  commitBackoff?: Partial<Backoff>;
  /** Background commits running at once. Default globalParallel / parallel (at least 1). */
  commitConcurrency?: number;
  /** A background commit that failed for good is tried again after this long anyway. Default 15 min. */
  failedRetryMs?: number;
  logger?: Logger;
  /** The clock of the journal and its resume window. Default: the system clock. */
  now?: Clock;
}

export interface ResolvedUploaderOptions {
  api: TeraBoxApi;
  spoolDir: string;
  journalPath: string;
  parallel: number;
  globalParallel: number;
  partAttempts: number;
  precreateBlockList: 'real' | 'placeholder';
  rapidUpload: boolean;
  ladder: ChunkLadder;
  maxFileSize?: number;
  hashWorkers: number;
  backoff: Backoff;
  closeTimeoutMs: number;
  mode: 'write-back' | 'write-through';
  commitBackoff: Backoff;
  commitConcurrency: number;
  failedRetryMs: number;
  logger: Logger;
  now: Clock;
}

/**
 * One hashing thread per spare core (at most 4), and at least two where there are two cores: with
 * two, an upload's block MD5s and its whole-file MD5 run side by side (see HashPool).
 */
function defaultHashWorkers(): number {
  const cores = availableParallelism();
  return Math.min(4, Math.max(Math.min(2, cores), cores - 1));
}

export const DEFAULT_BACKOFF: Readonly<Backoff> = { baseDelayMs: DEFAULT_RETRY.baseDelayMs, maxDelayMs: DEFAULT_RETRY.maxDelayMs };
export const DEFAULT_COMMIT_BACKOFF: Readonly<Backoff> = { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

function int(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`uploader option ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function checkLadder(l: ChunkLadder): ChunkLadder {
  int('ladder.baseChunkSize', l.baseChunkSize, 1);
  int('ladder.baseLimit', l.baseLimit, l.baseChunkSize);
  int('ladder.maxChunkSize', l.maxChunkSize, l.baseChunkSize);
  return { ...l };
}

export function resolveOptions(o: UploaderOptions): ResolvedUploaderOptions {
  if (!o.api) throw new TypeError('uploader option api is required');
  if (!o.spoolDir) throw new TypeError('uploader option spoolDir is required');
  if (!o.journalPath) throw new TypeError('uploader option journalPath is required');
  const mode = o.precreateBlockList ?? 'real';
  if (mode !== 'real' && mode !== 'placeholder') {
    throw new RangeError(`uploader option precreateBlockList must be "real" or "placeholder", got ${JSON.stringify(mode)}`);
  }
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  if (!(backoff.baseDelayMs >= 0) || !(backoff.maxDelayMs >= backoff.baseDelayMs)) {
    throw new RangeError('uploader option backoff needs 0 ≤ baseDelayMs ≤ maxDelayMs');
  }
  return {
    api: o.api,
    spoolDir: o.spoolDir,
    journalPath: o.journalPath,
    parallel: int('parallel', o.parallel ?? DEFAULTS.upload.parallel, 1, 16),
    globalParallel: int('globalParallel', o.globalParallel ?? DEFAULTS.upload.globalParallel, 1),
    partAttempts: int('partAttempts', o.partAttempts ?? DEFAULTS.upload.partAttempts, 1),
    precreateBlockList: mode,
    rapidUpload: o.rapidUpload ?? DEFAULTS.upload.rapidUpload,
    ladder: checkLadder(o.ladder ?? DEFAULT_LADDER),
    maxFileSize: o.maxFileSize === undefined ? undefined : int('maxFileSize', o.maxFileSize, 1),
    hashWorkers: int('hashWorkers', o.hashWorkers ?? defaultHashWorkers(), 1, 64),
    backoff,
    closeTimeoutMs: int('closeTimeoutMs', o.closeTimeoutMs ?? 30_000, 0),
    mode: o.mode ?? 'write-through',
    failedRetryMs: int('failedRetryMs', o.failedRetryMs ?? 15 * 60_000, 1),
    commitBackoff: { ...DEFAULT_COMMIT_BACKOFF, ...o.commitBackoff },
    commitConcurrency: int(
      'commitConcurrency',
      o.commitConcurrency ?? Math.max(1, Math.floor((o.globalParallel ?? 8) / (o.parallel ?? 4))),
      1,
      64,
    ),
    logger: o.logger ?? silentLogger,
    now: o.now ?? systemClock,
  };
}

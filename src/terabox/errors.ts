// The one error type TeraBox calls fail with, and its classification. Callers branch on `code`,
// never on messages. The errno table itself is data (ERRNO_TABLE); classify() is the only reader.

/** What kind of failure, as the layers above need to know it. */
export type TeraBoxErrorCode =
  | 'NOT_FOUND'
  | 'EXISTS'
  | 'INVALID_NAME'
  | 'QUOTA'
  | 'FILE_TOO_LARGE'
  | 'AUTH_EXPIRED'
  | 'TOKEN_EXPIRED'
  | 'LINK_EXPIRED'
  | 'RATE_LIMITED'
  | 'TRANSIENT'
  | 'BAD_REQUEST'
  | 'UNKNOWN';

export interface TeraBoxErrorInit {
  code: TeraBoxErrorCode;
  /** errno / error_code from the body, when the server sent one. */
  errno?: number;
  /** HTTP status, when the failure is an HTTP one. */
  status?: number;
  /** Endpoint path only (never the query: it may carry tokens). */
  endpoint: string;
  requestId?: string;
  cause?: unknown;
}

export class TeraBoxError extends Error {
  readonly code: TeraBoxErrorCode;
  readonly errno?: number;
  readonly status?: number;
  readonly endpoint: string;
  readonly requestId?: string;

  constructor(message: string, init: TeraBoxErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'TeraBoxError';
    this.code = init.code;
    this.errno = init.errno;
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.requestId = init.requestId;
  }

  /** True when repeating the same idempotent call may succeed. */
  get retryable(): boolean {
    return this.code === 'TRANSIENT' || this.code === 'RATE_LIMITED';
  }
}

export function isTeraBoxError(e: unknown, code?: TeraBoxErrorCode): e is TeraBoxError {
  return e instanceof TeraBoxError && (code === undefined || e.code === code);
}

/** What an errno means and how callers should treat it. */
export interface ErrnoMeaning {
  code: TeraBoxErrorCode;
  /** Human wording for error messages (never the server's errmsg, which is not ours to echo). */
  meaning: string;
}

/**
 * The errno / error_code table (protocol §4.1). Errnos absent here are UNKNOWN unless the HTTP status
 * says more. 404 and 413 are the rapid-upload "not on the server" answers; rapidUpload() accepts them
 * before this table is consulted, so elsewhere they read as what they say.
 */
export const ERRNO_TABLE: ReadonlyMap<number, ErrnoMeaning> = new Map<number, ErrnoMeaning>([
  [-1, { code: 'AUTH_EXPIRED', meaning: 'user verification failed' }],
  [-3, { code: 'NOT_FOUND', meaning: 'file does not exist' }],
  [-6, { code: 'AUTH_EXPIRED', meaning: 'not logged in (cookie invalid or expired)' }],
  [-7, { code: 'INVALID_NAME', meaning: 'invalid file name or path' }],
  [-8, { code: 'EXISTS', meaning: 'file already exists' }],
  [-9, { code: 'NOT_FOUND', meaning: 'file does not exist' }],
  [-10, { code: 'QUOTA', meaning: 'not enough space' }],
  [-11, { code: 'NOT_FOUND', meaning: 'parent directory does not exist' }],
  [-32, { code: 'QUOTA', meaning: 'not enough space' }],
  [2, { code: 'BAD_REQUEST', meaning: 'parameter error' }],
  [3, { code: 'BAD_REQUEST', meaning: 'too many items in one request' }],
  [4, { code: 'INVALID_NAME', meaning: 'invalid new file name' }],
  [10, { code: 'BAD_REQUEST', meaning: 'create super file failed (part list or sizes wrong)' }],
  [12, { code: 'UNKNOWN', meaning: 'some items failed' }],
  [58, { code: 'FILE_TOO_LARGE', meaning: 'file larger than the plan allows' }],
  [104, { code: 'AUTH_EXPIRED', meaning: 'invalid cookie' }],
  [132, { code: 'AUTH_EXPIRED', meaning: 'identity verification required' }],
  [404, { code: 'NOT_FOUND', meaning: 'content not on the server' }],
  [413, { code: 'BAD_REQUEST', meaning: 'rapid upload not allowed for this account' }],
  [9000, { code: 'AUTH_EXPIRED', meaning: 'TeraBox is not available in this region' }],
  [31023, { code: 'BAD_REQUEST', meaning: 'parameter error' }],
  [31034, { code: 'RATE_LIMITED', meaning: 'operation too frequent' }],
  [31045, { code: 'AUTH_EXPIRED', meaning: 'user not exists (wrong region host or session)' }],
  [31061, { code: 'EXISTS', meaning: 'file already exists' }],
  [31066, { code: 'NOT_FOUND', meaning: 'file does not exist' }],
  [31208, { code: 'BAD_REQUEST', meaning: 'content type missing' }],
  [31299, { code: 'BAD_REQUEST', meaning: 'part too small or invalid part list' }],
  [31355, { code: 'TRANSIENT', meaning: 'pcs service failed' }],
  [31360, { code: 'LINK_EXPIRED', meaning: 'download link expired' }],
  [31362, { code: 'LINK_EXPIRED', meaning: 'download link sign error' }],
  [31363, { code: 'BAD_REQUEST', meaning: 'block missing (upload state expired)' }],
  [400141, { code: 'LINK_EXPIRED', meaning: 'need verify: download link refused from this address' }],
  [400810, { code: 'TOKEN_EXPIRED', meaning: 'verification needed (jsToken)' }],
  [450016, { code: 'TOKEN_EXPIRED', meaning: 'jsToken invalid' }],
  [4000020, { code: 'TOKEN_EXPIRED', meaning: 'verification needed (jsToken)' }],
  [4000023, { code: 'TOKEN_EXPIRED', meaning: 'need verify (jsToken missing or expired)' }],
]);

/** What went wrong, from whatever the answer carried: errno, errmsg, HTTP status. */
export interface FailureFacts {
  errno?: number;
  errmsg?: string;
  status?: number;
}

/** The only reader of ERRNO_TABLE: an errno or errmsg wins over the HTTP status. */
export function classify(facts: FailureFacts): ErrnoMeaning {
  if (facts.errmsg !== undefined && /need verify/i.test(facts.errmsg)) {
    return { code: 'TOKEN_EXPIRED', meaning: 'need verify (jsToken missing or expired)' };
  }
  if (facts.errno !== undefined && facts.errno !== 0) {
    const known = ERRNO_TABLE.get(facts.errno);
    if (known) return known;
  }
  const s = facts.status;
  if (s !== undefined && (s < 200 || s > 299)) {
    if (s === 429) return { code: 'RATE_LIMITED', meaning: 'too many requests' };
    if (s >= 500) return { code: 'TRANSIENT', meaning: `server error ${s}` };
    if (s === 401 || s === 403) return { code: 'AUTH_EXPIRED', meaning: `refused with ${s}` };
    if (s === 404) return { code: 'NOT_FOUND', meaning: 'not found' };
    return { code: 'BAD_REQUEST', meaning: `rejected with ${s}` };
  }
  return { code: 'UNKNOWN', meaning: 'unexpected answer' };
}

/**
 * Builds the error for a failed answer. The message names the endpoint path (never a query: it carries
 * tokens) and, in `detail`, what the call was about (e.g. `delete /a/b.txt`).
 */
export function failure(endpoint: string, facts: FailureFacts & { requestId?: string; cause?: unknown; detail?: string }): TeraBoxError {
  const { code, meaning } = classify(facts);
  const parts = [facts.errno !== undefined && facts.errno !== 0 ? `errno ${facts.errno}` : '', facts.status ? `HTTP ${facts.status}` : '']
    .filter(Boolean)
    .join(', ');
  const subject = facts.detail ? `${facts.detail}: ` : '';
  return new TeraBoxError(`${endpoint}: ${subject}${meaning}${parts ? ` (${parts})` : ''}`, {
    code,
    errno: facts.errno !== 0 ? facts.errno : undefined,
    status: facts.status,
    endpoint,
    requestId: facts.requestId,
    cause: facts.cause,
  });
}

/**
 * What a TeraBox failure means to whoever asked the drive for something: the one table the drive's
 * reads and writes and the uploader all map through, so one failure gets one HTTP status whatever
 * the method (the WebDAV layer turns these into statuses in dav/status.ts).
 *
 *   UNAVAILABLE  try again later (HTTP 503): throttled, the session needs renewing, or TeraBox could
 *                not be reached at all (no HTTP answer: refused, reset, timed out).
 *   UPSTREAM     TeraBox answered, and wrongly (HTTP 502): server errors after the retries, answers
 *                we cannot read, refusals of our request.
 */
export type FailureMeaning = 'NOT_FOUND' | 'EXISTS' | 'INVALID_NAME' | 'QUOTA' | 'TOO_LARGE' | 'UNAVAILABLE' | 'UPSTREAM';

const MEANING: Record<TeraBoxErrorCode, FailureMeaning> = {
  NOT_FOUND: 'NOT_FOUND',
  EXISTS: 'EXISTS',
  INVALID_NAME: 'INVALID_NAME',
  QUOTA: 'QUOTA',
  FILE_TOO_LARGE: 'TOO_LARGE',
  AUTH_EXPIRED: 'UNAVAILABLE',
  TOKEN_EXPIRED: 'UNAVAILABLE',
  RATE_LIMITED: 'UNAVAILABLE',
  // Reaches the drive only when a re-minted link failed too.
  LINK_EXPIRED: 'UPSTREAM',
  TRANSIENT: 'UPSTREAM',
  BAD_REQUEST: 'UPSTREAM',
  UNKNOWN: 'UPSTREAM',
};

/** True when no answer came back at all: the request failed before TeraBox said anything. */
export function isUnreachable(e: TeraBoxError): boolean {
  return e.code === 'TRANSIENT' && e.status === undefined && e.errno === undefined;
}

export function failureMeaning(e: TeraBoxError): FailureMeaning {
  return isUnreachable(e) ? 'UNAVAILABLE' : MEANING[e.code];
}

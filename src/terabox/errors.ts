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

// HTTP errors of the WebDAV layer, and the one table that turns a drive error code into a status.

import type { DriveErrorCode } from '../drive/types.js';

/**
 * An error that becomes an HTTP response. `condition` names a DAV: precondition/postcondition element
 * (RFC 4918 §16) that goes into a `DAV:error` body; `hrefs` are listed inside it when the RFC asks for
 * them (e.g. the lock roots of `lock-token-submitted`).
 */
export class DavError extends Error {
  readonly status: number;
  readonly condition?: string;
  readonly hrefs?: string[];
  constructor(status: number, message: string, opts: { condition?: string; hrefs?: string[] } = {}) {
    super(message);
    this.name = 'DavError';
    this.status = status;
    this.condition = opts.condition;
    this.hrefs = opts.hrefs;
  }
}

interface StatusRule {
  status: number;
  /** A status that replaces `status` for the listed methods. */
  byMethod?: Partial<Record<string, number>>;
  /** The DAV:error condition the RFCs define for this failure. */
  condition?: string;
}

/** The drive contract's error codes as HTTP. `ABORTED` never reaches a client (it has gone): 499 is for the log. */
const DRIVE_STATUS: Record<DriveErrorCode, StatusRule> = {
  NOT_FOUND: { status: 404 },
  EXISTS: { status: 405, byMethod: { COPY: 412, MOVE: 412 } },
  PARENT_MISSING: { status: 409 },
  NOT_A_DIRECTORY: { status: 409 },
  IS_A_DIRECTORY: { status: 405 },
  INVALID_NAME: { status: 400 },
  SAME_PATH: { status: 403 },
  INTO_ITSELF: { status: 409 },
  TOO_LARGE: { status: 413 },
  QUOTA: { status: 507, condition: 'quota-not-exceeded' },
  READ_ONLY: { status: 403 },
  ABORTED: { status: 499 },
  UPSTREAM: { status: 502 },
  UNAVAILABLE: { status: 503 },
};

export function driveErrorToDav(code: DriveErrorCode, method: string, message: string): DavError {
  const rule = DRIVE_STATUS[code];
  const status = rule.byMethod?.[method] ?? rule.status;
  return new DavError(status, message, { condition: rule.condition });
}

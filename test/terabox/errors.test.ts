// The errno table and the classifier: every errno path the layers above act on, and HTTP statuses.

import { expect } from 'chai';
import { classify, ERRNO_TABLE, failure, TeraBoxError, type TeraBoxErrorCode } from '../../src/terabox/errors.js';
import { Errno, TOKEN_REFRESH_ERRNOS } from '../../src/terabox/wire.js';

describe('errno classification', () => {
  const cases: [number, TeraBoxErrorCode][] = [
    [Errno.NOT_LOGGED_IN, 'AUTH_EXPIRED'],
    [Errno.INVALID_COOKIE, 'AUTH_EXPIRED'],
    [Errno.INVALID_NAME, 'INVALID_NAME'],
    [Errno.BAD_NEW_NAME, 'INVALID_NAME'],
    [Errno.EXISTS, 'EXISTS'],
    [Errno.NOT_FOUND, 'NOT_FOUND'],
    [Errno.PARENT_MISSING, 'NOT_FOUND'],
    [Errno.QUOTA, 'QUOTA'],
    [Errno.QUOTA_32, 'QUOTA'],
    [Errno.FILE_TOO_LARGE, 'FILE_TOO_LARGE'],
    [Errno.TOO_FREQUENT, 'RATE_LIMITED'],
    [Errno.PCS_FAILED, 'TRANSIENT'],
    [Errno.PARAM, 'BAD_REQUEST'],
    [Errno.CREATE_SUPERFILE_FAILED, 'BAD_REQUEST'],
    [Errno.PART_TOO_SMALL, 'BAD_REQUEST'],
    [Errno.REGION_UNAVAILABLE, 'AUTH_EXPIRED'],
    [Errno.NEED_VERIFY, 'TOKEN_EXPIRED'],
    [Errno.JS_TOKEN_FILEMANAGER, 'TOKEN_EXPIRED'],
    [Errno.SHARE_LIST_VERIFY, 'TOKEN_EXPIRED'],
    [Errno.SHARE_TRANSFER_VERIFY, 'TOKEN_EXPIRED'],
  ];
  for (const [errno, code] of cases) {
    it(`classifies errno ${errno} as ${code}`, () => {
      expect(classify({ errno }).code).to.equal(code);
    });
  }

  it('treats every token-refresh errno of wire.ts as TOKEN_EXPIRED', () => {
    for (const errno of TOKEN_REFRESH_ERRNOS) expect(ERRNO_TABLE.get(errno)?.code, String(errno)).to.equal('TOKEN_EXPIRED');
  });

  it('reads errmsg "need verify" as an expired token whatever the errno', () => {
    expect(classify({ errno: 2, errmsg: 'need verify' }).code).to.equal('TOKEN_EXPIRED');
  });

  it('lets a known errno win over the HTTP status', () => {
    expect(classify({ errno: Errno.TOO_FREQUENT, status: 503 }).code).to.equal('RATE_LIMITED');
  });

  const statuses: [number, TeraBoxErrorCode][] = [
    [429, 'RATE_LIMITED'],
    [500, 'TRANSIENT'],
    [502, 'TRANSIENT'],
    [503, 'TRANSIENT'],
    [401, 'AUTH_EXPIRED'],
    [404, 'NOT_FOUND'],
    [400, 'BAD_REQUEST'],
  ];
  for (const [status, code] of statuses) {
    it(`classifies HTTP ${status} without errno as ${code}`, () => {
      expect(classify({ status }).code).to.equal(code);
    });
  }

  it('calls an unknown errno on a 200 UNKNOWN, and retryable only for TRANSIENT and RATE_LIMITED', () => {
    expect(classify({ errno: 777777, status: 200 }).code).to.equal('UNKNOWN');
    expect(failure('/api/x', { errno: 777777 }).retryable).to.equal(false);
    expect(failure('/api/x', { status: 502 }).retryable).to.equal(true);
    expect(failure('/api/x', { errno: Errno.TOO_FREQUENT }).retryable).to.equal(true);
    expect(failure('/api/x', { errno: Errno.EXISTS }).retryable).to.equal(false);
  });

  it('builds one error type carrying errno, status, endpoint and request id', () => {
    const err = failure('/api/create', { errno: Errno.FILE_TOO_LARGE, status: 200, requestId: '321677587051751085', detail: '/big.iso' });
    expect(err).to.be.instanceOf(TeraBoxError);
    expect(err).to.include({ code: 'FILE_TOO_LARGE', errno: 58, status: 200, endpoint: '/api/create', requestId: '321677587051751085' });
    expect(err.message).to.equal('/api/create: /big.iso: file larger than the plan allows (errno 58, HTTP 200)');
  });
});

import { expect } from 'chai';
import { TeraBoxError, type TeraBoxErrorCode } from '../../src/terabox/errors.js';
import { UploadError, type UploadErrorCode } from '../../src/upload/types.js';
import { toUploadError } from '../../src/upload/upload-error.js';

const tb = (code: TeraBoxErrorCode, status?: number, errno: number | null = 7) =>
  new TeraBoxError(`boom ${code}`, { code, status, errno: errno ?? undefined, endpoint: '/api/create' });

describe('upload/upload-error', () => {
  const table: [TeraBoxError, UploadErrorCode, RegExp][] = [
    [tb('QUOTA'), 'QUOTA', /not enough space/],
    [tb('FILE_TOO_LARGE'), 'TOO_LARGE', /per-file size limit/],
    [tb('INVALID_NAME'), 'INVALID_NAME', /refused the name/],
    [tb('NOT_FOUND'), 'PARENT_MISSING', /parent folder/],
    [tb('AUTH_EXPIRED'), 'UNAVAILABLE', /session has expired/],
    [tb('TOKEN_EXPIRED'), 'UNAVAILABLE', /session has expired/],
    [tb('RATE_LIMITED', 429), 'UNAVAILABLE', /rate limiting/],
    [tb('TRANSIENT', undefined, null), 'UNAVAILABLE', /could not be reached/],
    [tb('TRANSIENT'), 'UPSTREAM', /kept failing/],
    [tb('TRANSIENT', 502), 'UPSTREAM', /kept failing/],
    [tb('BAD_REQUEST'), 'UPSTREAM', /refused the upload/],
    [tb('UNKNOWN'), 'UPSTREAM', /refused the upload/],
  ];
  for (const [error, code, message] of table) {
    it(`maps TeraBox ${error.code}${error.status ? ` (HTTP ${error.status})` : ''} to ${code}`, () => {
      const mapped = toUploadError(error, '/a/b.txt') as UploadError;
      expect(mapped).to.be.instanceOf(UploadError);
      expect(mapped.code).to.equal(code);
      expect(mapped.message).to.match(message);
      expect(mapped.message).to.include('/api/create');
      if (error.errno !== undefined) expect(mapped.message).to.include('errno 7');
      expect(mapped.cause).to.equal(error);
    });
  }

  it('keeps an UploadError as it is', () => {
    const e = new UploadError('INTEGRITY', 'md5');
    expect(toUploadError(e, '/x')).to.equal(e);
  });

  it('calls an abort ABORTED', () => {
    const mapped = toUploadError(new DOMException('stop', 'AbortError'), '/x') as UploadError;
    expect(mapped.code).to.equal('ABORTED');
  });

  it('calls a full spool disk QUOTA', () => {
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    expect((toUploadError(full, '/x') as UploadError).code).to.equal('QUOTA');
  });

  it('leaves an unexpected error alone, so it surfaces as a server fault', () => {
    const bug = new TypeError('x is undefined');
    expect(toUploadError(bug, '/x')).to.equal(bug);
  });
});

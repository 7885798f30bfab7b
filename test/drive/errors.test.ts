import { expect } from 'chai';
import { mapErrors, toDriveError } from '../../src/drive/errors.js';
import { DriveError, isDriveError, type DriveErrorCode } from '../../src/drive/types.js';
import { TeraBoxError, type TeraBoxErrorCode } from '../../src/terabox/errors.js';
import { UploadError, type UploadErrorCode } from '../../src/upload/types.js';

describe('drive error mapping', () => {
  const teraBox: [TeraBoxErrorCode, DriveErrorCode][] = [
    ['NOT_FOUND', 'NOT_FOUND'],
    ['EXISTS', 'EXISTS'],
    ['INVALID_NAME', 'INVALID_NAME'],
    ['QUOTA', 'QUOTA'],
    ['FILE_TOO_LARGE', 'TOO_LARGE'],
    ['AUTH_EXPIRED', 'UNAVAILABLE'],
    ['TOKEN_EXPIRED', 'UNAVAILABLE'],
    ['RATE_LIMITED', 'UNAVAILABLE'],
    ['LINK_EXPIRED', 'UPSTREAM'],
    ['TRANSIENT', 'UPSTREAM'],
    ['BAD_REQUEST', 'UPSTREAM'],
    ['UNKNOWN', 'UPSTREAM'],
  ];
  for (const [from, to] of teraBox) {
    it(`maps TeraBox ${from} to ${to}`, () => {
      const cause = new TeraBoxError('boom', { code: from, endpoint: '/api/list' });
      const e = toDriveError(cause, 'list /x');
      expect(isDriveError(e, to)).to.equal(true);
      expect((e as DriveError).message).to.equal('list /x: boom');
      expect((e as DriveError).cause).to.equal(cause);
    });
  }

  const upload: [UploadErrorCode, DriveErrorCode][] = [
    ['TOO_LARGE', 'TOO_LARGE'],
    ['QUOTA', 'QUOTA'],
    ['INVALID_NAME', 'INVALID_NAME'],
    ['PARENT_MISSING', 'PARENT_MISSING'],
    ['ABORTED', 'ABORTED'],
    ['UPSTREAM', 'UPSTREAM'],
    ['UNAVAILABLE', 'UNAVAILABLE'],
    ['INTEGRITY', 'UPSTREAM'],
  ];
  for (const [from, to] of upload) {
    it(`maps upload ${from} to ${to}`, () => {
      expect(isDriveError(toDriveError(new UploadError(from, 'x'), 'write /f'), to)).to.equal(true);
    });
  }

  it('passes DriveErrors through unchanged', () => {
    const e = new DriveError('SAME_PATH', 'x');
    expect(toDriveError(e, 'move')).to.equal(e);
  });

  it('maps aborts and a full local disk', () => {
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(isDriveError(toDriveError(abort, 'write /f'), 'ABORTED')).to.equal(true);
    const full = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    expect(isDriveError(toDriveError(full, 'write /._f'), 'QUOTA')).to.equal(true);
  });

  it('leaves unclassified errors alone so they surface as bugs', () => {
    const bug = new TypeError('x is undefined');
    expect(toDriveError(bug, 'stat /')).to.equal(bug);
  });

  it('mapErrors rethrows mapped errors and returns values', async () => {
    expect(await mapErrors('q', async () => 5)).to.equal(5);
    const err = await mapErrors('quota', () => Promise.reject(new TeraBoxError('down', { code: 'TRANSIENT', endpoint: '/api/quota' }))).catch(
      (e: unknown) => e,
    );
    expect(isDriveError(err, 'UPSTREAM')).to.equal(true);
  });
});

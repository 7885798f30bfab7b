import { expect } from 'chai';
import { mapErrors, toDriveError } from '../../src/drive/errors.js';
import { DriveError, isDriveError, type DriveErrorCode } from '../../src/drive/types.js';
import { TeraBoxError, type TeraBoxErrorCode } from '../../src/terabox/errors.js';
import { UploadError, type UploadErrorCode } from '../../src/upload/types.js';
import { toUploadError } from '../../src/upload/upload-error.js';
import { driveErrorToDav } from '../../src/dav/status.js';

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
      const cause = new TeraBoxError('boom', { code: from, endpoint: '/api/list', status: from === 'TRANSIENT' ? 502 : undefined });
      const e = toDriveError(cause, 'list /x');
      expect(isDriveError(e, to)).to.equal(true);
      expect((e as DriveError).message).to.equal('list /x: boom');
      expect((e as DriveError).cause).to.equal(cause);
    });
  }

  it('maps a TeraBox that could not be reached at all (no HTTP answer) to UNAVAILABLE', () => {
    const unreachable = new TeraBoxError('/api/list: network error (ECONNREFUSED)', { code: 'TRANSIENT', endpoint: '/api/list' });
    expect(isDriveError(toDriveError(unreachable, 'list /x'), 'UNAVAILABLE')).to.equal(true);
  });

  // One table: a TeraBox failure answers the same status to a read (GET) as to a write (PUT), so
  // "TeraBox unreachable" is 503 both ways. NOT_FOUND and EXISTS differ on purpose: in an upload it is
  // the parent folder that is missing (409), on a read the resource itself (404); and an overwrite
  // that TeraBox answers with "exists" is a wrong answer (502), not a name clash (405).
  describe('the same TeraBox failure gives GET and PUT one status', () => {
    const samples: [string, TeraBoxError][] = [
      ['unreachable', new TeraBoxError('network error', { code: 'TRANSIENT', endpoint: '/api/x' })],
      ['HTTP 502 after the retries', new TeraBoxError('server error 502', { code: 'TRANSIENT', status: 502, endpoint: '/api/x' })],
      ['errno 31355', new TeraBoxError('pcs service failed', { code: 'TRANSIENT', errno: 31355, endpoint: '/api/x' })],
      ...(
        [
          'INVALID_NAME',
          'QUOTA',
          'FILE_TOO_LARGE',
          'AUTH_EXPIRED',
          'TOKEN_EXPIRED',
          'RATE_LIMITED',
          'LINK_EXPIRED',
          'BAD_REQUEST',
          'UNKNOWN',
        ] as const
      ).map((code): [string, TeraBoxError] => [code, new TeraBoxError(code, { code, endpoint: '/api/x' })]),
    ];
    const statusOf = (e: unknown, method: string) => driveErrorToDav((e as DriveError).code, method, '').status;
    for (const [name, error] of samples) {
      it(name, () => {
        const read = statusOf(toDriveError(error, 'read /f'), 'GET');
        const write = statusOf(toDriveError(toUploadError(error, '/f'), 'write /f'), 'PUT');
        expect(write).to.equal(read);
      });
    }
    it('unreachable is 503', () => {
      expect(statusOf(toDriveError(samples[0]![1], 'read /f'), 'GET')).to.equal(503);
    });
  });

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
    const err = await mapErrors('quota', () =>
      Promise.reject(new TeraBoxError('down', { code: 'TRANSIENT', status: 500, endpoint: '/api/quota' })),
    ).catch((e: unknown) => e);
    expect(isDriveError(err, 'UPSTREAM')).to.equal(true);
  });
});

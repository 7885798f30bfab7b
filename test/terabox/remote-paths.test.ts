// Local refusal of remote paths: a malformed path is our bug (BAD_REQUEST), a name TeraBox cannot
// hold is the user's (INVALID_NAME, which the drive answers with 400 rather than 502).

import { expect } from 'chai';
import { isTeraBoxError } from '../../src/terabox/errors.js';
import { assertRemotePath } from '../../src/terabox/paths.js';

function codeOf(path: string): string | null {
  try {
    assertRemotePath(path, '/api/test');
    return null;
  } catch (e) {
    if (!isTeraBoxError(e)) throw e;
    return e.code;
  }
}

describe('remote path checks', () => {
  it('accepts absolute paths, the root and names with spaces, tabs and non-ASCII', () => {
    for (const p of ['/', '/a', '/a b/c\td.txt', '/r\u00e9sum\u00e9/\u{1F600}']) expect(codeOf(p), p).to.equal(null);
  });

  it('refuses a malformed path shape with BAD_REQUEST', () => {
    for (const p of ['a', '', '/a/', '//a', '/a//b', '/a/./b', '/a/..']) expect(codeOf(p), p).to.equal('BAD_REQUEST');
  });

  it('refuses names holding NUL, CR or LF with INVALID_NAME', () => {
    for (const p of ['/new\nline.txt', '/dir/car\rriage', '/nul\0']) expect(codeOf(p), JSON.stringify(p)).to.equal('INVALID_NAME');
  });
});

// Local refusal of remote paths: a malformed path is our bug (BAD_REQUEST), a name TeraBox cannot
// hold is the user's (INVALID_NAME, which the drive answers with 400 rather than 502).

import { expect } from 'chai';
import { isTeraBoxError } from '../../src/terabox/errors.js';
import { assertRemotePath, assertValidNames } from '../../src/terabox/paths.js';
import { DEFAULT_INVALID_NAME_CHARS } from '../../src/terabox/options.js';

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

  it('refuses, with INVALID_NAME, names holding a configured character or over 255 UTF-8 bytes', () => {
    const check = (path: string, chars = DEFAULT_INVALID_NAME_CHARS): string | null => {
      try {
        assertValidNames(path, chars, 'name check');
        return null;
      } catch (e) {
        if (!isTeraBoxError(e)) throw e;
        return e.code;
      }
    };
    for (const c of DEFAULT_INVALID_NAME_CHARS) expect(check(`/dir/a${c}b.txt`), c).to.equal('INVALID_NAME');
    expect(check(`/${'\u00e9'.repeat(127)}`)).to.equal(null); // 254 bytes
    expect(check(`/${'\u00e9'.repeat(128)}`)).to.equal('INVALID_NAME'); // 256 bytes
    expect(check('/a:b', '')).to.equal(null); // an empty set leaves names to the server
    expect(check("/it's & #1 + 100% (copy).txt")).to.equal(null);
    expect(check('/a\nb')).to.equal('INVALID_NAME');
    expect(check('relative')).to.equal('BAD_REQUEST');
  });
});

import { expect } from 'chai';
import { baseName, isStrictlyUnder, joinPath, normalizePath, parentOf, rebase } from '../../src/drive/paths.js';
import { isDriveError } from '../../src/drive/types.js';

describe('drive paths', () => {
  it('keeps canonical paths and strips trailing slashes', () => {
    expect(normalizePath('/')).to.equal('/');
    expect(normalizePath('/a/b')).to.equal('/a/b');
    expect(normalizePath('/a/b/')).to.equal('/a/b');
    expect(normalizePath('//')).to.equal('/');
  });

  for (const bad of ['', 'a/b', '/a//b', '/a/./b', '/a/../b', '/..', '/a\0b']) {
    it(`refuses ${JSON.stringify(bad)} with INVALID_NAME`, () => {
      let caught: unknown;
      try {
        normalizePath(bad);
      } catch (e) {
        caught = e;
      }
      expect(isDriveError(caught, 'INVALID_NAME')).to.equal(true);
    });
  }

  it('splits parents and names', () => {
    expect(parentOf('/a/b/c')).to.equal('/a/b');
    expect(parentOf('/a')).to.equal('/');
    expect(parentOf('/')).to.equal('/');
    expect(baseName('/a/b c')).to.equal('b c');
    expect(baseName('/')).to.equal('');
    expect(joinPath('/', 'x')).to.equal('/x');
    expect(joinPath('/a', 'x')).to.equal('/a/x');
  });

  it('tells subtrees apart from siblings with a common prefix', () => {
    expect(isStrictlyUnder('/a/b', '/a')).to.equal(true);
    expect(isStrictlyUnder('/ab', '/a')).to.equal(false);
    expect(isStrictlyUnder('/a', '/a')).to.equal(false);
    expect(isStrictlyUnder('/a', '/')).to.equal(true);
    expect(isStrictlyUnder('/', '/')).to.equal(false);
  });

  it('rebases paths of a moved subtree', () => {
    expect(rebase('/a', '/a', '/z')).to.equal('/z');
    expect(rebase('/a/b/c', '/a', '/z/y')).to.equal('/z/y/b/c');
    expect(rebase('/x', '/', '/r')).to.equal('/r/x');
  });
});

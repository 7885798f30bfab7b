import { expect } from 'chai';
import { decodeRequestTarget, decodeUriReference, hrefFor, ancestorsOf, isWithin } from '../../src/dav/paths.js';
import { DavError } from '../../src/dav/status.js';

function rejects(fn: () => unknown): DavError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(DavError);
    expect((e as DavError).status).to.equal(400);
    return e as DavError;
  }
  throw new Error('expected a 400');
}

describe('dav paths', () => {
  it('decodes percent-encoded UTF-8 segments and keeps the trailing slash as a flag', () => {
    expect(decodeRequestTarget('/a%20b/res-%e2%82%ac/')).to.deep.equal({ path: '/a b/res-€', trailingSlash: true });
    expect(decodeRequestTarget('/')).to.deep.equal({ path: '/', trailingSlash: false });
    expect(decodeRequestTarget('//a///b')).to.deep.equal({ path: '/a/b', trailingSlash: false });
  });

  it('drops the query and accepts absolute-form targets and *', () => {
    expect(decodeRequestTarget('/a/b?x=1').path).to.equal('/a/b');
    expect(decodeRequestTarget('http://host:8080/a/b').path).to.equal('/a/b');
    expect(decodeRequestTarget('*').path).to.equal('/');
  });

  it('accepts raw UTF-8 bytes a client did not escape (latin1 in Node)', () => {
    const latin1 = Buffer.from('/café', 'utf8').toString('latin1');
    expect(decodeRequestTarget(latin1).path).to.equal('/café');
  });

  it('refuses malformed percent-encoding, invalid UTF-8, dot segments, encoded slashes, NUL and fragments', () => {
    for (const bad of [
      '/%ZZ',
      '/a%',
      '/a%2',
      '/%C3',
      '/%FF',
      '/a/../b',
      '/%2e/b',
      '/%2e%2e/x',
      '/a%2Fb',
      '/a%2fb',
      '/a%00b',
      '/frag/#ment',
      'relative',
    ]) {
      expect(rejects(() => decodeRequestTarget(bad)).message, bad).to.match(/Bad request path/);
    }
  });

  it('drops literal `.` segments (Go clients send `/./a:b.txt`)', () => {
    expect(decodeRequestTarget('/./a:b.txt').path).to.equal('/a:b.txt');
    expect(decodeRequestTarget('/a/./b/.').path).to.equal('/a/b');
  });

  it('resolves Destination as an absolute URI, an absolute path, or relative to the request collection', () => {
    const base = { path: '/dir/file', trailingSlash: false };
    expect(decodeUriReference('http://other-host/x/y%20z', base).path).to.equal('/x/y z');
    expect(decodeUriReference('/x/y/', base)).to.deep.equal({ path: '/x/y', trailingSlash: true });
    expect(decodeUriReference('sibling', base).path).to.equal('/dir/sibling');
    expect(decodeUriReference('child', { path: '/dir', trailingSlash: true }).path).to.equal('/dir/child');
    expect(decodeUriReference('http://h/a b', base).path).to.equal('/a b');
    rejects(() => decodeUriReference('../escape', base));
    rejects(() => decodeUriReference('mailto:x@y', base));
    rejects(() => decodeUriReference('http://h/a%2Fb', base));
  });

  it('encodes hrefs path-absolute with collections ending in /', () => {
    expect(hrefFor('/', true)).to.equal('/');
    expect(hrefFor('/a b/c#d', false)).to.equal('/a%20b/c%23d');
    expect(hrefFor('/dir/€', true)).to.equal('/dir/%E2%82%AC/');
    expect(decodeRequestTarget(hrefFor('/x%y/&?', false)).path).to.equal('/x%y/&?');
  });

  it('lists ancestors and tests containment by whole segments', () => {
    expect(ancestorsOf('/a/b/c')).to.deep.equal(['/', '/a', '/a/b']);
    expect(ancestorsOf('/')).to.deep.equal([]);
    expect(isWithin('/a/b', '/a')).to.equal(true);
    expect(isWithin('/ab', '/a')).to.equal(false);
    expect(isWithin('/anything', '/')).to.equal(true);
  });
});

import { expect } from 'chai';
import { Readable } from 'node:stream';
import { hashPassword } from '../../src/util/password.js';
import { startDav, type RunningDav } from './harness.js';
import { dav, propfindBody, raw, statusesOf } from './client.js';

function portOf(s: RunningDav): number {
  return Number(new URL(s.url).port);
}

describe('dav over HTTP: malformed and hostile requests', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav({ maxXmlBodyBytes: 4096, bodyIdleTimeoutMs: 300 });
    s.drive.putFile('/a/b.txt', 'b');
  });
  afterEach(async () => {
    await s.close();
  });

  it('drops a literal `.` segment (Go writes `/./a:b.txt` for a colon in the first segment)', async () => {
    s.drive.putFile('/a:b.txt', 'colon');
    for (const path of ['/./a:b.txt', '/a/./b.txt']) {
      const ex = await raw(portOf(s), `GET ${path} HTTP/1.1\nHost: 127.0.0.1\nConnection: close`, { waitMs: 1000 });
      expect(statusesOf(ex.text), path).to.deep.equal([200]);
    }
    const move = await dav(s.origin, 'MOVE', '/./a:b.txt', { headers: { destination: `${s.origin}/./c:d.txt` } });
    expect(move.status).to.equal(201);
    expect(s.drive.content('/c:d.txt')!.toString()).to.equal('colon');
  });

  it('answers 400 to bad percent-encoding, dot segments, encoded slashes, NUL and fragments — and keeps serving', async () => {
    // Raw requests: HTTP client libraries would normalise some of these paths before sending them.
    for (const path of [
      '/%ZZ',
      '/%',
      '/%C3%28',
      '/a/../a/b.txt',
      '/a/%2e%2e/a/b.txt',
      '/a%2Fb.txt',
      '/a%2fb.txt',
      '/a/b%00.txt',
      '/a/#frag',
    ]) {
      for (const method of ['GET', 'PROPFIND', 'DELETE']) {
        const ex = await raw(portOf(s), `${method} ${path} HTTP/1.1\nHost: 127.0.0.1\nDepth: 0\nConnection: close`, { waitMs: 1000 });
        expect(statusesOf(ex.text), `${method} ${path}`).to.deep.equal([400]);
      }
    }
    expect(s.drive.has('/a/b.txt')).to.equal(true);
    expect((await dav(s.origin, 'GET', '/a/b.txt')).status).to.equal(200);
  });

  it('rejects a bad path from an unauthenticated client with 401, not a crash', async () => {
    await s.close();
    s = await startDav({ users: [{ name: 'u', passwordHash: await hashPassword('p') }], allowAnonymous: false });
    expect((await dav(s.origin, 'GET', '/%ZZ')).status).to.equal(401);
    expect((await dav(s.origin, 'GET', '/%NETHOOD%/')).status).to.equal(401);
    const auth = { authorization: 'Basic ' + Buffer.from('u:p').toString('base64') };
    expect((await dav(s.origin, 'GET', '/%NETHOOD%/', { headers: auth })).status).to.equal(400);
  });

  it('answers 503 with Retry-After to logins beyond what it checks at once, and still lets the right password in', async () => {
    await s.close();
    s = await startDav({ users: [{ name: 'u', passwordHash: await hashPassword('p') }], allowAnonymous: false });
    const wrong = (i: number) => ({ authorization: 'Basic ' + Buffer.from(`u:wrong-${i}`).toString('base64') });
    const flood = await Promise.all(
      Array.from({ length: 50 }, (_, i) => dav(s.origin, 'PROPFIND', '/', { headers: { ...wrong(i), depth: '0' } })),
    );
    const statuses = new Set(flood.map((r) => r.status));
    expect([...statuses].sort()).to.deep.equal([401, 503]);
    for (const r of flood.filter((x) => x.status === 503)) expect(r.headers['retry-after']).to.equal('1');
    const right = { authorization: 'Basic ' + Buffer.from('u:p').toString('base64') };
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { ...right, depth: '0' } })).status).to.equal(207);
  });

  it('serves anonymous clients only for loopback host names, not for a page that rebound its own name to 127.0.0.1', async () => {
    for (const [host, status] of [
      ['127.0.0.1', 207],
      ['localhost:8080', 207],
      ['[::1]', 207],
      ['attacker.example', 401],
      ['attacker.example:8080', 401],
    ] as const) {
      const ex = await raw(portOf(s), `PROPFIND / HTTP/1.1\nHost: ${host}\nDepth: 1\nConnection: close`, { waitMs: 1000 });
      expect(statusesOf(ex.text), host).to.deep.equal([status]);
    }
  });

  it('answers 413 to an XML body over the cap announced by Content-Length, without reading it', async () => {
    const started = Date.now();
    const ex = await raw(portOf(s), 'PROPFIND / HTTP/1.1\nHost: 127.0.0.1\nDepth: 0\nContent-Length: 99999999999', {
      body: 'abcd',
      waitMs: 3000,
    });
    expect(statusesOf(ex.text)).to.deep.equal([413]);
    expect(ex.closed).to.equal(true);
    expect(Date.now() - started).to.be.below(2500);
  });

  it('answers 413 to a chunked XML body that grows over the cap', async () => {
    const filler = `<x:f xmlns:x="urn:x">${'y'.repeat(2000)}</x:f>`;
    const body = Readable.from([
      Buffer.from('<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'),
      Buffer.from(filler),
      Buffer.from(filler),
      Buffer.from(filler),
    ]);
    const res = await dav(s.origin, 'PROPPATCH', '/a/b.txt', { body });
    expect(res.status).to.equal(413);
    expect((await dav(s.origin, 'GET', '/a/b.txt')).status).to.equal(200);
  });

  it('drops a stalled XML body (Content-Length larger than what arrives) with 408 and still serves others', async () => {
    const stalled = raw(portOf(s), 'PROPFIND / HTTP/1.1\nHost: 127.0.0.1\nDepth: 0\nContent-Length: 100', {
      body: '<D:propfind',
      waitMs: 5000,
    });
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: '0' }, body: propfindBody(['<D:getetag/>']) })).status).to.equal(207);
    const ex = await stalled;
    expect(ex.closed).to.equal(true);
    expect(statusesOf(ex.text)).to.deep.equal([408]);
    expect((await dav(s.origin, 'GET', '/a/b.txt')).status).to.equal(200);
  });

  it('answers 400 to malformed If headers on any method, never hanging', async () => {
    for (const value of ['(', '<http://x/>', 'garbage', '(<a>) </b> (<c>)', '([unterminated)', '(Not)', '()']) {
      const res = await dav(s.origin, 'GET', '/a/b.txt', { headers: { if: value } });
      expect(res.status, value).to.equal(400);
    }
  });

  it('answers 500 with a generic message when the drive throws something unexpected, and survives', async () => {
    const original = s.drive.stat.bind(s.drive);
    s.drive.stat = async () => {
      throw new Error('secret internal detail');
    };
    const res = await dav(s.origin, 'PROPFIND', '/a/', { headers: { depth: '1' } });
    expect(res.status).to.equal(500);
    expect(res.text).to.not.include('secret');
    s.drive.stat = original;
    expect((await dav(s.origin, 'PROPFIND', '/a/', { headers: { depth: '1' } })).status).to.equal(207);
  });

  it('survives requests Node itself rejects and clients that vanish mid-response', async () => {
    const garbage = await raw(portOf(s), 'NOT A REQUEST', { waitMs: 1000 });
    expect(statusesOf(garbage.text)).to.deep.equal([400]);
    s.drive.putFile('/big', Buffer.alloc(8 * 1024 * 1024, 1));
    const cut = await raw(portOf(s), 'GET /big HTTP/1.1\nHost: 127.0.0.1', { waitMs: 50 });
    expect(cut.text).to.match(/^HTTP\/1\.1 200/);
    expect((await dav(s.origin, 'GET', '/a/b.txt')).text).to.equal('b');
  });

  it('accepts an absolute-form request target', async () => {
    const ex = await raw(portOf(s), `GET ${s.origin}/a/b.txt HTTP/1.1\nHost: 127.0.0.1\nConnection: close`, { waitMs: 1000 });
    expect(statusesOf(ex.text)).to.deep.equal([200]);
  });

  it('answers a bad Depth, Overwrite or Timeout without failing the server', async () => {
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: 'banana' } })).status).to.equal(400);
    expect((await dav(s.origin, 'COPY', '/a/b.txt', { headers: { destination: '/c', overwrite: 'yes' } })).status).to.equal(400);
    const lock = await dav(s.origin, 'LOCK', '/a/b.txt', {
      headers: { timeout: 'Fortnight-2' },
      body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
    });
    expect(lock.status).to.equal(200);
    expect(lock.text).to.match(/Second-(3600|3599)/);
  });
});

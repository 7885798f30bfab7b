// OPTIONS without (or with wrong) credentials on a drive with users: Windows Explorer's redirector
// starts every mapping with one and gives up on a 401. It must answer like an authenticated OPTIONS,
// say nothing about the drive (never touch it), check no password, and log no secret; every other
// method still needs valid credentials and gets a Basic-only challenge.

import { expect } from 'chai';
import { Writable } from 'node:stream';
import { hashPassword } from '../../src/util/password.js';
import { createLogger } from '../../src/log.js';
import { dav, raw, type DavResponse } from './client.js';
import { startDav, type RunningDav } from './harness.js';

const PASSWORD = 'wonder:land/+é';
const WRONG = 'not-the-password-8f3a';
const REALM = 'Basic realm="terabox-webdav", charset="UTF-8"';
const EXPLORER = { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19041', translate: 'f' };

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

/** Status, headers (Date aside) and body: everything a client can learn from an answer. */
function answer(res: DavResponse): { status: number; headers: Record<string, unknown>; body: string } {
  const { date: _date, ...headers } = res.headers;
  return { status: res.status, headers, body: res.text };
}

/** A raw exchange's status line and headers (Date aside), for `OPTIONS *`, which undici will not send. */
function rawAnswer(text: string): string[] {
  return text
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .filter((l) => !/^date:/i.test(l))
    .map((l) => l.toLowerCase());
}

describe('dav over HTTP: OPTIONS without credentials on a drive with users', () => {
  let s: RunningDav;
  let logged = '';
  const alice = basic('alice', PASSWORD);

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    s = await startDav({
      allowAnonymous: false,
      users: [{ name: 'alice', passwordHash: await hashPassword(PASSWORD) }],
      logger: createLogger('debug', sink),
    });
    s.drive.putFile('/docs/report.docx', 'secret contents');
  });
  after(async () => {
    await s?.close();
  });

  it('answers the same 200 on an existing file, an existing folder, a missing path and the root, without touching the drive', async () => {
    s.drive.calls.length = 0;
    const answers = [];
    for (const path of ['/docs/report.docx', '/docs/', '/missing/nothing.txt', '/', '/.well-known/terabox-webdav/status.json']) {
      answers.push({ path, ...answer(await dav(s.origin, 'OPTIONS', path, { headers: EXPLORER })) });
    }
    const first = answers[0]!;
    expect(first.status).to.equal(200);
    expect(first.headers.dav).to.equal('1, 2');
    expect(first.headers['ms-author-via']).to.equal('DAV');
    expect(String(first.headers.allow).split(', ')).to.have.members([
      'OPTIONS',
      'GET',
      'HEAD',
      'PROPFIND',
      'PUT',
      'DELETE',
      'MKCOL',
      'COPY',
      'MOVE',
      'PROPPATCH',
      'LOCK',
      'UNLOCK',
    ]);
    expect(first.headers['www-authenticate']).to.equal(undefined);
    expect(first.body).to.equal('');
    for (const { path, ...rest } of answers)
      expect(rest, path).to.deep.equal({ status: first.status, headers: first.headers, body: first.body });
    expect(s.drive.calls).to.deep.equal([]);
  });

  it('answers exactly as an authenticated OPTIONS does, whether the credentials are absent, wrong, unknown or malformed', async () => {
    s.drive.calls.length = 0;
    const authenticated = answer(await dav(s.origin, 'OPTIONS', '/docs/report.docx', { headers: { ...EXPLORER, ...alice } }));
    expect(authenticated.status).to.equal(200);
    for (const creds of [
      {},
      basic('alice', WRONG),
      basic('mallory', WRONG),
      { authorization: 'Basic !!!' },
      { authorization: 'Digest username="alice"' },
    ]) {
      for (const path of ['/docs/report.docx', '/missing']) {
        const res = answer(await dav(s.origin, 'OPTIONS', path, { headers: { ...EXPLORER, ...creds } }));
        expect(res, `${JSON.stringify(creds)} ${path}`).to.deep.equal(authenticated);
      }
    }
    expect(s.drive.calls).to.deep.equal([]);
  });

  it('answers OPTIONS * like OPTIONS / , with or without credentials', async () => {
    const port = Number(new URL(s.url).port);
    const anonymous = await raw(port, 'OPTIONS * HTTP/1.1\nHost: 127.0.0.1\nConnection: close');
    const wrong = await raw(
      port,
      `OPTIONS * HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${basic('alice', WRONG).authorization}\nConnection: close`,
    );
    const root = await raw(port, 'OPTIONS / HTTP/1.1\nHost: 127.0.0.1\nConnection: close');
    expect(anonymous.text).to.match(/^HTTP\/1\.1 200 /);
    expect(rawAnswer(anonymous.text)).to.deep.equal(rawAnswer(root.text));
    expect(rawAnswer(wrong.text)).to.deep.equal(rawAnswer(root.text));
  });

  it('does not evaluate conditional headers, so they cannot probe whether a path exists', async () => {
    s.drive.calls.length = 0;
    const conditions: Record<string, string>[] = [
      { 'if-match': '*' },
      { 'if-none-match': '*' },
      { if: '(["x"])' },
      { if: '<http://127.0.0.1/docs/report.docx> (Not ["x"])' },
    ];
    const base = answer(await dav(s.origin, 'OPTIONS', '/missing', { headers: EXPLORER }));
    for (const cond of conditions) {
      for (const path of ['/docs/report.docx', '/missing']) {
        expect(
          answer(await dav(s.origin, 'OPTIONS', path, { headers: { ...EXPLORER, ...cond } })),
          `${JSON.stringify(cond)} ${path}`,
        ).to.deep.equal(base);
      }
    }
    expect(s.drive.calls).to.deep.equal([]);
  });

  it('checks no password for OPTIONS: a flood of wrong ones all get 200 and leave the login checks free for others', async () => {
    // Password checks run 2 at once with 32 waiting; 80 checked at once would turn dozens into 503s.
    const flood = Array.from({ length: 80 }, (_, i) =>
      dav(s.origin, 'OPTIONS', '/', { headers: { ...EXPLORER, ...basic(i % 2 ? 'alice' : `user${i}`, `${WRONG}-${i}`) } }),
    );
    const login = dav(s.origin, 'PROPFIND', '/', { headers: { ...alice, depth: '0' } });
    expect((await Promise.all(flood)).map((r) => r.status)).to.deep.equal(Array(80).fill(200));
    expect((await login).status).to.equal(207);
  });

  it('logs neither the wrong password nor the Authorization header of an OPTIONS', async () => {
    await dav(s.origin, 'OPTIONS', '/', { headers: { ...EXPLORER, ...basic('alice', WRONG) } });
    await dav(s.origin, 'PROPFIND', '/', { headers: { ...basic('alice', WRONG), depth: '0' } });
    expect(logged).to.include('"method":"OPTIONS"');
    expect(logged).to.not.include(WRONG);
    expect(logged).to.not.include(basic('alice', WRONG).authorization!.slice(6));
    expect(logged).to.not.include(PASSWORD);
  });

  it('still answers every other method 401 with the Basic challenge only, and changes nothing', async () => {
    s.drive.calls.length = 0;
    const lock =
      '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    const requests: [string, string, Record<string, string>, string?][] = [
      ['PROPFIND', '/', { depth: '0' }],
      ['PROPFIND', '/docs/', { depth: '1' }],
      ['GET', '/docs/report.docx', {}],
      ['HEAD', '/docs/report.docx', {}],
      ['PUT', '/docs/new.txt', {}, 'x'],
      ['DELETE', '/docs/report.docx', {}],
      ['MKCOL', '/newdir/', {}],
      ['MOVE', '/docs/report.docx', { destination: '/moved.docx' }],
      ['COPY', '/docs/report.docx', { destination: '/copied.docx' }],
      [
        'PROPPATCH',
        '/docs/report.docx',
        {},
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>',
      ],
      ['LOCK', '/docs/report.docx', {}, lock],
      ['UNLOCK', '/docs/report.docx', { 'lock-token': '<opaquelocktoken:x>' }],
    ];
    for (const creds of [{}, basic('alice', WRONG)]) {
      for (const [method, path, headers, body] of requests) {
        const res = await dav(s.origin, method, path, { headers: { ...EXPLORER, ...creds, ...headers }, body });
        expect(res.status, `${method} ${path}`).to.equal(401);
        expect(res.headers['www-authenticate'], `${method} ${path}`).to.equal(REALM);
        expect(res.headers.dav, `${method} ${path}`).to.equal(undefined);
      }
    }
    expect(s.drive.calls).to.deep.equal([]);
    expect(s.drive.content('/docs/report.docx')!.toString()).to.equal('secret contents');
  });
});

describe('dav over HTTP: OPTIONS on an anonymous (loopback-only) drive', () => {
  let s: RunningDav;
  before(async () => {
    s = await startDav({ allowAnonymous: true });
  });
  after(async () => {
    await s?.close();
  });

  it('keeps the loopback Host rule: 401 for a foreign Host name, 200 for a loopback one, without touching the drive', async () => {
    const port = Number(new URL(s.url).port);
    s.drive.calls.length = 0;
    const foreign = await raw(port, 'OPTIONS / HTTP/1.1\nHost: evil.example\nConnection: close');
    expect(foreign.text).to.match(/^HTTP\/1\.1 401 /);
    const local = await raw(port, `OPTIONS /missing HTTP/1.1\nHost: 127.0.0.1:${port}\nIf-Match: *\nConnection: close`);
    expect(local.text).to.match(/^HTTP\/1\.1 200 /);
    expect(local.text).to.match(/\r\nDAV: 1, 2\r\n/);
    expect(s.drive.calls).to.deep.equal([]);
  });
});

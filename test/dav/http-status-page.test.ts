import { expect } from 'chai';
import { hashPassword } from '../../src/util/password.js';
import { startDav, type RunningDav } from './harness.js';
import { dav, header, parseMultistatus } from './client.js';
import { baseSnapshot, controlledStatus, upload, withUploads } from '../status-fixtures.js';

const PAGE = '/.well-known/terabox-webdav/';

describe('dav over HTTP: the status page and the reserved prefix', () => {
  let s: RunningDav;
  const source = controlledStatus();
  before(async () => {
    s = await startDav({ status: source.status });
  });
  after(async () => {
    await s.close();
  });

  it('shows each upload with its path, a progress bar of confirmed bytes, rate, ETA, attempts and last error', async () => {
    source.set(
      withUploads([
        upload({
          path: '/films/<b>big</b> & "more".mkv',
          size: 1000,
          confirmedBytes: 250,
          state: 'active',
          attempts: 2,
          rate: 50,
          lastError: 'superfile2: HTTP 502 <html>',
        }),
        upload({ path: '/later.bin', size: 4096, state: 'pending' }),
        upload({ path: '/broken.bin', size: 10, state: 'failed', attempts: 5, lastError: 'create: errno 31299' }),
      ]),
    );
    const res = await dav(s.origin, 'GET', PAGE);
    expect(res.status).to.equal(200);
    expect(header(res, 'content-type')).to.equal('text/html; charset=utf-8');
    expect(header(res, 'cache-control')).to.equal('no-store');
    const html = res.text;
    // Escaped, never raw: a path is user input.
    expect(html).to.not.include('<b>big</b>');
    expect(html).to.include('/films/&#60;b&#62;big&#60;/b&#62; &#38; &#34;more&#34;.mkv');
    expect(html).to.include('superfile2: HTTP 502 &#60;html&#62;');
    expect(html).to.match(/<progress max="1000" value="250"/);
    expect(html).to.include('25%');
    expect(html).to.include('50 B/s');
    expect(html).to.include('ETA 15s'); // 750 bytes left at 50 B/s
    expect(html).to.include('attempts 2');
    expect(html).to.include('create: errno 31299');
    expect(html).to.include('/later.bin');
    expect(html).to.match(/id="total-pending">1</);
    expect(html).to.match(/id="total-active">1</);
    expect(html).to.match(/id="total-failed">1</);
    expect(html).to.include('2 uploads pending, 4.73 KiB · 1 failed');
    // The active one comes first, then the failed one, then the queue.
    expect(html.indexOf('big')).to.be.lessThan(html.indexOf('broken.bin'));
    expect(html.indexOf('broken.bin')).to.be.lessThan(html.indexOf('later.bin'));
  });

  it('shows the cache, the quota, TeraBox health, version, uptime and settings', async () => {
    source.set(
      baseSnapshot({
        terabox: { reachable: false, lastError: { message: 'connect ECONNREFUSED', at: '2026-01-01T00:00:05Z' }, region: 'jp' },
      }),
    );
    const html = (await dav(s.origin, 'GET', PAGE)).text;
    expect(html).to.include('75.0% (30 hits, 10 misses)');
    expect(html).to.include('300 MiB of 1 GiB in 12 entries');
    expect(html).to.include('3 GiB of 1 TiB');
    expect(html).to.include('<span class="bad">no</span>');
    expect(html).to.include('connect ECONNREFUSED');
    expect(html).to.include('9.8.7');
    expect(html).to.include('1h02m05s');
    expect(html).to.include('write-back');
    expect(html).to.include('4 per upload, 8 in all');
    expect(html).to.include('Nothing is uploading.');
  });

  it('refreshes itself: a meta refresh without JavaScript, an in-place swap with it, ?refresh= to change the pace', async () => {
    const html = (await dav(s.origin, 'GET', PAGE + '?refresh=2')).text;
    expect(html).to.include('<noscript><meta http-equiv="refresh" content="2"></noscript>');
    expect(html).to.include('},2000);</script>');
    const dflt = (await dav(s.origin, 'GET', PAGE)).text;
    expect(dflt).to.include('content="5"');
    expect(dflt).to.include('name="viewport"');
  });

  it('redirects the prefix without its slash to the page, and answers 404 under it', async () => {
    const res = await dav(s.origin, 'GET', '/.well-known/terabox-webdav');
    expect(res.status).to.equal(301);
    expect(header(res, 'location')).to.equal(PAGE);
    expect((await dav(s.origin, 'GET', PAGE + 'nope')).status).to.equal(404);
  });

  it('links every directory index to the page with a one-line summary', async () => {
    source.set(
      withUploads([upload({ path: '/a', size: 1024 * 1024 * 1024, state: 'active' }), upload({ path: '/b', size: 300 * 1024 * 1024 })]),
    );
    s.drive.putFile('/docs/x.txt', 'x');
    for (const path of ['/', '/docs/']) {
      const res = await dav(s.origin, 'GET', path);
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`<a href="${PAGE}">Status</a>: 2 uploads pending, 1.29 GiB</p>`);
    }
  });

  it('never lists the reserved prefix, whatever the drive holds there', async () => {
    s.drive.putFile('/.well-known/terabox-webdav/stray.txt', 'stray');
    s.drive.putFile('/.well-known/other.txt', 'other');
    const res = await dav(s.origin, 'PROPFIND', '/.well-known/', { headers: { depth: '1' } });
    expect(res.status).to.equal(207);
    const hrefs = parseMultistatus(res.text).map((r) => r.href);
    expect(hrefs).to.include('/.well-known/other.txt');
    expect(hrefs.some((h) => h.includes('terabox-webdav'))).to.equal(false);
    const index = await dav(s.origin, 'GET', '/.well-known/');
    expect(index.text).to.include('other.txt');
    expect(index.text).to.not.include('stray');
    expect(index.text).to.not.match(/href="\/\.well-known\/terabox-webdav\/"><\/a>|>terabox-webdav\//);
  });

  it('refuses COPY and MOVE into the prefix, and out of it', async () => {
    s.drive.putFile('/src.txt', 'source');
    for (const method of ['COPY', 'MOVE']) {
      for (const dest of ['/.well-known/terabox-webdav/x.txt', '/.well-known/terabox-webdav', '/.well-known/terabox-webdav/status.json']) {
        const res = await dav(s.origin, method, '/src.txt', { headers: { destination: `${s.origin}${dest}` } });
        expect(res.status, `${method} → ${dest}`).to.equal(403);
      }
    }
    expect((await dav(s.origin, 'GET', '/src.txt')).text).to.equal('source');
    expect(s.drive.calls.filter((c) => c === 'copy' || c === 'move')).to.deep.equal([]);
    const out = await dav(s.origin, 'MOVE', '/.well-known/terabox-webdav/stray.txt', {
      headers: { destination: `${s.origin}/stolen.txt` },
    });
    expect(out.status).to.equal(405);
    expect((await dav(s.origin, 'GET', '/stolen.txt')).status).to.equal(404);
  });
});

describe('dav over HTTP: the status page behind a password', () => {
  let s: RunningDav;
  before(async () => {
    s = await startDav({
      status: controlledStatus().status,
      allowAnonymous: false,
      users: [{ name: 'alice', passwordHash: await hashPassword('s3cret pass') }],
    });
  });
  after(async () => {
    await s.close();
  });

  it('asks for the same credentials as the drive and shows nothing secret', async () => {
    expect((await dav(s.origin, 'GET', PAGE)).status).to.equal(401);
    expect((await dav(s.origin, 'GET', PAGE + 'status.json')).status).to.equal(401);
    const auth = { authorization: 'Basic ' + Buffer.from('alice:s3cret pass').toString('base64') };
    const res = await dav(s.origin, 'GET', PAGE, { headers: auth });
    expect(res.status).to.equal(200);
    expect(res.text).to.not.include('s3cret');
    expect(res.text).to.not.include(auth.authorization.slice(6));
  });
});

describe('dav over HTTP: a status source that fails', () => {
  let s: RunningDav;
  before(async () => {
    s = await startDav({ status: () => Promise.reject(new Error('boom')) });
  });
  after(async () => {
    await s.close();
  });

  it('answers 503 for the page and the JSON, and still serves directory indexes (without the summary)', async () => {
    expect((await dav(s.origin, 'GET', PAGE)).status).to.equal(503);
    expect((await dav(s.origin, 'GET', PAGE + 'status.json')).status).to.equal(503);
    const index = await dav(s.origin, 'GET', '/');
    expect(index.status).to.equal(200);
    expect(index.text).to.not.include('drive-status');
  });
});

describe('dav over HTTP: without a status source', () => {
  let s: RunningDav;
  before(async () => {
    s = await startDav();
  });
  after(async () => {
    await s.close();
  });

  it('serves directory indexes without the summary and answers 404 for the page', async () => {
    expect((await dav(s.origin, 'GET', '/')).text).to.not.include('drive-status');
    expect((await dav(s.origin, 'GET', PAGE)).status).to.equal(404);
  });
});

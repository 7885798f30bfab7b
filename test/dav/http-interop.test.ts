// Findings from real clients and a hostile-request run (issue 10), each as the request that showed it:
// lftp's literal hrefs and its stray header block, gvfs's reason phrase, huge and coded bodies, a full
// disk, foreign authorities, many ranges, `GET *` and a stalled body.

import { expect } from 'chai';
import { startDav, type RunningDav } from './harness.js';
import { dav, raw, statusesOf } from './client.js';

function portOf(s: RunningDav): number {
  return Number(new URL(s.url).port);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dav over HTTP: interoperability findings', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav({ bodyIdleTimeoutMs: 400 });
    s.drive.putFile("/dir/it's (1)!.txt", 'quote');
    s.drive.putFile('/big.bin', Buffer.alloc(64 * 1024, 7));
  });
  afterEach(async () => {
    await s.close();
  });

  it('percent-encodes index hrefs (an apostrophe is %27, never &#39;)', async () => {
    const res = await dav(s.origin, 'GET', '/dir/');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('href="/dir/it%27s%20%281%29%21.txt"');
    expect(res.text).not.to.match(/href="[^"]*&#/);
  });

  it('answers a complete request before rejecting stray bytes after it on the same connection', async () => {
    const body =
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">1</x:a></D:prop></D:set></D:propertyupdate>';
    const head = `PROPPATCH /dir/ HTTP/1.1\nHost: 127.0.0.1\nConnection: keep-alive\nContent-Type: text/xml\nContent-Length: ${Buffer.byteLength(body)}`;
    const ex = await raw(portOf(s), head, { body: body + 'Connection: keep-alive\r\n\r\n', waitMs: 2000 });
    // The 207 comes whole (its body ends with the multistatus), then the 400, then the close.
    expect(ex.text).to.match(/^HTTP\/1\.1 207 /);
    expect(ex.text).to.match(/<\/D:multistatus>HTTP\/1\.1 400 Bad Request\r\n/);
    expect(ex.closed).to.equal(true);
    expect(ex.text).to.include('urn:x');
  });

  it('puts the reason for a refusal into the status line (gvfs shows only that)', async () => {
    const ex = await raw(portOf(s), 'PUT /nowhere/x.txt HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 1\nConnection: close', {
      body: 'x',
      waitMs: 2000,
    });
    const line = ex.text.split('\r\n')[0];
    expect(line).to.match(/^HTTP\/1\.1 409 Conflict: .*parent collection/);
  });

  for (const length of ['9007199254740992', '18446744073709551615']) {
    it(`answers 413 to a PUT with Content-Length ${length}`, async () => {
      const ex = await raw(portOf(s), `PUT /huge.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${length}\nConnection: close`, {
        waitMs: 2000,
      });
      expect(statusesOf(ex.text)).to.deep.equal([413]);
      expect(s.drive.has('/huge.bin')).to.equal(false);
    });
  }

  it('answers 501 to a transfer coding other than chunked and stores nothing', async () => {
    const chunk = Buffer.from('compressed?');
    const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    const ex = await raw(portOf(s), 'PUT /coded.txt HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: gzip, chunked\nConnection: close', {
      body,
      waitMs: 2000,
    });
    expect(statusesOf(ex.text)).to.deep.equal([501]);
    expect(s.drive.has('/coded.txt')).to.equal(false);
  });

  it('answers 507 when the local state has no room (SQLITE_FULL), for PROPPATCH and LOCK', async () => {
    const pages = Number(s.db.pragma('page_count', { simple: true }));
    s.db.pragma(`max_page_count = ${pages}`);
    const big = 'v'.repeat(200_000);
    const res = await dav(s.origin, 'PROPPATCH', '/big.bin', {
      body: `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">${big}</x:a></D:prop></D:set></D:propertyupdate>`,
    });
    expect(res.status).to.equal(507);
    const locks: number[] = [];
    for (let i = 0; i < 200; i++) {
      const lock = await dav(s.origin, 'LOCK', `/l${i}.txt`, {
        body: `<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${'o'.repeat(2000)}</D:owner></D:lockinfo>`,
      });
      locks.push(lock.status);
      if (lock.status !== 201 && lock.status !== 200) break;
    }
    expect(locks.at(-1)).to.equal(507);
  });

  it('answers 400 to two Host headers, whichever comes first', async () => {
    const ex = await raw(portOf(s), 'PROPFIND / HTTP/1.1\nHost: 127.0.0.1\nHost: evil.com\nDepth: 0\nConnection: close', { waitMs: 2000 });
    expect(statusesOf(ex.text)).to.deep.equal([400]);
  });

  it('checks the authority of an absolute-form target, not the Host header, for anonymous access', async () => {
    const evil = await raw(portOf(s), 'PROPFIND http://evil.com/ HTTP/1.1\nHost: 127.0.0.1\nDepth: 0\nConnection: close', { waitMs: 2000 });
    expect(statusesOf(evil.text)).to.deep.equal([401]);
    const ok = await raw(portOf(s), `PROPFIND http://127.0.0.1:${portOf(s)}/ HTTP/1.1\nHost: evil.com\nDepth: 0\nConnection: close`, {
      waitMs: 2000,
    });
    expect(statusesOf(ok.text)).to.deep.equal([207]);
  });

  it('answers 400 to GET * (only OPTIONS may ask about the server as a whole)', async () => {
    for (const method of ['GET', 'PROPFIND', 'DELETE']) {
      const ex = await raw(portOf(s), `${method} * HTTP/1.1\nHost: 127.0.0.1\nConnection: close`, { waitMs: 2000 });
      expect(statusesOf(ex.text), method).to.deep.equal([400]);
    }
  });

  it('serves 32 ranges without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const ranges = Array.from({ length: 32 }, (_, i) => `${i * 1000}-${i * 1000 + 99}`).join(',');
      const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: `bytes=${ranges}` } });
      expect(res.status).to.equal(206);
      expect(res.text.match(/Content-Range: bytes/g)).to.have.length(32);
      await sleep(50);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.to.include('MaxListenersExceededWarning');
  });

  it('cuts a stalled PUT body at bodyIdleTimeoutMs with 408 and stores nothing', async () => {
    const started = Date.now();
    const ex = await raw(portOf(s), 'PUT /stalled.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 1000', {
      body: Buffer.alloc(10),
      waitMs: 3000,
    });
    const took = Date.now() - started;
    expect(statusesOf(ex.text)).to.deep.equal([408]);
    expect(ex.closed).to.equal(true);
    expect(took).to.be.within(400, 1500);
    await sleep(50);
    expect(s.drive.has('/stalled.bin')).to.equal(false);
  });
});

// GET and HEAD over the real drive: validators and types, single and multiple ranges passed through
// to TeraBox (the emulator's byte counters prove only the range travelled), conditional requests,
// and the HTML index of collections.

import { expect } from 'chai';
import { header } from '../dav/client.js';
import { startStack, type Stack, MiB, bytes, at } from '../support/index.js';

describe('integration: GET and HEAD', () => {
  let s: Stack;
  const big = bytes(3 * MiB + 12_345);
  const small = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
    expect((await s.request('MKCOL', '/media/')).status).to.equal(201);
    expect((await s.request('PUT', '/media/big.bin', { body: big })).status).to.equal(201);
    expect((await s.request('PUT', '/media/small.txt', { body: small })).status).to.equal(201);
    expect((await s.emu.readFile('/media/big.bin')).equals(big)).to.equal(true);
  });
  after(async () => {
    await s?.stop();
  });

  it('serves a whole file with its length, type, ETag, Last-Modified and Accept-Ranges; HEAD sends the same headers and no body', async () => {
    const get = await s.request('GET', '/media/small.txt');
    expect(get.status).to.equal(200);
    expect(get.body.equals(small)).to.equal(true);
    expect(header(get, 'content-length')).to.equal(String(small.length));
    expect(header(get, 'content-type')).to.match(/^text\/plain/);
    expect(header(get, 'accept-ranges')).to.equal('bytes');
    expect(header(get, 'etag')).to.match(/^"[^"]+"$/);
    expect(new Date(header(get, 'last-modified')!).getTime()).to.be.greaterThan(0);

    const head = await s.request('HEAD', '/media/small.txt');
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
    for (const h of ['content-length', 'content-type', 'etag', 'last-modified', 'accept-ranges'])
      expect(header(head, h), h).to.equal(header(get, h));
  });

  it('round-trips a multi-part file byte for byte', async () => {
    const get = await s.request('GET', '/media/big.bin');
    expect(get.status).to.equal(200);
    expect(get.body.equals(big)).to.equal(true);
  });

  it('answers one range with 206 and Content-Range bytes a-b/total, for closed, open and suffix forms', async () => {
    const cases: [string, number, number][] = [
      ['bytes=2-5', 2, 5],
      ['bytes=30-', 30, small.length - 1],
      ['bytes=-4', small.length - 4, small.length - 1],
      ['bytes=10-1000', 10, small.length - 1],
    ];
    for (const [range, a, b] of cases) {
      const res = await s.request('GET', '/media/small.txt', { headers: { range } });
      expect(res.status, range).to.equal(206);
      expect(header(res, 'content-range'), range).to.equal(`bytes ${a}-${b}/${small.length}`);
      expect(res.body.equals(small.subarray(a, b + 1)), range).to.equal(true);
    }
  });

  it('fetches at most one cache chunk from TeraBox for a 10-byte read of a multi-MiB file, and nothing the second time', async () => {
    s.emu.resetStats();
    const start = 2 * MiB + 777;
    const res = await s.request('GET', '/media/big.bin', { headers: { range: `bytes=${start}-${start + 9}` } });
    expect(res.status).to.equal(206);
    expect(res.body.equals(big.subarray(start, start + 10))).to.equal(true);
    // Earlier tests may have cached that chunk already: then nothing is fetched.
    const first = s.requests('data');
    expect(first).to.be.at.most(1);
    expect(s.bytesOut('data')).to.be.at.most(s.settings.cache.chunkSize);
    const again = await s.request('GET', '/media/big.bin', { headers: { range: `bytes=${start}-${start + 9}` } });
    expect(again.body.equals(big.subarray(start, start + 10))).to.equal(true);
    expect(s.requests('data')).to.equal(first);
  });

  it('serves concurrent ranges of one file correctly (Finder reads in parallel)', async () => {
    const ranges = [0, 1, 2, 3, 4, 5].map((i) => [i * 500_000 + 13, i * 500_000 + 65_000] as const);
    const results = await Promise.all(
      ranges.map(([a, b]) => s.request('GET', '/media/big.bin', { headers: { range: `bytes=${a}-${b}` } })),
    );
    results.forEach((res, i) => {
      const [a, b] = at(ranges, i);
      expect(res.status).to.equal(206);
      expect(res.body.equals(big.subarray(a, b + 1)), `range ${i}`).to.equal(true);
    });
  });

  it('answers several ranges as multipart/byteranges with each part correct', async () => {
    const res = await s.request('GET', '/media/small.txt', { headers: { range: 'bytes=0-1,10-12' } });
    expect(res.status).to.equal(206);
    const type = header(res, 'content-type')!;
    const boundary = /boundary=(\S+)/.exec(type)![1];
    const parts = res.text.split(`--${boundary}`).slice(1, -1);
    expect(parts).to.have.length(2);
    expect(parts[0])
      .to.contain('Content-Range: bytes 0-1/36')
      .and.match(/\r\n\r\n01\r\n$/);
    expect(parts[1])
      .to.contain('Content-Range: bytes 10-12/36')
      .and.match(/\r\n\r\nabc\r\n$/);
  });

  it('answers 416 with bytes */size to a range starting at or past the end', async () => {
    for (const range of [`bytes=${small.length}-`, 'bytes=1000-2000']) {
      const res = await s.request('GET', '/media/small.txt', { headers: { range } });
      expect(res.status, range).to.equal(416);
      expect(header(res, 'content-range')).to.equal(`bytes */${small.length}`);
    }
  });

  it('applies If-Range only while the validator still matches', async () => {
    const etag = header(await s.request('HEAD', '/media/small.txt'), 'etag')!;
    const lastModified = header(await s.request('HEAD', '/media/small.txt'), 'last-modified')!;
    const match = await s.request('GET', '/media/small.txt', { headers: { range: 'bytes=0-3', 'if-range': etag } });
    expect(match.status).to.equal(206);
    expect(match.text).to.equal('0123');
    const byDate = await s.request('GET', '/media/small.txt', { headers: { range: 'bytes=0-3', 'if-range': lastModified } });
    expect(byDate.status).to.equal(206);
    const stale = await s.request('GET', '/media/small.txt', { headers: { range: 'bytes=0-3', 'if-range': '"stale"' } });
    expect(stale.status).to.equal(200);
    expect(stale.body.equals(small)).to.equal(true);
  });

  it('answers 304 to If-None-Match and If-Modified-Since that hold, 412 to If-Match and If-Unmodified-Since that fail', async () => {
    const head = await s.request('HEAD', '/media/small.txt');
    const etag = header(head, 'etag')!;
    const lastModified = header(head, 'last-modified')!;
    const earlier = new Date(new Date(lastModified).getTime() - 3600_000).toUTCString();

    const notModified = await s.request('GET', '/media/small.txt', { headers: { 'if-none-match': etag } });
    expect(notModified.status).to.equal(304);
    expect(header(notModified, 'etag')).to.equal(etag);
    expect(notModified.body.length).to.equal(0);
    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-modified-since': lastModified } })).status).to.equal(304);
    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-modified-since': earlier } })).status).to.equal(200);
    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-none-match': '"other"' } })).status).to.equal(200);

    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-match': '"other"' } })).status).to.equal(412);
    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-match': etag } })).status).to.equal(200);
    expect((await s.request('GET', '/media/small.txt', { headers: { 'if-unmodified-since': earlier } })).status).to.equal(412);
    // A write with If-Match of a stale ETag must not replace the file.
    const put = await s.request('PUT', '/media/small.txt', { headers: { 'if-match': '"stale"' }, body: 'lost update' });
    expect(put.status).to.equal(412);
    expect((await s.emu.readFile('/media/small.txt')).equals(small)).to.equal(true);
  });

  it('answers GET on a collection with an HTML index linking its members', async () => {
    const res = await s.request('GET', '/media/');
    expect(res.status).to.equal(200);
    expect(header(res, 'content-type')).to.match(/^text\/html/);
    expect(res.text).to.contain('href="/media/big.bin"').and.contain('href="/media/small.txt"');
    const root = await s.request('GET', '/');
    expect(root.status).to.equal(200);
    expect(root.text).to.contain('href="/media/"');
  });

  it('reports the ETag a PUT answered in HEAD, GET and PROPFIND, also once the listing is reloaded (davfs2 relies on it)', async () => {
    const put = await s.request('PUT', '/media/tagged.bin', { body: bytes(150_000) });
    expect(put.status).to.equal(201);
    const etag = header(put, 'etag')!;
    const seen = async () => {
      const propfind = await s.request('PROPFIND', '/media/tagged.bin', { headers: { depth: '0' } });
      return [
        header(await s.request('HEAD', '/media/tagged.bin'), 'etag'),
        header(await s.request('GET', '/media/tagged.bin', { headers: { range: 'bytes=0-0' } }), 'etag'),
        /<D:getetag>([^<]+)<\/D:getetag>/.exec(propfind.text)?.[1]?.replace(/&quot;/g, '"'),
      ];
    };
    expect(await seen()).to.deep.equal([etag, etag, etag]);
    await s.restart();
    expect(await seen()).to.deep.equal([etag, etag, etag]);
  });

  it('answers 404 for a missing file and for a file named with a trailing slash', async () => {
    expect((await s.request('GET', '/media/none.bin')).status).to.equal(404);
    expect((await s.request('GET', '/media/small.txt/')).status).to.equal(404);
    expect((await s.request('HEAD', '/nowhere/x')).status).to.equal(404);
  });
});

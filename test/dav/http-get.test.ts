import { expect } from 'chai';
import { startDav, type RunningDav } from './harness.js';
import { dav, header } from './client.js';
import { at } from '../support/index.js';

describe('dav over HTTP: ranges and conditional GET', () => {
  let s: RunningDav;
  const size = 2 * 1024 * 1024 + 17;
  const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255));
  let etag: string;
  let lastModified: string;

  before(async () => {
    s = await startDav();
    s.drive.putFile('/big.bin', data);
    const head = await dav(s.origin, 'HEAD', '/big.bin');
    etag = header(head, 'etag')!;
    lastModified = header(head, 'last-modified')!;
  });
  after(async () => {
    await s.close();
  });
  beforeEach(() => {
    s.drive.reads.length = 0;
  });

  it('reads 10 bytes by asking the drive for those 10 bytes only', async () => {
    const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-9' } });
    expect(res.status).to.equal(206);
    expect(header(res, 'content-range')).to.equal(`bytes 0-9/${size}`);
    expect(header(res, 'content-length')).to.equal('10');
    expect(res.body.equals(data.subarray(0, 10))).to.equal(true);
    expect(s.drive.reads).to.deep.equal([{ path: '/big.bin', range: { start: 0, end: 9 } }]);
  });

  it('serves open-ended and suffix ranges with the real total in Content-Range', async () => {
    const open = await dav(s.origin, 'GET', '/big.bin', { headers: { range: `bytes=${size - 5}-` } });
    expect(open.status).to.equal(206);
    expect(header(open, 'content-range')).to.equal(`bytes ${size - 5}-${size - 1}/${size}`);
    expect(open.body.equals(data.subarray(size - 5))).to.equal(true);
    const suffix = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=-3' } });
    expect(suffix.body.equals(data.subarray(size - 3))).to.equal(true);
    expect(s.drive.reads.map((r) => r.range)).to.deep.equal([
      { start: size - 5, end: size - 1 },
      { start: size - 3, end: size - 1 },
    ]);
  });

  it('answers 416 with bytes */size to a range past the end, without reading', async () => {
    const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: `bytes=${size}-` } });
    expect(res.status).to.equal(416);
    expect(header(res, 'content-range')).to.equal(`bytes */${size}`);
    expect(s.drive.reads).to.have.length(0);
  });

  it('answers several ranges as multipart/byteranges, reading each range only', async () => {
    const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-1,1000-1003' } });
    expect(res.status).to.equal(206);
    const type = header(res, 'content-type')!;
    const boundary = /boundary=(\S+)/.exec(type)![1];
    expect(Number(header(res, 'content-length'))).to.equal(res.body.length);
    const parts = res.body.toString('latin1').split(`--${boundary}`).slice(1, -1);
    expect(parts).to.have.length(2);
    expect(parts[0]).to.include(`Content-Range: bytes 0-1/${size}`);
    expect(at(parts, 0).endsWith('\r\n\r\n' + data.subarray(0, 2).toString('latin1') + '\r\n')).to.equal(true);
    expect(parts[1]).to.include(`Content-Range: bytes 1000-1003/${size}`);
    expect(s.drive.reads.map((r) => r.range)).to.deep.equal([
      { start: 0, end: 1 },
      { start: 1000, end: 1003 },
    ]);
  });

  it('serves a full 200 when If-Range no longer matches, and the range when it does', async () => {
    const stale = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-9', 'if-range': '"stale"' } });
    expect(stale.status).to.equal(200);
    expect(stale.body.length).to.equal(size);
    const fresh = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(fresh.status).to.equal(206);
    const byDate = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-9', 'if-range': lastModified } });
    expect(byDate.status).to.equal(206);
  });

  it('answers 304 to If-None-Match and If-Modified-Since, with the validators and no read', async () => {
    const byTag = await dav(s.origin, 'GET', '/big.bin', { headers: { 'if-none-match': etag } });
    expect(byTag.status).to.equal(304);
    expect(header(byTag, 'etag')).to.equal(etag);
    const byDate = await dav(s.origin, 'GET', '/big.bin', { headers: { 'if-modified-since': lastModified } });
    expect(byDate.status).to.equal(304);
    expect(s.drive.reads).to.have.length(0);
    const changed = await dav(s.origin, 'HEAD', '/big.bin', { headers: { 'if-none-match': '"something-else"' } });
    expect(changed.status).to.equal(200);
  });

  it('answers 412 when If-Match or If-Unmodified-Since fail', async () => {
    expect((await dav(s.origin, 'GET', '/big.bin', { headers: { 'if-match': '"nope"' } })).status).to.equal(412);
    const old = 'Mon, 01 Jan 2001 00:00:00 GMT';
    expect((await dav(s.origin, 'PUT', '/big.bin', { headers: { 'if-unmodified-since': old }, body: 'x' })).status).to.equal(412);
    expect((await dav(s.origin, 'PUT', '/new.bin', { headers: { 'if-match': '*' }, body: 'x' })).status).to.equal(412);
    expect(s.drive.content('/big.bin')!.length).to.equal(size);
  });

  it('honours If-None-Match: * on PUT (create only)', async () => {
    expect((await dav(s.origin, 'PUT', '/once.txt', { headers: { 'if-none-match': '*' }, body: 'first' })).status).to.equal(201);
    expect((await dav(s.origin, 'PUT', '/once.txt', { headers: { 'if-none-match': '*' }, body: 'second' })).status).to.equal(412);
    expect(s.drive.content('/once.txt')!.toString()).to.equal('first');
  });

  it('accepts rclone-style ranged GETs that also carry Depth: 0', async () => {
    const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=100-199', depth: '0' } });
    expect(res.status).to.equal(206);
    expect(res.body.equals(data.subarray(100, 200))).to.equal(true);
  });

  it('answers HEAD with a range without reading any bytes', async () => {
    const res = await dav(s.origin, 'HEAD', '/big.bin', { headers: { range: 'bytes=0-9' } });
    expect(res.status).to.equal(206);
    expect(header(res, 'content-length')).to.equal('10');
    expect(s.drive.reads).to.have.length(0);
  });

  it('serves an empty file without a read and answers 416 to any range of it', async () => {
    s.drive.putFile('/empty', '');
    const full = await dav(s.origin, 'GET', '/empty');
    expect(full.status).to.equal(200);
    expect(full.body.length).to.equal(0);
    expect((await dav(s.origin, 'GET', '/empty', { headers: { range: 'bytes=0-' } })).status).to.equal(416);
    expect(s.drive.reads).to.have.length(0);
  });

  it('maps drive failures on read to 502/503 before any byte is sent', async () => {
    s.drive.failNext('read', 'UPSTREAM', 'TeraBox answered errno 31045');
    const upstream = await dav(s.origin, 'GET', '/big.bin');
    expect(upstream.status).to.equal(502);
    expect(upstream.text).to.include('TeraBox answered errno 31045');
    s.drive.failNext('read', 'UNAVAILABLE');
    expect((await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-1' } })).status).to.equal(503);
  });
});

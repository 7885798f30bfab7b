// PUT over the real drive: Content-Length and chunked (Finder) bodies, 100-continue, the statuses for
// every refusal (409, 405, 413 before the body, 507, 502/503 from TeraBox faults), and that a failed
// or aborted PUT leaves the previous content in place.

import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { header, parseMultistatus, propOf, raw, statusesOf, textOf, firstResponse } from '../dav/client.js';
import { startStack, type Stack, KiB, MiB, bytes } from '../support/index.js';
import { waitFor } from '../support/wait-for.js';

/** A body sent in several chunks, so undici uses Transfer-Encoding: chunked (no Content-Length). */
function chunked(buf: Buffer, pieces = 5): Readable {
  const size = Math.ceil(buf.length / pieces);
  return Readable.from(Array.from({ length: pieces }, (_, i) => buf.subarray(i * size, (i + 1) * size)).filter((b) => b.length > 0));
}

async function sizeInPropfind(s: Stack, path: string): Promise<number> {
  const res = await s.request('PROPFIND', path, { headers: { depth: '0' } });
  expect(res.status).to.equal(207);
  return Number(textOf(propOf(firstResponse(res.text), '{DAV:}getcontentlength')!.el));
}

async function spoolFiles(s: Stack): Promise<string[]> {
  return readdir(join(s.dataDir, 'spool'));
}

describe('integration: PUT', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true, configure: (c) => (c.upload.partAttempts = 1) });
    expect((await s.request('MKCOL', '/up/')).status).to.equal(201);
  });
  after(async () => {
    await s?.stop();
  });
  afterEach(() => {
    s.emu.setKnobs({ faults: {} });
  });

  it('stores a Content-Length body (201), replaces it (204), and GET returns the new bytes', async () => {
    const first = bytes(300 * KiB + 5);
    const created = await s.request('PUT', '/up/cl.bin', { body: first });
    expect(created.status).to.equal(201);
    expect(header(created, 'etag')).to.match(/^"/);
    expect((await s.emu.readFile('/up/cl.bin')).equals(first)).to.equal(true);
    expect(s.emu.entry('/up/cl.bin')!.blockList.length).to.equal(5);

    const second = bytes(70 * KiB);
    const replaced = await s.request('PUT', '/up/cl.bin', { body: second });
    expect(replaced.status).to.equal(204);
    expect(header(replaced, 'etag')).to.not.equal(header(created, 'etag'));
    expect((await s.request('GET', '/up/cl.bin')).body.equals(second)).to.equal(true);
  });

  it('stores a chunked Finder-style body with X-Expected-Entity-Length', async () => {
    const body = bytes(200 * KiB + 17);
    const res = await s.request('PUT', '/up/finder.bin', {
      headers: { 'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/21.6.0 (x86_64)', 'x-expected-entity-length': String(body.length) },
      body: chunked(body),
    });
    expect(res.status).to.equal(201);
    expect((await s.emu.readFile('/up/finder.bin')).equals(body)).to.equal(true);
    expect(await sizeInPropfind(s, '/up/finder.bin')).to.equal(body.length);
  });

  it('stores a chunked body whose X-Expected-Entity-Length is wrong (the hint is never trusted)', async () => {
    // Over 1 MiB the test ladder doubles the part size: hashing for the hinted size must be redone.
    const body = bytes(1 * MiB + 100 * KiB);
    const res = await s.request('PUT', '/up/wrong-hint.bin', { headers: { 'x-expected-entity-length': '1000' }, body: chunked(body, 9) });
    expect(res.status).to.equal(201);
    expect((await s.emu.readFile('/up/wrong-hint.bin')).equals(body)).to.equal(true);
  });

  it('stores a raw chunked body sent as Finder does (no Content-Length at all)', async () => {
    const body = Buffer.from('finder bytes in two chunks');
    const res = await raw(
      s.port,
      'PUT /up/raw-chunked.txt HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\nX-Expected-Entity-Length: 26\nConnection: close',
      { body: `6\r\n${body.subarray(0, 6)}\r\n14\r\n${body.subarray(6)}\r\n0\r\n\r\n`, waitMs: 5000 },
    );
    expect(statusesOf(res.text)).to.deep.equal([201]);
    expect((await s.emu.readFile('/up/raw-chunked.txt')).equals(body)).to.equal(true);
  });

  it('sends 100 Continue to Expect: 100-continue and then stores the body', async () => {
    const body = bytes(100 * KiB);
    const res = await raw(
      s.port,
      `PUT /up/expect.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${body.length}\nExpect: 100-continue\nConnection: close`,
      {
        body,
        waitForContinue: true,
        waitMs: 5000,
      },
    );
    expect(statusesOf(res.text)).to.deep.equal([100, 201]);
    expect((await s.emu.readFile('/up/expect.bin')).equals(body)).to.equal(true);
  });

  it('answers 409 when the parent collection is missing, and creates nothing', async () => {
    expect((await s.request('PUT', '/up/no/such/dir/f.txt', { body: 'x' })).status).to.equal(409);
    expect((await s.request('PUT', '/nothere/f.txt', { body: 'x' })).status).to.equal(409);
    expect(s.emu.entry('/nothere')).to.equal(null);
    expect(s.emu.entry('/up/no')).to.equal(null);
  });

  it('answers 405 to PUT on a collection, with or without the trailing slash', async () => {
    expect((await s.request('MKCOL', '/up/folder/')).status).to.equal(201);
    expect((await s.request('PUT', '/up/folder', { body: 'x' })).status).to.equal(405);
    expect((await s.request('PUT', '/up/folder/', { body: 'x' })).status).to.equal(405);
    expect(s.emu.entry('/up/folder')!.isDir).to.equal(true);
  });

  it('answers 502 when TeraBox keeps failing part uploads, and keeps the previous content', async () => {
    const old = bytes(150 * KiB);
    expect((await s.request('PUT', '/up/keep.bin', { body: old })).status).to.equal(201);
    s.emu.setKnobs({ faults: { superfile2: { http5xx: 1 } } });
    const res = await s.request('PUT', '/up/keep.bin', { body: bytes(150 * KiB) });
    expect(res.status).to.equal(502);
    s.emu.setKnobs({ faults: {} });
    expect((await s.request('GET', '/up/keep.bin')).body.equals(old)).to.equal(true);
    expect(await sizeInPropfind(s, '/up/keep.bin')).to.equal(old.length);
    expect((await s.emu.readFile('/up/keep.bin')).equals(old)).to.equal(true);
    expect(await spoolFiles(s)).to.deep.equal([]);
  });

  it('answers 503 when TeraBox rate-limits the upload, and keeps the previous content', async () => {
    const old = bytes(90 * KiB);
    expect((await s.request('PUT', '/up/limited.bin', { body: old })).status).to.equal(201);
    s.emu.setKnobs({ faults: { precreate: { errno31034: 1 }, rapidupload: { errno31034: 1 } } });
    const res = await s.request('PUT', '/up/limited.bin', { body: bytes(90 * KiB) });
    expect(res.status).to.equal(503);
    s.emu.setKnobs({ faults: {} });
    expect((await s.request('GET', '/up/limited.bin')).body.equals(old)).to.equal(true);
  });

  it('keeps the previous content when the client aborts mid-body, and leaves no spool file behind', async () => {
    const old = Buffer.from('the previous version');
    expect((await s.request('PUT', '/up/aborted.txt', { body: old })).status).to.equal(201);
    const before = s.emu.entry('/up/aborted.txt')!;
    const res = await raw(s.port, 'PUT /up/aborted.txt HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 200000', {
      body: bytes(50_000),
      waitMs: 300,
    });
    expect(statusesOf(res.text)).to.deep.equal([]);
    await waitFor(async () => (await spoolFiles(s)).length === 0, { what: 'the spool is empty' });
    expect((await s.request('GET', '/up/aborted.txt')).body.equals(old)).to.equal(true);
    expect(s.emu.entry('/up/aborted.txt')).to.deep.equal(before);
  });

  it('creates nothing when a new file upload is aborted', async () => {
    await raw(s.port, 'PUT /up/never.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 300000', { body: bytes(100_000), waitMs: 300 });
    await waitFor(async () => (await spoolFiles(s)).length === 0, { what: 'the spool is empty' });
    expect((await s.request('HEAD', '/up/never.bin')).status).to.equal(404);
    expect(s.emu.entry('/up/never.bin')).to.equal(null);
  });

  it('makes every PUT visible at once in PROPFIND (rclone re-reads size right after the upload)', async () => {
    for (const size of [1, 64 * KiB, 64 * KiB + 1, 333_333]) {
      const body = bytes(size);
      expect((await s.request('PUT', '/up/raw.bin', { body })).status).to.be.oneOf([201, 204]);
      expect(await sizeInPropfind(s, '/up/raw.bin'), `size ${size}`).to.equal(size);
      const listing = parseMultistatus((await s.request('PROPFIND', '/up/', { headers: { depth: '1' } })).text);
      const item = listing.find((r) => r.href === '/up/raw.bin')!;
      expect(Number(textOf(propOf(item, '{DAV:}getcontentlength')!.el))).to.equal(size);
    }
  });
});

describe('integration: PUT limits', () => {
  const LIMIT = 100 * KiB;
  let s: Stack;

  before(async () => {
    s = await startStack({
      upTo: 'webdav',
      smallParts: true,
      account: { quotaBytes: 1 * MiB },
      configure: (c) => (c.upload.maxFileSize = LIMIT),
    });
  });
  after(async () => {
    await s?.stop();
  });

  it('answers 413 from Content-Length before the body is read (no 100 Continue is sent)', async () => {
    const res = await raw(s.port, `PUT /big.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${LIMIT + 1}\nExpect: 100-continue`, {
      body: bytes(LIMIT + 1),
      waitForContinue: true,
      waitMs: 3000,
    });
    expect(statusesOf(res.text)).to.deep.equal([413]);
    expect(res.closed).to.equal(true);
    expect(s.emu.entry('/big.bin')).to.equal(null);
  });

  it('answers 413 from Content-Length while the client has sent no byte of the body', async () => {
    const res = await raw(s.port, `PUT /big2.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${10 * MiB}`, { waitMs: 3000 });
    expect(statusesOf(res.text)).to.deep.equal([413]);
  });

  it('answers 413 to a chunked body that grows past the limit, and stores nothing', async () => {
    const res = await s.request('PUT', '/chunked-big.bin', { body: chunked(bytes(LIMIT + 10 * KiB), 10) }).catch((e: Error) => e);
    // The server may answer before the client finished sending; either way it must say 413 or cut the request.
    if (!(res instanceof Error)) expect(res.status).to.equal(413);
    expect(s.emu.entry('/chunked-big.bin')).to.equal(null);
    expect((await s.request('HEAD', '/chunked-big.bin')).status).to.equal(404);
  });

  it('answers 507 with DAV:quota-not-exceeded when the account has no room for the file', async () => {
    // 10 × 95 KiB leaves 74 KiB of the 1 MiB account.
    for (let i = 0; i < 10; i++) expect((await s.request('PUT', `/fill-${i}.bin`, { body: bytes(95 * KiB) })).status).to.equal(201);
    const res = await s.request('PUT', '/over.bin', { body: bytes(99 * KiB) });
    expect(res.status).to.equal(507);
    expect(res.text).to.contain('quota-not-exceeded');
    expect(s.emu.entry('/over.bin')).to.equal(null);
    expect((await s.request('HEAD', '/over.bin')).status).to.equal(404);
    expect((await s.request('PUT', '/fits.bin', { body: bytes(70 * KiB) })).status).to.equal(201);
  });
});

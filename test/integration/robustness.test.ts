// Malformed and hostile requests against the real drive: each gets a 4xx, reaches nothing upstream,
// logs no unexpected error, and the server keeps serving afterwards.

import { expect } from 'chai';
import { propfindBody, propOf, raw, statusesOf, firstResponse } from '../dav/client.js';
import { startStack, type Stack, KiB, bytes } from '../support/index.js';

describe('integration: robustness', () => {
  let s: Stack;
  const XML_LIMIT = 4 * KiB;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true, configure: (c) => (c.server.maxXmlBodyBytes = XML_LIMIT) });
    expect((await s.request('MKCOL', '/safe/')).status).to.equal(201);
    expect((await s.request('PUT', '/safe/file.txt', { body: 'still here' })).status).to.equal(201);
  });
  afterEach(async () => {
    // Whatever the last test sent, the server still answers and nothing failed unexpectedly.
    const res = await s.request('GET', '/safe/file.txt');
    expect(res.status).to.equal(200);
    expect(res.text).to.equal('still here');
    expect(s.errorLines, JSON.stringify(s.errorLines)).to.deep.equal([]);
  });
  after(async () => {
    await s?.stop();
  });

  /** Sends a request line as written (no client-side normalisation) and returns the final status. */
  async function rawStatus(method: string, target: string, extra = ''): Promise<number[]> {
    const res = await raw(s.port, `${method} ${target} HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 0\nConnection: close${extra}`, {
      waitMs: 3000,
    });
    return statusesOf(res.text);
  }

  it('answers 400 to malformed percent-encoding in the request path', async () => {
    for (const target of ['/safe/%zz', '/safe/%', '/safe/a%2', '/%C3%28', '/%FF%FE']) {
      for (const method of ['GET', 'PUT', 'PROPFIND', 'DELETE', 'MKCOL']) {
        expect(await rawStatus(method, target), `${method} ${target}`).to.deep.equal([400]);
      }
    }
  });

  it('answers 400 to `..` segments, encoded or not, and never reaches outside the path', async () => {
    // A literal `.` segment is dropped instead (Go clients send `/./a:b.txt`; test/dav/paths.test.ts).
    for (const target of ['/safe/../safe/file.txt', '/safe/%2e/file.txt', '/safe/%2e%2e/x', '/%2E%2E/', '/safe/..']) {
      expect(await rawStatus('GET', target), target).to.deep.equal([400]);
      expect(await rawStatus('DELETE', target), target).to.deep.equal([400]);
    }
  });

  it('answers 400 to encoded slashes and NUL bytes', async () => {
    for (const target of ['/safe%2Ffile.txt', '/safe/a%2fb', '/safe/a%00b']) {
      expect(await rawStatus('GET', target), target).to.deep.equal([400]);
      expect(await rawStatus('PUT', target), target).to.deep.equal([400]);
    }
    expect(s.emu.entry('/safe/a')).to.equal(null);
  });

  it('answers 400 to a Destination that is malformed or climbs with ..', async () => {
    for (const destination of ['/safe/%zz', '/safe/../escaped.txt', 'http://x/a%2Fb', '/safe/%00', 'mailto:x@y']) {
      const res = await s.request('COPY', '/safe/file.txt', { headers: { destination } });
      expect(res.status, destination).to.equal(400);
    }
    expect(s.emu.entry('/escaped.txt')).to.equal(null);
  });

  it('answers 413 to XML bodies over the limit, announced or chunked', async () => {
    const big = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>' + '<D:getetag/>'.repeat(1000) + '</D:prop></D:propfind>';
    expect(big.length).to.be.greaterThan(XML_LIMIT);
    for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
      const res = await s.request(method, '/safe/file.txt', { headers: { depth: '0' }, body: big });
      expect(res.status, method).to.equal(413);
    }
    const chunkedBody = (async function* () {
      for (let i = 0; i < 20; i++) yield Buffer.from('<D:getetag/>'.repeat(50));
    })();
    const res = await s.request('PROPFIND', '/safe/', { headers: { depth: '0' }, body: chunkedBody as unknown as never });
    expect(res.status).to.equal(413);
  });

  it('answers 400 to XML that is hostile or not well-formed: DOCTYPE, deep nesting, bad namespaces, bad UTF-8', async () => {
    const bodies: [string, string | Buffer][] = [
      ['DOCTYPE', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'],
      [
        'deep nesting',
        '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop>' + '<Z:a>'.repeat(150) + '</Z:a>'.repeat(150) + '</D:prop></D:propfind>',
      ],
      ['undeclared prefix', '<D:propfind xmlns:D="DAV:"><D:prop><Z:x/></D:prop></D:propfind>'],
      ['two roots', '<D:propfind xmlns:D="DAV:"/><D:propfind xmlns:D="DAV:"/>'],
      [
        'bad UTF-8',
        Buffer.concat([
          Buffer.from('<D:propfind xmlns:D="DAV:"><D:prop><D:'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('/></D:prop></D:propfind>'),
        ]),
      ],
      ['unclosed', '<D:propfind xmlns:D="DAV:"><D:prop>'],
    ];
    for (const [what, body] of bodies) {
      expect((await s.request('PROPFIND', '/safe/', { headers: { depth: '0' }, body })).status, `PROPFIND ${what}`).to.equal(400);
      expect((await s.request('PROPPATCH', '/safe/file.txt', { body })).status, `PROPPATCH ${what}`).to.equal(400);
      expect((await s.request('LOCK', '/safe/file.txt', { body })).status, `LOCK ${what}`).to.equal(400);
    }
  });

  it('answers 400 to PROPPATCH values nested deeper than the parser allows, and stores nothing', async () => {
    const deep =
      '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:v>' +
      '<Z:n>'.repeat(150) +
      '</Z:n>'.repeat(150) +
      '</Z:v></D:prop></D:set></D:propertyupdate>';
    expect((await s.request('PROPPATCH', '/safe/file.txt', { body: deep })).status).to.equal(400);
    const back = await s.request('PROPFIND', '/safe/file.txt', {
      headers: { depth: '0' },
      body: propfindBody(['<Z:v/>'], ' xmlns:Z="urn:z"'),
    });
    expect(propOf(firstResponse(back.text), '{urn:z}v')!.status).to.equal(404);
  });

  it('answers 400 to malformed If, Depth, Timeout-less refresh and Lock-Token headers', async () => {
    expect((await s.request('PUT', '/safe/file.txt', { headers: { if: '(<unterminated' }, body: 'x' })).status).to.equal(400);
    expect(
      (await s.request('PUT', '/safe/file.txt', { headers: { if: '<http://x/safe/file.txt> (<a>) (<b>)' }, body: 'x' })).status,
    ).to.equal(412);
    expect(
      (await s.request('PUT', '/safe/file.txt', { headers: { if: '(<a>) <http://x/safe/file.txt> (<b>)' }, body: 'x' })).status,
    ).to.equal(400);
    expect((await s.request('PROPFIND', '/safe/', { headers: { depth: 'two' } })).status).to.equal(400);
    expect((await s.request('LOCK', '/safe/file.txt', {})).status).to.equal(400);
    expect((await s.request('UNLOCK', '/safe/file.txt', {})).status).to.equal(400);
    expect((await s.request('UNLOCK', '/safe/file.txt', { headers: { 'lock-token': '<opaquelocktoken:nope>' } })).status).to.equal(409);
    expect((await s.request('PUT', '/safe/file.txt', { headers: { 'content-range': 'bytes 0-1/2' }, body: 'xy' })).status).to.equal(400);
  });

  it('answers unknown methods with 501 and HTTP methods it does not offer with 405', async () => {
    expect(await rawStatus('REPORT', '/safe/')).to.deep.equal([501]);
    expect(await rawStatus('SEARCH', '/safe/')).to.deep.equal([501]);
    expect((await s.request('POST', '/safe/file.txt', { body: 'x' })).status).to.equal(405);
    expect((await s.request('PATCH', '/safe/file.txt', { body: 'x' })).status).to.equal(405);
  });

  it('answers 400 to names TeraBox cannot hold even mapped (over 255 bytes as stored) and creates nothing', async () => {
    // Reserved characters are mapped by default (test/integration/name-mapping.test.ts covers them and
    // the "refuse" mode); a name too long for TeraBox is refused whatever the mode.
    const long = 'n'.repeat(300);
    for (const name of [long, '%3A'.repeat(86), 'ü'.repeat(128)]) {
      expect((await s.request('PUT', `/safe/${name}`, { body: 'data' })).status, `PUT ${name}`).to.equal(400);
      expect((await s.request('MKCOL', `/safe/${name}/`)).status, `MKCOL ${name}`).to.equal(400);
      expect((await s.request('COPY', '/safe/file.txt', { headers: { destination: `/safe/${name}` } })).status, `COPY ${name}`).to.equal(
        400,
      );
    }
    const listing = await s.request('PROPFIND', '/safe/', { headers: { depth: '1' } });
    expect(listing.text.match(/<D:href>/g)).to.have.length(2);
  });

  it('survives a client that disconnects in the middle of a request line, headers or body', async () => {
    for (const head of [
      'PROPF',
      'PUT /safe/x HTTP/1.1\nHost: 127.0.0.1\nContent-Le',
      'PROPFIND /safe/ HTTP/1.1\nHost: 127.0.0.1\nDepth: 1\nContent-Length: 500',
    ]) {
      await raw(s.port, head.replace(/\n$/, ''), { body: '<D:propfind', waitMs: 100 });
    }
    expect(s.emu.entry('/safe/x')).to.equal(null);
  });

  it('cuts the response, logging a drive failure and no unexpected error, when TeraBox breaks off a download', async () => {
    const body = bytes(1_000_000);
    expect((await s.request('PUT', '/safe/cut.bin', { body })).status).to.equal(201);
    s.emu.setKnobs({ faults: { data: { reset: 1 } } });
    const outcome = await s.request('GET', '/safe/cut.bin').then(
      (res) => `answered ${res.status} with ${res.body.length} bytes`,
      () => 'cut',
    );
    s.emu.setKnobs({ faults: {} });
    expect(outcome).to.equal('cut');
    expect(s.logLines.some((l) => l.msg === 'drive failure' && l.method === 'GET')).to.equal(true);
    expect((await s.request('GET', '/safe/cut.bin')).body.equals(body)).to.equal(true);
  });

  it('answers 400 to a request with a malformed Content-Length and does not hang', async () => {
    const res = await raw(s.port, 'PUT /safe/cl.txt HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 12abc', { waitMs: 3000 });
    expect(statusesOf(res.text)).to.deep.equal([400]);
    expect(s.emu.entry('/safe/cl.txt')).to.equal(null);
  });
});

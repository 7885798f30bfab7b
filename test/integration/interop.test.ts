// Issue 10 findings that need the real drive: the root's dates (TeraBox gives none) and the quota the
// drive reports right after its own writes, overwrites and deletes (cached for 30 s upstream).

import { expect } from 'chai';
import { propfindBody, propOf, raw, statusesOf, textOf, firstResponse } from '../dav/client.js';
import { KiB, bytes, startStack, type Stack } from '../support/index.js';

describe("integration: root dates and quota after the drive's own writes", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
  });
  after(async () => {
    await s?.stop();
  });

  async function used(): Promise<number> {
    const res = await s.request('PROPFIND', '/', { headers: { depth: '0' }, body: propfindBody(['<D:quota-used-bytes/>']) });
    expect(res.status).to.equal(207);
    return Number(textOf(propOf(firstResponse(res.text), '{DAV:}quota-used-bytes')!.el));
  }

  it("reports the newest member's time for the root, not 1970", async () => {
    expect((await s.request('PUT', '/dated.txt', { body: 'x' })).status).to.equal(201);
    for (const depth of ['0', '1']) {
      const res = await s.request('PROPFIND', '/', { headers: { depth } });
      const root = firstResponse(res.text);
      const modified = new Date(textOf(propOf(root, '{DAV:}getlastmodified')!.el));
      const created = new Date(textOf(propOf(root, '{DAV:}creationdate')!.el));
      expect(modified.getUTCFullYear(), `Depth ${depth}`).to.be.greaterThan(2000);
      expect(Math.abs(modified.getTime() - Date.now())).to.be.below(120_000);
      expect(created.getUTCFullYear()).to.be.greaterThan(2000);
    }
  });

  it('adjusts the quota at once for writes, overwrites, copies and deletes', async () => {
    const start = await used();
    expect((await s.request('PUT', '/q.bin', { body: bytes(300 * KiB) })).status).to.equal(201);
    expect(await used()).to.equal(start + 300 * KiB);
    expect((await s.request('PUT', '/q.bin', { body: bytes(100 * KiB) })).status).to.equal(204);
    expect(await used()).to.equal(start + 100 * KiB);
    expect((await s.request('COPY', '/q.bin', { headers: { destination: '/q2.bin' } })).status).to.equal(201);
    expect(await used()).to.equal(start + 200 * KiB);
    expect((await s.request('DELETE', '/q.bin')).status).to.equal(204);
    expect((await s.request('DELETE', '/q2.bin')).status).to.equal(204);
    expect(await used()).to.equal(start);
  });

  it('answers 413 without an error log to a PUT with a Content-Length of 2^53 or more', async () => {
    for (const length of ['9007199254740993', '18446744073709551615']) {
      const ex = await raw(s.port, `PUT /huge.bin HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${length}\nConnection: close`, {
        waitMs: 3000,
      });
      expect(statusesOf(ex.text), length).to.deep.equal([413]);
    }
    expect(s.emu.entry('/huge.bin')).to.equal(null);
    expect(s.errorLines).to.deep.equal([]);
  });
});

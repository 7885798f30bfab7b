// PROPPATCH over the real drive: dead properties set and removed in document order and atomically,
// Windows' Win32* properties, and properties following their resource through MOVE, COPY, DELETE and
// a restart of the drive.

import { expect } from 'chai';
import { parseMultistatus, propfindBody, propOf, textOf, firstResponse } from '../dav/client.js';
import { serializeFragment } from '../../src/dav/xml.js';
import { startStack, type Stack, at } from '../support/index.js';

const NS = 'urn:x-integration:';

function update(ops: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${NS}">${ops}</D:propertyupdate>`;
}

const set = (props: string) => `<D:set><D:prop>${props}</D:prop></D:set>`;
const remove = (props: string) => `<D:remove><D:prop>${props}</D:prop></D:remove>`;

describe('integration: PROPPATCH and dead properties', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({ upTo: 'webdav', smallParts: true });
  });
  after(async () => {
    await s?.stop();
  });

  /** The dead properties of a path as `{ns}name` → { status, text }. */
  async function props(path: string, names: string[]): Promise<Map<string, { status: number; text: string; xml: string }>> {
    const res = await s.request('PROPFIND', path, {
      headers: { depth: '0' },
      body: propfindBody(
        names.map((n) => `<Z:${n}/>`),
        ` xmlns:Z="${NS}"`,
      ),
    });
    expect(res.status, `PROPFIND ${path}`).to.equal(207);
    const r = firstResponse(res.text);
    const out = new Map<string, { status: number; text: string; xml: string }>();
    for (const n of names) {
      const p = propOf(r, `{${NS}}${n}`)!;
      out.set(n, { status: p.status, text: textOf(p.el), xml: serializeFragment(p.el.children) });
    }
    return out;
  }

  async function patch(path: string, ops: string, headers: Record<string, string> = {}) {
    const res = await s.request('PROPPATCH', path, { headers, body: update(ops) });
    return { status: res.status, responses: res.status === 207 ? parseMultistatus(res.text) : [] };
  }

  it('sets and removes properties in document order across several set/remove blocks', async () => {
    expect((await s.request('PUT', '/order.txt', { body: 'x' })).status).to.equal(201);
    const r = await patch(
      '/order.txt',
      set('<Z:a>1</Z:a><Z:b>2</Z:b>') + remove('<Z:a/>') + set('<Z:a>3</Z:a><Z:c>4</Z:c>') + remove('<Z:c/>'),
    );
    expect(r.status).to.equal(207);
    expect(at(r.responses, 0).propstats.map((p) => p.status)).to.deep.equal([200]);
    const got = await props('/order.txt', ['a', 'b', 'c']);
    expect(got.get('a')).to.include({ status: 200, text: '3' });
    expect(got.get('b')).to.include({ status: 200, text: '2' });
    expect(got.get('c')!.status).to.equal(404);
  });

  it('keeps XML values with their own namespaces intact', async () => {
    expect((await s.request('PUT', '/xmlval.txt', { body: 'x' })).status).to.equal(201);
    const r = await patch('/xmlval.txt', set('<Z:rich><Q:part xmlns:Q="urn:q" Q:kind="k">t &amp; u</Q:part>tail</Z:rich>'));
    expect(r.status).to.equal(207);
    const got = (await props('/xmlval.txt', ['rich'])).get('rich')!;
    expect(got.status).to.equal(200);
    expect(got.text).to.equal('t & utail');
    expect(got.xml).to.equal('<part xmlns="urn:q" xmlns:a0="urn:q" a0:kind="k">t &amp; u</part>tail');
  });

  it('is atomic: a protected live property fails the whole request (403 + 424) and changes nothing', async () => {
    expect((await s.request('PUT', '/atomic.txt', { body: 'x' })).status).to.equal(201);
    expect((await patch('/atomic.txt', set('<Z:keep>old</Z:keep>'))).status).to.equal(207);
    const r = await patch('/atomic.txt', set('<Z:keep>new</Z:keep><Z:added>1</Z:added><D:getetag>"forged"</D:getetag>'));
    expect(r.status).to.equal(207);
    const statuses = new Map(at(r.responses, 0).propstats.flatMap((ps) => [...ps.props.keys()].map((k) => [k, ps.status])));
    expect(statuses.get('{DAV:}getetag')).to.equal(403);
    expect(statuses.get(`{${NS}}keep`)).to.equal(424);
    expect(statuses.get(`{${NS}}added`)).to.equal(424);
    const got = await props('/atomic.txt', ['keep', 'added']);
    expect(got.get('keep')).to.include({ status: 200, text: 'old' });
    expect(got.get('added')!.status).to.equal(404);
  });

  it("accepts Windows Explorer's Win32 properties with 200 and serves them back", async () => {
    expect((await s.request('PUT', '/win.docx', { body: 'doc' })).status).to.equal(201);
    const ms = 'urn:schemas-microsoft-com:';
    const res = await s.request('PROPPATCH', '/win.docx', {
      headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', translate: 'f' },
      body:
        `<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="${ms}"><D:set><D:prop>` +
        '<Z:Win32CreationTime>Tue, 04 Jun 2024 10:00:00 GMT</Z:Win32CreationTime>' +
        '<Z:Win32LastAccessTime>Tue, 04 Jun 2024 10:00:01 GMT</Z:Win32LastAccessTime>' +
        '<Z:Win32LastModifiedTime>Tue, 04 Jun 2024 10:00:02 GMT</Z:Win32LastModifiedTime>' +
        '<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>' +
        '</D:prop></D:set></D:propertyupdate>',
    });
    expect(res.status).to.equal(207);
    const r = firstResponse(res.text);
    expect(r.propstats).to.have.length(1);
    expect(at(r.propstats, 0).status).to.equal(200);
    expect([...at(r.propstats, 0).props.keys()]).to.have.members(
      ['Win32CreationTime', 'Win32LastAccessTime', 'Win32LastModifiedTime', 'Win32FileAttributes'].map((n) => `{${ms}}${n}`),
    );
    const back = await s.request('PROPFIND', '/win.docx', {
      headers: { depth: '0' },
      body: propfindBody(['<Z:Win32FileAttributes/>'], ` xmlns:Z="${ms}"`),
    });
    expect(textOf(propOf(firstResponse(back.text), `{${ms}}Win32FileAttributes`)!.el)).to.equal('00000020');
  });

  it('answers 404 for PROPPATCH on a missing resource and 400 for a body that is not a propertyupdate', async () => {
    expect((await patch('/missing.txt', set('<Z:a>1</Z:a>'))).status).to.equal(404);
    const res = await s.request('PROPPATCH', '/order.txt', { body: '<D:propfind xmlns:D="DAV:"/>' });
    expect(res.status).to.equal(400);
  });

  it('moves properties with a file and with a whole tree', async () => {
    expect((await s.request('PUT', '/mv-src.txt', { body: 'm' })).status).to.equal(201);
    await patch('/mv-src.txt', set('<Z:tag>file</Z:tag>'));
    expect((await s.request('MOVE', '/mv-src.txt', { headers: { destination: '/mv-dst.txt' } })).status).to.equal(201);
    expect((await props('/mv-dst.txt', ['tag'])).get('tag')).to.include({ status: 200, text: 'file' });

    expect((await s.request('MKCOL', '/tree/')).status).to.equal(201);
    expect((await s.request('MKCOL', '/tree/inner/')).status).to.equal(201);
    expect((await s.request('PUT', '/tree/inner/leaf.txt', { body: 'leaf' })).status).to.equal(201);
    await patch('/tree/', set('<Z:tag>dir</Z:tag>'));
    await patch('/tree/inner/leaf.txt', set('<Z:tag>leaf</Z:tag>'));
    expect((await s.request('MOVE', '/tree/', { headers: { destination: `${s.origin}/moved-tree/` } })).status).to.equal(201);
    expect((await props('/moved-tree/', ['tag'])).get('tag')).to.include({ text: 'dir' });
    expect((await props('/moved-tree/inner/leaf.txt', ['tag'])).get('tag')).to.include({ text: 'leaf' });
    expect((await s.request('PROPFIND', '/tree/', { headers: { depth: '0' } })).status).to.equal(404);
  });

  it('copies properties with the resource, leaving the source its own', async () => {
    expect((await s.request('PUT', '/cp-src.txt', { body: 'c' })).status).to.equal(201);
    await patch('/cp-src.txt', set('<Z:tag>orig</Z:tag>'));
    expect((await s.request('COPY', '/cp-src.txt', { headers: { destination: '/cp-dst.txt' } })).status).to.equal(201);
    await patch('/cp-dst.txt', set('<Z:tag>changed</Z:tag>'));
    expect((await props('/cp-src.txt', ['tag'])).get('tag')).to.include({ text: 'orig' });
    expect((await props('/cp-dst.txt', ['tag'])).get('tag')).to.include({ text: 'changed' });
  });

  it('deletes properties with their resource: a new resource at the path starts with none', async () => {
    expect((await s.request('PUT', '/del.txt', { body: 'd' })).status).to.equal(201);
    await patch('/del.txt', set('<Z:tag>doomed</Z:tag>'));
    expect((await s.request('DELETE', '/del.txt')).status).to.equal(204);
    expect((await s.request('PUT', '/del.txt', { body: 'again' })).status).to.equal(201);
    expect((await props('/del.txt', ['tag'])).get('tag')!.status).to.equal(404);
  });

  it('keeps dead properties across a restart of the drive on the same data dir', async () => {
    expect((await s.request('MKCOL', '/persist/')).status).to.equal(201);
    expect((await s.request('PUT', '/persist/p.txt', { body: 'p' })).status).to.equal(201);
    await patch('/persist/p.txt', set('<Z:tag>survives</Z:tag>'));
    await patch('/persist/', set('<Z:tag>dir survives</Z:tag>'));
    await s.restart();
    expect((await props('/persist/p.txt', ['tag'])).get('tag')).to.include({ status: 200, text: 'survives' });
    expect((await props('/persist/', ['tag'])).get('tag')).to.include({ status: 200, text: 'dir survives' });
  });
});

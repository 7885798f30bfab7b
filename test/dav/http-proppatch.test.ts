import { expect } from 'chai';
import { startDav, type RunningDav } from './harness.js';
import { dav, propfindBody, propOf, textOf, firstResponse } from './client.js';
import { at } from '../support/index.js';
import { serializeFragment } from '../../src/dav/xml.js';

const NS = 'http://example.com/ns/';

function update(blocks: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:e="${NS}">${blocks}</D:propertyupdate>`;
}

async function getProps(s: RunningDav, path: string, names: string[], ns = ` xmlns:e="${NS}"`) {
  const res = await dav(s.origin, 'PROPFIND', path, { headers: { depth: '0' }, body: propfindBody(names, ns) });
  expect(res.status).to.equal(207);
  return firstResponse(res.text);
}

describe('dav over HTTP: PROPPATCH and dead properties', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav();
    s.drive.putFile('/f.txt', 'content');
  });
  afterEach(async () => {
    await s.close();
  });

  it('applies several set and remove blocks in document order in one request', async () => {
    const res = await dav(s.origin, 'PROPPATCH', '/f.txt', {
      body: update(
        '<D:set><D:prop><e:a>1</e:a><e:b>2</e:b></D:prop></D:set>' +
          '<D:remove><D:prop><e:a/></D:prop></D:remove>' +
          '<D:set><D:prop><e:c>3</e:c></D:prop></D:set>' +
          '<D:set><D:prop><e:b>two</e:b></D:prop></D:set>',
      ),
    });
    expect(res.status).to.equal(207);
    const r = firstResponse(res.text);
    expect(r.propstats.map((p) => p.status)).to.deep.equal([200]);
    expect([...at(r.propstats, 0).props.keys()]).to.have.members([`{${NS}}a`, `{${NS}}b`, `{${NS}}c`]);
    const got = await getProps(s, '/f.txt', ['<e:a/>', '<e:b/>', '<e:c/>']);
    expect(propOf(got, `{${NS}}a`)!.status).to.equal(404);
    expect(textOf(propOf(got, `{${NS}}b`)!.el)).to.equal('two');
    expect(textOf(propOf(got, `{${NS}}c`)!.el)).to.equal('3');
  });

  it('keeps values with markup, other namespaces, no namespace and characters above U+FFFF', async () => {
    await dav(s.origin, 'PROPPATCH', '/f.txt', {
      body: update(
        '<D:set><D:prop>' +
          '<e:rich><foo xmlns="bar" a="1"><baz/>t&amp;x</foo></e:rich>' +
          '<e:high>&#65536;</e:high>' +
          '<plain xmlns="">randomvalue</plain>' +
          '</D:prop></D:set>',
      ),
    });
    const got = await getProps(s, '/f.txt', ['<e:rich/>', '<e:high/>', '<plain xmlns=""/>']);
    const rich = propOf(got, `{${NS}}rich`)!.el;
    const foo = rich.children[0] as Exclude<(typeof rich.children)[0], string>;
    expect([foo.ns, foo.name, at(foo.attrs, 0).value]).to.deep.equal(['bar', 'foo', '1']);
    expect(serializeFragment(rich.children)).to.equal('<foo xmlns="bar" a="1"><baz/>t&amp;x</foo>');
    expect(textOf(propOf(got, `{${NS}}high`)!.el)).to.equal('\u{10000}');
    expect(textOf(propOf(got, '{}plain')!.el)).to.equal('randomvalue');
  });

  it('accepts the Win32 properties Windows Explorer sets, and returns them', async () => {
    const body =
      '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>' +
      '<Z:Win32CreationTime>Wed, 01 May 2024 10:00:00 GMT</Z:Win32CreationTime>' +
      '<Z:Win32LastAccessTime>Wed, 01 May 2024 10:00:01 GMT</Z:Win32LastAccessTime>' +
      '<Z:Win32LastModifiedTime>Wed, 01 May 2024 10:00:02 GMT</Z:Win32LastModifiedTime>' +
      '<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>' +
      '</D:prop></D:set></D:propertyupdate>';
    const res = await dav(s.origin, 'PROPPATCH', '/f.txt', { body, headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045' } });
    const r = firstResponse(res.text);
    expect(r.propstats).to.have.length(1);
    expect(at(r.propstats, 0).status).to.equal(200);
    expect(at(r.propstats, 0).props.size).to.equal(4);
    const got = await getProps(s, '/f.txt', ['<Z:Win32FileAttributes/>'], ' xmlns:Z="urn:schemas-microsoft-com:"');
    expect(textOf(propOf(got, '{urn:schemas-microsoft-com:}Win32FileAttributes')!.el)).to.equal('00000020');
  });

  it('is atomic: a protected property fails the request with 403, the rest with 424, and nothing changes', async () => {
    const res = await dav(s.origin, 'PROPPATCH', '/f.txt', {
      body: update('<D:set><D:prop><e:ok>v</e:ok><D:getetag>"forged"</D:getetag></D:prop></D:set>'),
    });
    const r = firstResponse(res.text);
    expect(propOf(r, '{DAV:}getetag')!.status).to.equal(403);
    expect(propOf(r, `{${NS}}ok`)!.status).to.equal(424);
    expect(res.text).to.include('cannot-modify-protected-property');
    expect(propOf(await getProps(s, '/f.txt', ['<e:ok/>']), `{${NS}}ok`)!.status).to.equal(404);
  });

  it('answers 400 to malformed bodies and 404 for missing resources', async () => {
    expect((await dav(s.origin, 'PROPPATCH', '/f.txt', { body: '<D:propertyupdate xmlns:D="DAV:">' })).status).to.equal(400);
    expect((await dav(s.origin, 'PROPPATCH', '/f.txt', { body: '<D:propfind xmlns:D="DAV:"/>' })).status).to.equal(400);
    expect((await dav(s.origin, 'PROPPATCH', '/f.txt', { body: update('<D:set><e:noprop/></D:set>') })).status).to.equal(400);
    expect(
      (await dav(s.origin, 'PROPPATCH', '/missing', { body: update('<D:set><D:prop><e:a>1</e:a></D:prop></D:set>') })).status,
    ).to.equal(404);
  });

  it('moves properties with MOVE, copies them with COPY, and deletes them with DELETE', async () => {
    s.drive.putFile('/tree/inner/leaf.txt', 'leaf');
    await dav(s.origin, 'PROPPATCH', '/tree/', { body: update('<D:set><D:prop><e:p>root</e:p></D:prop></D:set>') });
    await dav(s.origin, 'PROPPATCH', '/tree/inner/leaf.txt', { body: update('<D:set><D:prop><e:p>leaf</e:p></D:prop></D:set>') });

    expect((await dav(s.origin, 'MOVE', '/tree/', { headers: { destination: `${s.origin}/moved/` } })).status).to.equal(201);
    expect(textOf(propOf(await getProps(s, '/moved/inner/leaf.txt', ['<e:p/>']), `{${NS}}p`)!.el)).to.equal('leaf');

    expect((await dav(s.origin, 'COPY', '/moved/', { headers: { destination: '/copied/' } })).status).to.equal(201);
    expect(textOf(propOf(await getProps(s, '/copied/', ['<e:p/>']), `{${NS}}p`)!.el)).to.equal('root');
    expect(textOf(propOf(await getProps(s, '/copied/inner/leaf.txt', ['<e:p/>']), `{${NS}}p`)!.el)).to.equal('leaf');

    expect((await dav(s.origin, 'COPY', '/moved/', { headers: { destination: '/shallow/', depth: '0' } })).status).to.equal(201);
    expect(textOf(propOf(await getProps(s, '/shallow/', ['<e:p/>']), `{${NS}}p`)!.el)).to.equal('root');

    expect((await dav(s.origin, 'DELETE', '/copied/')).status).to.equal(204);
    s.drive.putFile('/copied/inner/leaf.txt', 'new');
    expect(propOf(await getProps(s, '/copied/inner/leaf.txt', ['<e:p/>']), `{${NS}}p`)!.status).to.equal(404);
    const rows = s.db.prepare("SELECT path FROM dav_props WHERE path LIKE '/tree%' OR path LIKE '/copied%'").all();
    expect(rows).to.deep.equal([]);
  });

  it('replaces the destination properties when a MOVE overwrites it', async () => {
    s.drive.putFile('/other.txt', 'o');
    await dav(s.origin, 'PROPPATCH', '/other.txt', { body: update('<D:set><D:prop><e:old>x</e:old></D:prop></D:set>') });
    await dav(s.origin, 'PROPPATCH', '/f.txt', { body: update('<D:set><D:prop><e:new>y</e:new></D:prop></D:set>') });
    expect((await dav(s.origin, 'MOVE', '/f.txt', { headers: { destination: '/other.txt', overwrite: 'T' } })).status).to.equal(204);
    const got = await getProps(s, '/other.txt', ['<e:old/>', '<e:new/>']);
    expect(propOf(got, `{${NS}}old`)!.status).to.equal(404);
    expect(textOf(propOf(got, `{${NS}}new`)!.el)).to.equal('y');
  });

  it('keeps dead properties across a restart on the same database file', async () => {
    await dav(s.origin, 'PROPPATCH', '/f.txt', { body: update('<D:set><D:prop><e:kept>yes</e:kept></D:prop></D:set>') });
    await s.stop();
    const again = await startDav({ drive: s.drive, dbPath: s.dbPath });
    try {
      expect(textOf(propOf(await getProps(again, '/f.txt', ['<e:kept/>']), `{${NS}}kept`)!.el)).to.equal('yes');
    } finally {
      await again.close();
    }
  });
});

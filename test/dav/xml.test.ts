import { expect } from 'chai';
import { DavError } from '../../src/dav/status.js';
import { escapeText, parseXml, propertyElement, serializeFragment } from '../../src/dav/xml.js';

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof DavError) return e.status;
    throw e;
  }
  return 0;
}

describe('dav xml', () => {
  it('resolves default and prefixed namespaces, scoped per element', () => {
    const doc = parseXml(Buffer.from('<a xmlns="urn:1" xmlns:p="urn:2"><p:b><c xmlns="">t</c></p:b><d p:at="v" plain="w"/></a>'));
    expect([doc.ns, doc.name]).to.deep.equal(['urn:1', 'a']);
    const [b, d] = doc.children as [typeof doc, typeof doc];
    expect([b.ns, b.name]).to.deep.equal(['urn:2', 'b']);
    const c = b.children[0] as typeof doc;
    expect([c.ns, c.name, c.children]).to.deep.equal(['', 'c', ['t']]);
    expect(d.attrs).to.deep.equal([
      { ns: 'urn:2', name: 'at', value: 'v' },
      { ns: '', name: 'plain', value: 'w' },
    ]);
  });

  it('decodes character references, including ones above U+FFFF', () => {
    const doc = parseXml(Buffer.from("<a xmlns='DAV:'>&#65536;&amp;&lt;&#x41;</a>"));
    expect(doc.children).to.deep.equal(['\u{10000}&<A']);
  });

  it('answers 400 to bodies that are not well-formed or not namespace-valid', () => {
    for (const bad of [
      '<foo>',
      '<a></b>',
      '<a/><b/>',
      'text',
      '<p:a/>',
      '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
      '<a xmlns:xml="urn:x"/>',
      '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
      '<a x="1" x="2"/>',
    ]) {
      expect(
        status(() => parseXml(Buffer.from(bad))),
        bad,
      ).to.equal(400);
    }
    expect(status(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])))).to.equal(400);
  });

  it('serialises fragments that stand alone and parse back to the same tree', () => {
    const doc = parseXml(Buffer.from('<w xmlns:t="urn:t"><t:v xmlns:q="urn:q"><foo xmlns="bar" q:a="1">x &amp; y</foo> tail</t:v></w>'));
    const v = doc.children[0] as typeof doc;
    const fragment = serializeFragment(v.children);
    const wrapped = parseXml(Buffer.from(`<D:x xmlns:D="DAV:" xmlns="urn:default">${fragment}</D:x>`));
    expect(wrapped.children).to.deep.equal(v.children);
  });

  it('writes property elements in any namespace, including none', () => {
    expect(propertyElement('DAV:', 'getetag', '"x"')).to.equal('<D:getetag>"x"</D:getetag>');
    expect(propertyElement('urn:a&b', 'p', '')).to.equal('<P:p xmlns:P="urn:a&amp;b"/>');
    expect(propertyElement('', 'nonamespace', 'v')).to.equal('<nonamespace xmlns="">v</nonamespace>');
  });

  it('replaces characters XML cannot carry', () => {
    expect(escapeText('a\u0001b<\uD800')).to.equal('a\uFFFDb&lt;\uFFFD');
  });
});

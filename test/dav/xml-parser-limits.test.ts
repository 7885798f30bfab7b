// Bodies the XML parser refuses although they are well-formed (its nesting limit) are a client error.

import { expect } from 'chai';
import { DavError } from '../../src/dav/status.js';
import { parseXml } from '../../src/dav/xml.js';

describe('dav xml parser limits', () => {
  it('answers 400, not an internal error, to elements nested past the parser limit', () => {
    const deep = '<D:propfind xmlns:D="DAV:"><D:prop>' + '<D:a>'.repeat(500) + '</D:a>'.repeat(500) + '</D:prop></D:propfind>';
    let caught: unknown;
    try {
      parseXml(Buffer.from(deep));
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(DavError);
    expect((caught as DavError).status).to.equal(400);
  });

  it('still parses documents nested as deep as property values normally go', () => {
    const doc = parseXml(Buffer.from('<a xmlns="urn:x">' + '<b>'.repeat(50) + 'v' + '</b>'.repeat(50) + '</a>'));
    expect(doc.name).to.equal('a');
  });
});

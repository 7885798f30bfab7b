// Query/form encoding (spaces as %20, never +) and filemanager batching.

import { expect } from 'chai';
import { batches, encodeParams } from '../../src/terabox/params.js';

describe('parameter encoding', () => {
  it('encodes a filelist JSON with %20 for spaces and %2B for plus', () => {
    const filelist = JSON.stringify([{ path: '/a b/1+1.txt', newname: 'c d+e.txt' }]);
    const body = encodeParams({ filelist });
    expect(body).to.not.include('+');
    expect(body).to.include('%20');
    expect(body).to.include('1%2B1.txt');
    expect(decodeURIComponent(body.slice('filelist='.length))).to.equal(filelist);
  });

  it('keeps non-ASCII names decodable and leaves out undefined values', () => {
    const body = encodeParams({ path: '/фото/日本.jpg', rtype: undefined, size: 0, ok: true });
    expect(body).to.equal(`path=${encodeURIComponent('/фото/日本.jpg')}&size=0&ok=true`);
  });

  it('escapes & and = inside values so they cannot add parameters', () => {
    const body = encodeParams({ path: '/a&jsToken=x' });
    expect(new URLSearchParams(body).get('path')).to.equal('/a&jsToken=x');
    expect([...new URLSearchParams(body).keys()]).to.deep.equal(['path']);
  });

  it('cuts 250 items into batches of 100, 100 and 50 in order', () => {
    const items = Array.from({ length: 250 }, (_, i) => i);
    const out = batches(items, 100);
    expect(out.map((b) => b.length)).to.deep.equal([100, 100, 50]);
    expect(out.flat()).to.deep.equal(items);
    expect(batches([], 100)).to.deep.equal([]);
  });
});

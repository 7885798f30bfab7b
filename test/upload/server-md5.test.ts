import { expect } from 'chai';
import { serverMd5For } from '../../src/upload/server-md5.js';
import { md5 } from '../support/index.js';

describe('upload/server-md5', () => {
  it('is the part md5 itself for a one-part file', () => {
    expect(serverMd5For(['0CC175B9C0F1B6A831C399E269772661'])).to.equal('0cc175b9c0f1b6a831c399e269772661');
  });

  it('is the md5 of the compact JSON block list for several parts', () => {
    const list = [md5('a'), md5('b'), md5('c')];
    expect(serverMd5For(list)).to.equal(md5(`["${list.join('","')}"]`));
  });

  it('refuses an empty block list', () => {
    expect(() => serverMd5For([])).to.throw(RangeError);
  });
});

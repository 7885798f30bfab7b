// The md5 obfuscation codec against the verified real pair, and its round-trip properties.

import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { decodeMd5, encodeMd5, isObfuscatedMd5 } from '../../src/terabox/md5-codec.js';

const OBFUSCATED = '0b2611faaj13ec1a1c1e6474a5ef8efc';
const PLAIN = '2ab821f50a05549d2c4443131d3d2113';

describe('md5 codec', () => {
  it('decodes the verified obfuscated md5 to its plain form', () => {
    expect(decodeMd5(OBFUSCATED)).to.equal(PLAIN);
  });

  it('encodes the verified plain md5 to its obfuscated form', () => {
    expect(encodeMd5(PLAIN)).to.equal(OBFUSCATED);
  });

  it('tells the obfuscated form from plain hex by the letter at position 9', () => {
    expect(isObfuscatedMd5(OBFUSCATED)).to.equal(true);
    expect(isObfuscatedMd5(PLAIN)).to.equal(false);
  });

  it('returns a plain md5 unchanged (lower-cased) from decode', () => {
    expect(decodeMd5(PLAIN.toUpperCase())).to.equal(PLAIN);
  });

  it('decodes upper-case obfuscated values', () => {
    expect(decodeMd5(OBFUSCATED.toUpperCase())).to.equal(PLAIN);
  });

  it('round-trips 200 random digests, each encoding marked as obfuscated', () => {
    for (let i = 0; i < 200; i++) {
      const md5 = createHash('md5').update(randomBytes(16)).digest('hex');
      const enc = encodeMd5(md5);
      expect(isObfuscatedMd5(enc), enc).to.equal(true);
      expect(decodeMd5(enc)).to.equal(md5);
    }
  });

  it('refuses values that are neither form', () => {
    expect(() => decodeMd5('xyz')).to.throw(/not an md5/);
    expect(() => decodeMd5('0b2611faaz13ec1a1c1e6474a5ef8efc')).to.throw(/not an md5/);
    expect(() => encodeMd5(OBFUSCATED)).to.throw(/not a plain md5/);
  });
});

// The name codec on its own: every refused character maps to a look-alike and back, real look-alikes
// and the escape mark survive a round trip, and names made by other TeraBox clients come back as they are.

import { expect } from 'chai';
import { NameCodec, withNameEncoding, MAX_PATH_CHARS } from '../../src/terabox/name-encoding.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { TeraBoxError } from '../../src/terabox/errors.js';

describe('terabox name encoding', () => {
  const codec = new NameCodec();

  const MAPPED: [string, string][] = [
    ['a:b', 'a：b'],
    ['what?', 'what？'],
    ['st*r', 'st＊r'],
    ['<x>', '＜x＞'],
    ['p|q', 'p｜q'],
    ['say "hi"', 'say ＂hi＂'],
    ['back\\slash', 'back＼slash'],
    ['tab\there', 'tab\u2409here'],
    ['del\x7f', 'del\u2421'],
    ['trailing.', 'trailing．'],
    ['trailing ', 'trailing\u2420'],
    [' leading', '\u2420leading'],
  ];
  for (const [name, stored] of MAPPED) {
    it(`stores ${JSON.stringify(name)} as ${JSON.stringify(stored)} and reads it back`, () => {
      expect(codec.encodeName(name)).to.equal(stored);
      expect(codec.decodeName(stored)).to.equal(name);
    });
  }

  it('escapes a real look-alike so it is not read back as the ASCII character', () => {
    expect(codec.encodeName('a：b')).to.equal('a‛：b');
    expect(codec.decodeName('a‛：b')).to.equal('a：b');
    expect(codec.encodeName('x．')).to.equal('x‛．');
    expect(codec.decodeName(codec.encodeName('x．'))).to.equal('x．');
  });

  it('round-trips awkward mixes of marks, look-alikes and mapped characters', () => {
    for (const name of [
      '‛',
      '‛:',
      '‛：',
      '‛‛：',
      'a‛b',
      ':‛',
      '‛‛',
      '．',
      '␠',
      ' ␠ ',
      'a.b.',
      'a ．',
      '..．',
      'ok.txt',
      '.hidden',
      'é:ü?',
    ]) {
      const stored = codec.encodeName(name);
      expect(codec.decodeName(stored), `${JSON.stringify(name)} via ${JSON.stringify(stored)}`).to.equal(name);
      expect(stored).not.to.match(/[\\:*?"<>|\x00-\x1f\x7f]/);
      expect(stored.endsWith('.') || stored.endsWith(' ') || stored.startsWith(' ')).to.equal(false);
    }
  });

  it('leaves names other TeraBox clients made as they are (a lone mark, a look-alike in the middle)', () => {
    for (const stored of ['it‛s', 'a．b', 'x␠y', 'plain.txt']) {
      expect(codec.encodeName(codec.decodeName(stored))).to.equal(stored);
    }
  });

  it('maps paths segment by segment', () => {
    expect(codec.encodePath('/a:b/c?.txt')).to.equal('/a：b/c？.txt');
    expect(codec.decodePath('/a：b/c？.txt')).to.equal('/a:b/c?.txt');
    expect(codec.encodePath('/')).to.equal('/');
  });

  describe('checkPath through the decorator', () => {
    const seen: string[] = [];
    const inner = {
      checkPath(p: string) {
        seen.push(p);
        if (/[:?*]/.test(p)) throw new TeraBoxError('refused', { code: 'INVALID_NAME', endpoint: 'name check' });
      },
    } as unknown as TeraBoxApi;

    it('fullwidth: the mapped name passes; refuse: the client refuses it', () => {
      withNameEncoding(inner, 'fullwidth').checkPath('/a:b.txt');
      expect(seen.at(-1)).to.equal('/a：b.txt');
      expect(() => withNameEncoding(inner, 'refuse').checkPath('/a:b.txt')).to.throw(TeraBoxError, 'refused');
    });

    for (const mode of ['fullwidth', 'refuse'] as const) {
      it(`${mode}: names over 255 bytes and paths over ${MAX_PATH_CHARS} characters are refused before the client sees them`, () => {
        const api = withNameEncoding(inner, mode);
        const before = seen.length;
        expect(() => api.checkPath('/' + 'é'.repeat(128))).to.throw(TeraBoxError, /256 bytes/);
        expect(() => api.checkPath('/' + 'd/'.repeat(500) + 'f')).to.throw(TeraBoxError, /1002 characters/);
        expect(seen.length).to.equal(before);
        api.checkPath('/' + 'é'.repeat(127));
      });
    }

    it('refuse: a trailing dot or space and a leading space are refused before the client sees them (TeraBox answers -7)', () => {
      const api = withNameEncoding(inner, 'refuse');
      const before = seen.length;
      for (const p of ['/end.', '/dir./f', '/end ', '/ lead', '/d/ lead/f']) {
        expect(() => api.checkPath(p), JSON.stringify(p)).to.throw(TeraBoxError, /name/);
      }
      expect(seen.length).to.equal(before);
      for (const p of ['/a.b', '/a b', '/.hidden', '/…']) api.checkPath(p);
      // fullwidth maps them instead: what reaches the client's check is a name TeraBox takes.
      const full = withNameEncoding(inner, 'fullwidth');
      for (const p of ['/end.', '/end ', '/ lead']) full.checkPath(p);
      expect(seen.slice(-3)).to.deep.equal(['/end．', '/end␠', '/␠lead']);
    });

    it('fullwidth: the 255-byte limit counts the name as it travels (a look-alike is 3 bytes)', () => {
      const api = withNameEncoding(inner, 'fullwidth');
      api.checkPath('/' + ':'.repeat(85));
      expect(() => api.checkPath('/' + ':'.repeat(86))).to.throw(TeraBoxError, /258 bytes/);
    });
  });
});

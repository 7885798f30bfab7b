// Cookie normalisation and which hosts may receive the cookie.

import { expect } from 'chai';
import { cookieAppliesTo, normaliseCookie } from '../../src/terabox/cookie.js';

describe('cookie', () => {
  it('turns a bare ndus value into "ndus=<v>; lang=en"', () => {
    expect(normaliseCookie('  Y-abc123  ')).to.equal('ndus=Y-abc123; lang=en');
  });

  it('keeps a full cookie string as given, without a pasted "Cookie:" prefix', () => {
    expect(normaliseCookie('browserid=x; ndus=Y-abc; lang=en')).to.equal('browserid=x; ndus=Y-abc; lang=en');
    expect(normaliseCookie('Cookie: ndus=Y-abc')).to.equal('ndus=Y-abc');
  });

  it('refuses an empty cookie or one with a line break, without quoting it', () => {
    expect(() => normaliseCookie('   ')).to.throw(/empty/);
    try {
      normaliseCookie('ndus=SECRET\r\nX-Evil: 1');
      expect.fail('accepted a header injection');
    } catch (e) {
      expect((e as Error).message)
        .to.match(/line break/)
        .and.not.include('SECRET');
    }
  });

  it('applies to the same host and its sibling subdomains, not to other sites', () => {
    expect(cookieAppliesTo('www.terabox.com', 'www.terabox.com')).to.equal(true);
    expect(cookieAppliesTo('c-jp.terabox.com', 'www.terabox.com')).to.equal(true);
    expect(cookieAppliesTo('d.terabox.com', 'jp.terabox.com')).to.equal(true);
    expect(cookieAppliesToBoth('data.terabox.app', 'www.terabox.com')).to.equal(false);
    expect(cookieAppliesTo('evilterabox.com', 'www.terabox.com')).to.equal(false);
  });

  it('matches IP hosts only exactly (ports do not isolate cookies)', () => {
    expect(cookieAppliesTo('127.0.0.1', '127.0.0.1')).to.equal(true);
    expect(cookieAppliesTo('127.0.0.2', '127.0.0.1')).to.equal(false);
  });
});

function cookieAppliesToBoth(a: string, b: string): boolean {
  return cookieAppliesTo(a, b) || cookieAppliesTo(b, a);
}

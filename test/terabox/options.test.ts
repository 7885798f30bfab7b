// Option defaults and validation, the default region URL and download-link expiry.

import { expect } from 'chai';
import { linkExpiry, DEFAULT_LINK_TTL_MS } from '../../src/terabox/download.js';
import { replaceFirstLabel, resolveOptions } from '../../src/terabox/options.js';
import { DESKTOP_USER_AGENT } from '../../src/terabox/wire.js';

describe('client options', () => {
  it('defaults to www.terabox.com, the desktop UA, /api style, dlna downloads and 4 GiB / 128 GiB limits', () => {
    const o = resolveOptions({ cookie: 'ndus=x' });
    expect(o).to.include({
      baseUrl: 'https://www.terabox.com',
      userAgent: DESKTOP_USER_AGENT,
      apiStyle: 'api',
      downloadApi: 'dlna',
      freeMaxFileSize: 4 * 1024 ** 3,
      vipMaxFileSize: 128 * 1024 ** 3,
    });
    expect(o.regionUrl('jp')).to.equal('https://jp.terabox.com');
  });

  it('replaces the first host label for a region, keeping scheme and port', () => {
    expect(replaceFirstLabel('https://www.terabox.com', 'jp')).to.equal('https://jp.terabox.com');
    expect(replaceFirstLabel('https://www.1024terabox.com', 'us')).to.equal('https://us.1024terabox.com');
    expect(replaceFirstLabel('http://terabox.test:8080', 'jp')).to.equal('http://jp.terabox.test:8080');
  });

  it('merges partial timeouts and retry settings over the defaults', () => {
    const o = resolveOptions({ cookie: 'x', timeouts: { connectMs: 5 }, retry: { attempts: 2 } });
    expect(o.timeouts.connectMs).to.equal(5);
    expect(o.timeouts.requestMs).to.be.greaterThan(0);
    expect(o.retry).to.include({ attempts: 2 });
  });

  it('refuses a base URL that is not a URL and non-positive limits', () => {
    expect(() => resolveOptions({ cookie: 'x', baseUrl: 'not a url' })).to.throw(/baseUrl/);
    expect(() => resolveOptions({ cookie: 'x', timeouts: { requestMs: 0 } })).to.throw(/timeouts.requestMs/);
    expect(() => resolveOptions({ cookie: 'x', maxConnections: -1 })).to.throw(/maxConnections/);
  });
});

describe('download link expiry', () => {
  const now = 1_700_000_000_000;

  it('takes expires= (unix seconds) less a safety margin', () => {
    const expires = now / 1000 + 8 * 3600;
    expect(linkExpiry(`https://d.terabox.com/file/x?fid=1&expires=${expires}&sign=s`, now)).to.equal(expires * 1000 - 5 * 60_000);
  });

  it('never puts a short-lived link past half of its remaining life', () => {
    const expires = now / 1000 + 120;
    expect(linkExpiry(`https://d/x?expires=${expires}`, now)).to.equal(now + 60_000);
  });

  it('assumes an hour when the link says nothing', () => {
    expect(linkExpiry('https://d.terabox.com/file/x?fid=1', now)).to.equal(now + DEFAULT_LINK_TTL_MS);
    expect(linkExpiry('https://d/x?expires=soon', now)).to.equal(now + DEFAULT_LINK_TTL_MS);
  });

  it('gives a link already past its expiry by our clock one minute, then a re-mint', () => {
    expect(linkExpiry(`https://d/x?expires=${now / 1000 - 10}`, now)).to.equal(now + 60_000);
  });
});

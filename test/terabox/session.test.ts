// Session state: single-flight token refresh, generations, region switching.

import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { Session, type TokenScraper } from '../../src/terabox/session.js';

function session(scrape: TokenScraper, baseUrl = 'https://www.terabox.com'): Session {
  return new Session({
    cookie: 'ndus=x',
    baseUrl,
    regionUrl: (p) => `https://${p}.terabox.com`,
    scrape,
    logger: silentLogger,
  });
}

describe('session', () => {
  it('shares one page fetch among concurrent refreshes of the same generation', async () => {
    let fetches = 0;
    const s = session(async (base) => {
      fetches++;
      await new Promise((r) => setTimeout(r, 10));
      return { tokens: { jsToken: `T${fetches}`, bdstoken: 'B' }, origin: base };
    });
    await Promise.all([s.refreshTokens(0), s.refreshTokens(0), s.ensureTokens()]);
    expect(fetches).to.equal(1);
    expect(s.jsToken).to.equal('T1');
    expect(s.bdstoken).to.equal('B');
    expect(s.tokenGeneration).to.equal(1);
  });

  it('skips a refresh asked for an older generation (someone already refreshed)', async () => {
    let fetches = 0;
    const s = session(async (base) => ({ tokens: { jsToken: `T${++fetches}` }, origin: base }));
    await s.refreshTokens(0);
    await s.refreshTokens(0);
    expect(fetches).to.equal(1);
    await s.refreshTokens(1);
    expect(fetches).to.equal(2);
    expect(s.jsToken).to.equal('T2');
  });

  it('lets a failed scrape fail every waiter and the next refresh try again', async () => {
    let fetches = 0;
    const s = session(async (base) => {
      if (++fetches === 1) throw new Error('page down');
      return { tokens: { jsToken: 'OK' }, origin: base };
    });
    const results = await Promise.allSettled([s.refreshTokens(0), s.refreshTokens(0)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    await s.ensureTokens();
    expect(s.jsToken).to.equal('OK');
  });

  it('switches region: new base URL, tokens and upload host dropped, generation moved', async () => {
    const s = session(async (base) => ({ tokens: { jsToken: 'T' }, origin: base }));
    await s.ensureTokens();
    s.uploadHost = Promise.resolve('c-jp.terabox.com');
    expect(s.switchRegion('jp')).to.equal(true);
    expect(s.baseUrl).to.equal('https://jp.terabox.com');
    expect(s.jsToken).to.equal(undefined);
    expect(s.uploadHost).to.equal(undefined);
    expect(s.tokenGeneration).to.equal(2);
  });

  it('refuses to switch to the current region or to a malformed prefix', () => {
    const s = session(async (base) => ({ tokens: {}, origin: base }), 'https://jp.terabox.com');
    expect(s.switchRegion('jp')).to.equal(false);
    expect(s.switchRegion('evil.com/x')).to.equal(false);
    expect(s.switchRegion('')).to.equal(false);
    expect(s.baseUrl).to.equal('https://jp.terabox.com');
  });

  it('follows the page to another origin when it moved there', async () => {
    const s = session(async () => ({ tokens: { jsToken: 'T' }, origin: 'https://www.1024terabox.com' }));
    await s.ensureTokens();
    expect(s.baseUrl).to.equal('https://www.1024terabox.com');
  });

  it('drops tokens scraped for a region the session left meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = session(async (base) => {
      await gate;
      return { tokens: { jsToken: `for ${base}` }, origin: base };
    });
    const pending = s.refreshTokens(0);
    s.switchRegion('jp');
    release();
    await pending;
    expect(s.jsToken).to.equal(undefined);
    expect(s.baseUrl).to.equal('https://jp.terabox.com');
  });
});

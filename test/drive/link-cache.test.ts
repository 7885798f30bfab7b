import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { LinkCache } from '../../src/drive/link-cache.js';
import type { DownloadLink } from '../../src/terabox/api.js';

describe('LinkCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  function minter(lifeMs: number) {
    let minted = 0;
    const mint = async (): Promise<DownloadLink> => {
      minted++;
      await sleep(5);
      return { url: `http://cdn/${minted}`, expiresAt: now + lifeMs, headers: {} };
    };
    return { mint, count: () => minted };
  }

  it('reuses a link until the margin before its expiry, then mints a new one', async () => {
    const cache = new LinkCache({ marginMs: 1_000, now: clock });
    const m = minter(10_000);
    const a = await cache.get('k', m.mint);
    now += 8_999;
    expect(await cache.get('k', m.mint)).to.equal(a);
    now += 2;
    const b = await cache.get('k', m.mint);
    expect(b.url).to.not.equal(a.url);
    expect(m.count()).to.equal(2);
  });

  it('mints once for concurrent readers of the same file', async () => {
    const cache = new LinkCache({ marginMs: 0, now: clock });
    const m = minter(10_000);
    const links = await Promise.all([cache.get('k', m.mint), cache.get('k', m.mint), cache.get('k', m.mint)]);
    expect(new Set(links.map((l) => l.url)).size).to.equal(1);
    expect(m.count()).to.equal(1);
  });

  it('keeps links of different versions apart', async () => {
    const cache = new LinkCache({ marginMs: 0, now: clock });
    const m = minter(10_000);
    await cache.get('v1', m.mint);
    await cache.get('v2', m.mint);
    expect(m.count()).to.equal(2);
  });

  it('mints again after forget (the server refused the link early)', async () => {
    const cache = new LinkCache({ marginMs: 0, now: clock });
    const m = minter(10_000);
    await cache.get('k', m.mint);
    cache.forget('k');
    await cache.get('k', m.mint);
    expect(m.count()).to.equal(2);
  });

  it('hands out but does not keep a link that is already inside the margin', async () => {
    const cache = new LinkCache({ marginMs: 5_000, now: clock });
    const m = minter(1_000);
    const a = await cache.get('k', m.mint);
    expect(a.url).to.match(/^http:\/\/cdn\//);
    await cache.get('k', m.mint);
    expect(m.count()).to.equal(2);
  });
});

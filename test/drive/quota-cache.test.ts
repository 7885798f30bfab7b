import { expect } from 'chai';
import { QuotaCache } from '../../src/drive/quota-cache.js';

describe('QuotaCache', () => {
  it('asks upstream once per TTL and reports used and available', async () => {
    let now = 0;
    let calls = 0;
    const cache = new QuotaCache(
      async () => {
        calls++;
        return { total: 100, used: 30 + calls, free: 70 - calls };
      },
      30_000,
      () => now,
    );
    expect(await cache.get()).to.deep.equal({ used: 31, available: 69 });
    now += 29_999;
    expect(await cache.get()).to.deep.equal({ used: 31, available: 69 });
    now += 1;
    expect(await cache.get()).to.deep.equal({ used: 32, available: 68 });
    expect(calls).to.equal(2);
  });

  it('shares one call among concurrent askers and never reports negative space', async () => {
    let calls = 0;
    const cache = new QuotaCache(async () => {
      calls++;
      return { total: 10, used: 12, free: -2 };
    }, 1_000);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).to.deep.equal({ used: 12, available: 0 });
    expect(b).to.deep.equal(a);
    expect(calls).to.equal(1);
  });

  it('does not cache a failure', async () => {
    let calls = 0;
    const cache = new QuotaCache(async () => {
      if (++calls === 1) throw new Error('down');
      return { total: 10, used: 1, free: 9 };
    }, 1_000);
    await cache.get().catch(() => undefined);
    expect(await cache.get()).to.deep.equal({ used: 1, available: 9 });
  });
});

describe('QuotaCache adjustments by the drive', () => {
  it('moves used and available by the bytes the drive stored or freed, within the TTL', async () => {
    let calls = 0;
    const cache = new QuotaCache(
      async () => {
        calls++;
        return { total: 1000, used: 100, free: 900 };
      },
      30_000,
      () => 0,
    );
    await cache.get();
    cache.adjust(300);
    expect(await cache.get()).to.deep.equal({ used: 400, available: 600 });
    cache.adjust(-50);
    expect(await cache.get()).to.deep.equal({ used: 350, available: 650 });
    cache.adjust(-10_000);
    expect(await cache.get()).to.deep.equal({ used: 0, available: 1000 });
    expect(calls).to.equal(1);
    cache.invalidate();
    expect(await cache.get()).to.deep.equal({ used: 100, available: 900 });
    expect(calls).to.equal(2);
  });

  it('does not keep an answer fetched across a change', async () => {
    let release!: () => void;
    let calls = 0;
    const cache = new QuotaCache(
      async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return { total: 1000, used: 100 * calls, free: 1000 - 100 * calls };
      },
      30_000,
      () => 0,
    );
    const first = cache.get();
    await new Promise((r) => setImmediate(r));
    cache.adjust(5);
    release();
    await first;
    expect(await cache.get()).to.deep.equal({ used: 200, available: 800 });
  });
});

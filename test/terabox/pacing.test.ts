// The API pacer on a fake clock: bursts, the sustained rate, waiters served in order, rate-limit
// answers slowing the bucket and pausing everyone, recovery, and which calls are paced at all.

import { expect } from 'chai';
import { ApiPacer, isRateLimited, withPacing, type PacerClock } from '../../src/terabox/pacing.js';

/** A clock that only moves when a sleeper is due: sleeping advances time to the earliest wake-up. */
class FakeClock implements PacerClock {
  t = 1_000_000;
  private sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.t + ms, wake }));
  }
  /** Runs sleepers in time order until none is left. */
  async drain(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.sleepers.length === 0) return;
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
  }
}

async function startTimes(pacer: ApiPacer, clock: FakeClock, n: number): Promise<number[]> {
  const times: number[] = [];
  const all = Array.from({ length: n }, () => pacer.take().then(() => times.push(clock.now() - 1_000_000)));
  await clock.drain();
  await Promise.all(all);
  return times;
}

describe('API pacer (token bucket, fake clock)', () => {
  it('lets a burst go at once, then holds the configured rate', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 5, burst: 10, clock });
    const times = await startTimes(pacer, clock, 20);
    expect(times.slice(0, 10)).to.deep.equal(Array(10).fill(0));
    // The next ten come 200 ms apart.
    expect(times.slice(10)).to.deep.equal([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    // Over any whole second after the burst, at most 5 calls start.
    expect(times.filter((t) => t > 0 && t <= 1000)).to.have.length(5);
  });

  it('refills while idle, up to the burst only', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 5, burst: 3, clock });
    await startTimes(pacer, clock, 3);
    clock.t += 60_000;
    const times = await startTimes(pacer, clock, 5);
    expect(times.map((t) => t - 60_000)).to.deep.equal([0, 0, 0, 200, 400]);
  });

  it('halves the rate and pauses every caller after a rate-limit answer, then recovers', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 10, burst: 1, clock });
    await startTimes(pacer, clock, 1);
    pacer.penalize();
    expect(pacer.stats().limit).to.equal(5);
    const t0 = clock.now();
    const times = await startTimes(pacer, clock, 3);
    // The first waits out the 1 s pause; the others follow at the halved rate (200 ms apart).
    expect(times.map((t) => t + 1_000_000 - t0)).to.deep.equal([1000, 1200, 1400]);
    pacer.penalize();
    expect(pacer.stats().limit).to.equal(2.5);
    // Two in a row: a 2 s pause.
    const t1 = clock.now();
    const [first] = await startTimes(pacer, clock, 1);
    expect(first! + 1_000_000 - t1).to.be.at.least(2000);
    // Quiet for long enough, the rate climbs back to the configured one, and no further.
    clock.t += 120_000;
    expect(pacer.stats().limit).to.equal(10);
  });

  it('sends callers that queued before a pause behind it, at the slowed rate, not all at once when it ends', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
    await pacer.take();
    const times: number[] = [];
    const waiting = [1, 2, 3].map(() => pacer.take().then(() => times.push(clock.now() - 1_000_000)));
    pacer.penalize(); // they had reserved 200, 400 and 600 ms
    await clock.drain();
    await Promise.all(waiting);
    expect(times).to.deep.equal([1000, 1400, 1800]);
  });

  it('takes the server Retry-After as the pause', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 100, burst: 100, clock });
    let n = 0;
    const reply = () => ({ status: n++ === 0 ? 429 : 200, errno: 0, headers: { 'retry-after': '7' } as Record<string, string> });
    await withPacing(pacer, '/api/list', async () => reply());
    const t0 = clock.now();
    const done = withPacing(pacer, '/api/list', async () => reply());
    await clock.drain();
    await done;
    expect(clock.now() - t0).to.equal(7000);
    expect(pacer.stats().rateLimited).to.equal(1);
  });

  it('recognises HTTP 429 and errno 31034 as rate limits, nothing else', () => {
    expect(isRateLimited({ status: 429, errno: 0 })).to.equal(true);
    expect(isRateLimited({ status: 200, errno: 31034 })).to.equal(true);
    expect(isRateLimited({ status: 403, errno: 31034 })).to.equal(true);
    expect(isRateLimited({ status: 200, errno: -6 })).to.equal(false);
    expect(isRateLimited({ status: 503, errno: 0 })).to.equal(false);
  });

  it('does not pace part uploads (data transfers), and paces nothing when off', async () => {
    const clock = new FakeClock();
    const pacer = new ApiPacer({ callsPerSecond: 1, burst: 1, clock });
    const ok = async () => ({ status: 200, errno: 0, headers: {} });
    for (let i = 0; i < 5; i++) await withPacing(pacer, '/rest/2.0/pcs/superfile2', ok);
    expect(clock.now()).to.equal(1_000_000);
    const off = new ApiPacer({ callsPerSecond: 0, burst: 1, clock });
    for (let i = 0; i < 50; i++) await withPacing(off, '/api/list', ok);
    expect(clock.now()).to.equal(1_000_000);
    expect(off.stats().callsPerSecond).to.equal(10); // 50 calls over the 5 s window
  });

  it('refuses nonsense settings', () => {
    expect(() => new ApiPacer({ callsPerSecond: -1, burst: 1 })).to.throw(RangeError);
    expect(() => new ApiPacer({ callsPerSecond: 5, burst: 0 })).to.throw(RangeError);
  });
});

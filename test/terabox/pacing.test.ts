// The API pacer on a fake clock: bursts, the sustained rate, waiters served in order, rate-limit
// answers slowing the bucket and pausing everyone, recovery, and which calls are paced at all.

import { expect } from 'chai';
import { ApiPacer, isRateLimited, withPacing, type PacerClock } from '../../src/terabox/pacing.js';
import { inBackground, isBackground } from '../../src/terabox/priority.js';

/** A clock that only moves when a sleeper is due: sleeping advances time to the earliest wake-up. */
class FakeClock implements PacerClock {
  t = 1_000_000;
  private sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((wake, fail) => {
      if (signal?.aborted) return fail(signal.reason);
      const sleeper = { at: this.t + ms, wake };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        fail(signal.reason);
      });
    });
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

  describe('foreground before background', () => {
    /** Queues takes in the order given; answers who started when (ms after the first take), in start order. */
    async function run(pacer: ApiPacer, clock: FakeClock, order: ('fg' | 'bg')[]): Promise<string[]> {
      const t0 = clock.now();
      const started: string[] = [];
      let bg = 0;
      let fg = 0;
      const all = order.map((p) => {
        const name = p === 'bg' ? `bg${bg++}` : `fg${fg++}`;
        return pacer.take(undefined, p === 'bg' ? 'background' : 'foreground').then(() => started.push(`${name}@${clock.now() - t0}`));
      });
      await clock.drain();
      await Promise.all(all);
      return started;
    }

    it('grants a foreground take queued after many background ones first; background ones keep their order', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
      await pacer.take(); // the bucket is empty now
      const started = await run(pacer, clock, ['bg', 'bg', 'bg', 'bg', 'bg', 'bg', 'fg', 'bg', 'fg']);
      expect(started).to.deep.equal([
        'fg0@200',
        'fg1@400',
        'bg0@600',
        'bg1@800',
        'bg2@1000',
        'bg3@1200',
        'bg4@1400',
        'bg5@1600',
        'bg6@1800',
      ]);
    });

    it('a foreground take that arrives while background ones wait is served at the next token', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
      await pacer.take();
      const t0 = clock.now();
      const order: string[] = [];
      const bgs = Array.from({ length: 40 }, (_, n) => pacer.take(undefined, 'background').then(() => order.push(`bg${n}`)));
      expect(pacer.queued()).to.deep.equal({ foreground: 0, background: 40 });
      // Let three background calls go, then a client's call arrives.
      let fgAt = -1;
      const late = (async () => {
        while (order.length < 3) await new Promise((r) => setImmediate(r));
        await pacer.take();
        fgAt = clock.now() - t0;
        order.push('fg');
      })();
      await clock.drain();
      await Promise.all([...bgs, late]);
      expect(order.indexOf('fg')).to.equal(3);
      expect(fgAt).to.equal(800); // the fourth token; without priority it would be the 41st (8.2 s)
      expect(order.filter((n) => n !== 'fg')).to.deep.equal(Array.from({ length: 40 }, (_, n) => `bg${n}`));
    });

    it('background leaves a fifth of the burst to foreground calls; the sustained rate is unchanged', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 10, clock });
      expect(pacer.reserve).to.equal(2);
      const started = await run(pacer, clock, [...Array<'bg'>(10).fill('bg'), 'fg', 'fg', 'fg']);
      // Eight background calls at once, two tokens kept: the first two client calls go at once too.
      expect(started.slice(0, 10)).to.deep.equal([
        'bg0@0',
        'bg1@0',
        'bg2@0',
        'bg3@0',
        'bg4@0',
        'bg5@0',
        'bg6@0',
        'bg7@0',
        'fg0@0',
        'fg1@0',
      ]);
      // The next token goes to the third client call; background waits until the reserve has refilled
      // (two more tokens), then goes on at the full rate.
      expect(started.slice(10)).to.deep.equal(['fg2@200', 'bg8@800', 'bg9@1000']);
      // A small burst keeps no reserve (background must be able to run at all).
      expect(new ApiPacer({ callsPerSecond: 5, burst: 4, clock }).reserve).to.equal(0);
    });

    it('a rate-limit pause holds both priorities; afterwards foreground still goes first', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
      await pacer.take();
      const t0 = clock.now();
      const started: string[] = [];
      const bgs = [0, 1].map((n) => pacer.take(undefined, 'background').then(() => started.push(`bg${n}@${clock.now() - t0}`)));
      pacer.penalize(); // 1 s pause, rate halved to 2.5/s
      const fg = pacer.take().then(() => started.push(`fg@${clock.now() - t0}`));
      await clock.drain();
      await Promise.all([...bgs, fg]);
      expect(started).to.deep.equal(['fg@1000', 'bg0@1400', 'bg1@1800']);
    });

    it('an aborted waiter leaves the queue without costing anyone behind it a place', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
      await pacer.take();
      const t0 = clock.now();
      const started: string[] = [];
      const stopBg = new AbortController();
      const stopFg = new AbortController();
      const b0 = pacer.take(undefined, 'background').then(() => started.push(`bg0@${clock.now() - t0}`));
      const refused = (e: Error) => `refused: ${e.message}`;
      const b1 = pacer.take(stopBg.signal, 'background').then(() => 'granted', refused);
      const b2 = pacer.take(undefined, 'background').then(() => started.push(`bg2@${clock.now() - t0}`));
      const f0 = pacer.take(stopFg.signal).then(() => 'granted', refused);
      const f1 = pacer.take().then(() => started.push(`fg1@${clock.now() - t0}`));
      stopBg.abort(new Error('client gone'));
      stopFg.abort(new Error('client gone'));
      await clock.drain();
      expect(await Promise.all([b1, f0])).to.deep.equal(['refused: client gone', 'refused: client gone']);
      await Promise.all([b0, b2, f1]);
      expect(pacer.queued()).to.deep.equal({ foreground: 0, background: 0 });
      expect(started).to.deep.equal(['fg1@200', 'bg0@400', 'bg2@600']);
      // An already aborted signal is refused at once, without a token.
      const gone = new AbortController();
      gone.abort(new Error('gone'));
      const t1 = clock.now();
      await pacer.take(gone.signal).then(
        () => expect.fail('granted'),
        (e: Error) => expect(e.message).to.equal('gone'),
      );
      const next = pacer.take();
      await clock.drain();
      await next;
      expect(clock.now() - t1).to.be.at.most(200);
    });

    it('inBackground() marks calls across awaits and timers, and only inside it', async () => {
      const clock = new FakeClock();
      const pacer = new ApiPacer({ callsPerSecond: 5, burst: 1, clock });
      await pacer.take();
      const ok = async () => ({ status: 200, errno: 0, headers: {} });
      const order: string[] = [];
      const seen: boolean[] = [];
      const background = inBackground(async () => {
        seen.push(isBackground());
        await new Promise((r) => setTimeout(r, 1));
        await Promise.resolve();
        seen.push(isBackground());
        await Promise.all(
          [0, 1, 2].map(async (n) => {
            await new Promise((r) => setImmediate(r));
            await withPacing(pacer, '/api/filemetas', ok);
            order.push(`bg${n}`);
          }),
        );
      });
      expect(isBackground()).to.equal(false);
      // The client's call arrives once all three background calls are queued.
      while (pacer.queued().background < 3) await new Promise((r) => setImmediate(r));
      const foreground = withPacing(pacer, '/api/list', ok).then(() => order.push('fg'));
      await clock.drain();
      await Promise.all([background, foreground]);
      expect(seen).to.deep.equal([true, true]);
      expect(order).to.deep.equal(['fg', 'bg0', 'bg1', 'bg2']);
    });
  });
});

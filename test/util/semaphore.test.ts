import { expect } from 'chai';
import { setTimeout as delay } from 'node:timers/promises';
import { Semaphore } from '../../src/util/semaphore.js';

describe('util/semaphore', () => {
  it('never lets more than its size run at once', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sem.acquire().then(async (release) => {
          running++;
          peak = Math.max(peak, running);
          await delay(1 + (i % 3));
          running--;
          release();
        }),
      ),
    );
    expect(peak).to.equal(3);
    expect(sem.inUse).to.equal(0);
  });

  it('hands slots out in the order they were asked for', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      sem.acquire().then((r) => {
        order.push(n);
        r();
      }),
    );
    release();
    await Promise.all(waiters);
    expect(order).to.deep.equal([1, 2, 3]);
  });

  it('drops a waiter whose signal fires, and gives its turn to the next', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const gone = new AbortController();
    const abandoned = sem.acquire(gone.signal);
    const next = sem.acquire();
    gone.abort(new Error('client left'));
    let reason: unknown;
    await abandoned.catch((e: unknown) => (reason = e));
    expect((reason as Error).message).to.equal('client left');
    release();
    (await next)();
    expect(sem.inUse).to.equal(0);
  });

  it('ignores a second release of the same slot', async () => {
    const sem = new Semaphore(2);
    const release = await sem.acquire();
    release();
    release();
    expect(sem.inUse).to.equal(0);
    await sem.acquire();
    await sem.acquire();
    expect(sem.inUse).to.equal(2);
  });

  it('refuses a size below one', () => {
    expect(() => new Semaphore(0)).to.throw(RangeError);
  });
});

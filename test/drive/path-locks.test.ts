import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { PathLocks } from '../../src/drive/path-locks.js';
import { SingleFlight } from '../../src/drive/single-flight.js';

describe('PathLocks', () => {
  it('runs two holders of the same path one after the other', async () => {
    const locks = new PathLocks();
    const events: string[] = [];
    const job = (name: string) =>
      locks.with(['/f'], async () => {
        events.push(`${name} start`);
        await sleep(20);
        events.push(`${name} end`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events).to.deep.equal(['a start', 'a end', 'b start', 'b end']);
    expect(locks.size).to.equal(0);
  });

  it('lets different paths run at the same time', async () => {
    const locks = new PathLocks();
    let inside = 0;
    let most = 0;
    const job = (p: string) =>
      locks.with([p], async () => {
        most = Math.max(most, ++inside);
        await sleep(20);
        inside--;
      });
    await Promise.all([job('/a'), job('/b')]);
    expect(most).to.equal(2);
  });

  it('does not deadlock two callers taking the same pair in opposite order', async () => {
    const locks = new PathLocks();
    const done: string[] = [];
    await Promise.all([
      locks.with(['/a', '/b'], async () => {
        await sleep(10);
        done.push('ab');
      }),
      locks.with(['/b', '/a'], async () => {
        await sleep(10);
        done.push('ba');
      }),
    ]);
    expect(done).to.have.members(['ab', 'ba']);
  });

  it('releases the path when the holder throws', async () => {
    const locks = new PathLocks();
    await locks.with(['/f'], async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(locks.size).to.equal(0);
    expect(await locks.with(['/f'], async () => 'next')).to.equal('next');
  });
  it('makes an operation on a folder wait for work under it, and work under a folder wait for the folder', async () => {
    const locks = new PathLocks();
    const events: string[] = [];
    const job = (name: string, p: string, ms: number) =>
      locks.with([p], async () => {
        events.push(`${name} start`);
        await sleep(ms);
        events.push(`${name} end`);
      });
    await Promise.all([job('put', '/race/f.bin', 30), job('delete', '/race', 5), job('put2', '/race/g.bin', 5)]);
    // The folder DELETE waits for the PUT before it; the PUT after the DELETE waits for the DELETE.
    expect(events).to.deep.equal(['put start', 'put end', 'delete start', 'delete end', 'put2 start', 'put2 end']);
    expect(locks.size).to.equal(0);
  });

  it('does not confuse a folder with a sibling that shares its prefix', async () => {
    const locks = new PathLocks();
    let inside = 0;
    let most = 0;
    const job = (p: string) =>
      locks.with([p], async () => {
        most = Math.max(most, ++inside);
        await sleep(20);
        inside--;
      });
    await Promise.all([job('/race'), job('/race2/f'), job('/rac')]);
    expect(most).to.equal(3);
  });
});

describe('SingleFlight', () => {
  it('shares one call among concurrent callers and forgets it once settled', async () => {
    const flight = new SingleFlight<string, number>();
    let calls = 0;
    const fn = async () => {
      calls++;
      await sleep(10);
      return calls;
    };
    const [a, b] = await Promise.all([flight.run('k', fn), flight.run('k', fn)]);
    expect([a, b, calls]).to.deep.equal([1, 1, 1]);
    expect(flight.has('k')).to.equal(false);
    expect(await flight.run('k', fn)).to.equal(2);
  });

  it('forgets a failed call so the next caller tries again', async () => {
    const flight = new SingleFlight<string, number>();
    await flight.run('k', async () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(await flight.run('k', async () => 7)).to.equal(7);
  });
});

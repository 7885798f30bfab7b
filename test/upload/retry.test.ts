import { expect } from 'chai';
import { backoffDelay, retrying } from '../../src/upload/retry.js';

const fast = { baseMs: 1, maxMs: 4 };

describe('upload/retry', () => {
  it('doubles the delay per failure up to the cap, with half of it random', () => {
    const b = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(1, b, () => 0)).to.equal(50);
    expect(backoffDelay(1, b, () => 1)).to.equal(100);
    expect(backoffDelay(3, b, () => 0)).to.equal(200);
    expect(backoffDelay(10, b, () => 0.5)).to.equal(750);
  });

  it('retries until the call succeeds', async () => {
    let calls = 0;
    const result = await retrying(
      async () => {
        if (++calls < 3) throw new Error('flaky');
        return 'ok';
      },
      { attempts: 5, backoff: fast, retryable: () => true },
    );
    expect(result).to.equal('ok');
    expect(calls).to.equal(3);
  });

  it('gives up after the last try with the last error', async () => {
    let calls = 0;
    let error: unknown;
    await retrying(
      async () => {
        throw new Error(`failure ${++calls}`);
      },
      { attempts: 4, backoff: fast, retryable: () => true },
    ).catch((e: unknown) => (error = e));
    expect(calls).to.equal(4);
    expect((error as Error).message).to.equal('failure 4');
  });

  it('does not retry an error that is not retryable', async () => {
    let calls = 0;
    let error: unknown;
    await retrying(
      async () => {
        calls++;
        throw new Error('final');
      },
      { attempts: 5, backoff: fast, retryable: (e) => (e as Error).message !== 'final' },
    ).catch((e: unknown) => (error = e));
    expect(calls).to.equal(1);
    expect((error as Error).message).to.equal('final');
  });

  it('stops waiting between tries when the signal fires', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const started = Date.now();
    const run = retrying(
      async () => {
        calls++;
        throw new Error('down');
      },
      { attempts: 5, backoff: { baseMs: 60_000, maxMs: 60_000 }, retryable: () => true, signal: ctl.signal },
    );
    setTimeout(() => ctl.abort(new Error('shutdown')), 20);
    let error: unknown;
    await run.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('shutdown');
    expect(calls).to.equal(1);
    expect(Date.now() - started).to.be.below(30_000);
  });
});

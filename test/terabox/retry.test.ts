// The retry wrapper alone: which failures each policy repeats, the backoff, the attempt limit, abort.

import { expect } from 'chai';
import { TeraBoxError, failure } from '../../src/terabox/errors.js';
import {
  backoffDelay,
  isConnectError,
  retrying,
  shouldRetry,
  withRetry,
  type RetryPolicy,
  type RetrySettings,
} from '../../src/terabox/retry.js';
import { Errno } from '../../src/terabox/wire.js';

const SETTINGS: RetrySettings = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

function connectRefused(): TeraBoxError {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  return new TeraBoxError('/api/x: network error (ECONNREFUSED)', { code: 'TRANSIENT', endpoint: '/api/x', cause });
}

function socketReset(): TeraBoxError {
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return new TeraBoxError('/api/x: network error (UND_ERR_SOCKET)', { code: 'TRANSIENT', endpoint: '/api/x', cause });
}

/** Runs withRetry over a scripted list of outcomes, recording the sleeps instead of waiting. */
async function script(policy: RetryPolicy, outcomes: (Error | string)[], settings = SETTINGS) {
  const sleeps: number[] = [];
  let calls = 0;
  const result = withRetry(
    policy,
    settings,
    async () => {
      const next = outcomes[calls++];
      if (next instanceof Error) throw next;
      return next;
    },
    { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
  );
  return { result, sleeps, calls: () => calls };
}

describe('retry wrapper', () => {
  it('repeats an idempotent call after 5xx, 429, errno 31034 and network errors, then succeeds', async () => {
    const run = await script('idempotent', [
      failure('/api/list', { status: 502 }),
      failure('/api/list', { status: 429 }),
      failure('/api/list', { errno: Errno.TOO_FREQUENT }),
      'ok',
    ]);
    expect(await run.result).to.equal('ok');
    expect(run.calls()).to.equal(4);
  });

  it('waits exponentially longer, with jitter inside [step/2, step], capped at maxDelayMs', async () => {
    const run = await script('idempotent', [socketReset(), socketReset(), socketReset(), 'ok'], {
      attempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 300,
    });
    await run.result;
    expect(run.sleeps).to.deep.equal([75, 150, 225]);
    for (let n = 0; n < 6; n++) {
      const step = Math.min(1000, 100 * 2 ** n);
      expect(backoffDelay(n, SETTINGS, () => 0)).to.equal(step / 2);
      expect(backoffDelay(n, SETTINGS, () => 0.999999)).to.be.at.most(step);
    }
  });

  it('gives up after the configured attempts with the last error', async () => {
    const last = failure('/api/list', { status: 503 });
    const run = await script('idempotent', [failure('/api/list', { status: 500 }), failure('/api/list', { status: 500 }), last], {
      ...SETTINGS,
      attempts: 3,
    });
    const err = await run.result.catch((e: unknown) => e);
    expect(err).to.equal(last);
    expect(run.calls()).to.equal(3);
  });

  it('never repeats failures that a repeat cannot fix', async () => {
    for (const err of [failure('/api/x', { errno: Errno.EXISTS }), failure('/api/x', { errno: Errno.QUOTA }), new Error('bug')]) {
      const run = await script('idempotent', [err, 'ok']);
      expect(await run.result.catch((e: unknown) => e)).to.equal(err);
      expect(run.calls()).to.equal(1);
    }
  });

  it('repeats an unsafe call only when the connection was never made', async () => {
    const refused = await script('unsafe', [connectRefused(), 'ok']);
    expect(await refused.result).to.equal('ok');
    expect(refused.calls()).to.equal(2);

    for (const err of [
      socketReset(),
      failure('/api/filemanager', { status: 502 }),
      failure('/api/filemanager', { errno: Errno.TOO_FREQUENT }),
    ]) {
      const run = await script('unsafe', [err, 'ok']);
      expect(await run.result.catch((e: unknown) => e)).to.equal(err);
      expect(run.calls()).to.equal(1);
    }
  });

  it('makes one attempt under the caller policy, whatever the failure', async () => {
    for (const err of [connectRefused(), socketReset(), failure('/rest/2.0/pcs/superfile2', { status: 503 })]) {
      const run = await script('caller', [err, 'ok']);
      expect(await run.result.catch((e: unknown) => e)).to.equal(err);
      expect(run.calls()).to.equal(1);
    }
  });

  it('recognises connect-phase errors, also inside AggregateError and cause chains', () => {
    expect(isConnectError(connectRefused())).to.equal(true);
    const agg = Object.assign(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]), {});
    expect(isConnectError(agg)).to.equal(true);
    expect(isConnectError(Object.assign(new Error('t'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).to.equal(true);
    expect(isConnectError(socketReset())).to.equal(false);
    expect(shouldRetry(new Error('plain'), 'unsafe')).to.equal(false);
  });

  it('stops waiting and rejects with the abort reason when the signal fires', async () => {
    const ctrl = new AbortController();
    const started = Date.now();
    const pending = withRetry(
      'idempotent',
      { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      async () => {
        throw failure('/api/list', { status: 500 });
      },
      { signal: ctrl.signal },
    );
    setTimeout(() => ctrl.abort(new Error('caller left')), 20);
    const err = await pending.catch((e: unknown) => e);
    expect((err as Error).message).to.equal('caller left');
    expect(Date.now() - started).to.be.below(30_000);
  });
});

describe('retry engine', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 4 };

  it('retries until the call succeeds, telling each retry with its 1-based failure count', async () => {
    let calls = 0;
    const told: number[] = [];
    const result = await retrying(
      async () => {
        if (++calls < 3) throw new Error('flaky');
        return 'ok';
      },
      { attempts: 5, backoff: fast, retryable: () => true, onRetry: (_e, failures) => told.push(failures) },
    );
    expect(result).to.equal('ok');
    expect(calls).to.equal(3);
    expect(told).to.deep.equal([1, 2]);
  });

  it('gives up after the last try with the last error, and never retries what the predicate refuses', async () => {
    let calls = 0;
    const last = await retrying(
      async () => {
        throw new Error(`failure ${++calls}`);
      },
      { attempts: 4, backoff: fast, retryable: () => true },
    ).catch((e: unknown) => e);
    expect(calls).to.equal(4);
    expect((last as Error).message).to.equal('failure 4');

    calls = 0;
    const final = await retrying(
      async () => {
        calls++;
        throw new Error('final');
      },
      { attempts: 5, backoff: fast, retryable: (e) => (e as Error).message !== 'final' },
    ).catch((e: unknown) => e);
    expect(calls).to.equal(1);
    expect((final as Error).message).to.equal('final');
  });

  it('stops waiting between tries when the signal fires, with the signal reason', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const run = retrying(
      async () => {
        calls++;
        throw new Error('down');
      },
      { attempts: 5, backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, retryable: () => true, signal: ctl.signal },
    );
    ctl.abort(new Error('shutdown'));
    expect(((await run.catch((e: unknown) => e)) as Error).message).to.equal('shutdown');
    expect(calls).to.equal(1);
  });
});

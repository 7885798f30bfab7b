import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type JournalRow } from '../../src/upload/journal.js';
import { UploadError } from '../../src/upload/types.js';
import { WriteBackQueue, type CommitHooks } from '../../src/upload/write-back.js';
import type { RemoteEntry } from '../../src/terabox/api.js';
import { isBackground } from '../../src/terabox/priority.js';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** A commit the test settles by hand: each call waits for resolve/reject from the test. */
interface Call {
  row: JournalRow;
  hooks: CommitHooks;
  signal: AbortSignal;
  /** isBackground() inside the commit: its TeraBox calls wait behind a client's. */
  background: boolean;
  land(): void;
  fail(e: unknown): void;
}

describe('WriteBackQueue', () => {
  let dir: string;
  let journal: Journal;
  let calls: Call[];
  let forgotten: number[];
  let landed: string[];
  /** Commits that ignore their signal, as a create already on the wire does. */
  let deaf: boolean;

  function queue(opts: { maxActive?: number; failedRetryMs?: number; now?: () => number } = {}) {
    const q = new WriteBackQueue({
      journal,
      commit: (row, hooks, signal) =>
        new Promise((resolve, reject) => {
          const entry: RemoteEntry = { fsId: row.id, path: row.path, name: 'x', isDir: false, size: row.size, mtime: 1, ctime: 1 };
          calls.push({
            row,
            hooks,
            signal,
            background: isBackground(),
            land: () => resolve({ entry, rapid: false, partsSent: 1 }),
            fail: reject,
          });
          if (!deaf) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      forget: async (row) => {
        forgotten.push(row.id);
        journal.remove(row.id);
      },
      transient: (e) => !(e instanceof UploadError && e.code === 'QUOTA'),
      maxActive: opts.maxActive ?? 1,
      backoff: { baseDelayMs: 1, maxDelayMs: 2 },
      failedRetryMs: opts.failedRetryMs ?? 60_000,
      logger: { warn() {}, error() {}, info() {} } as never,
      now: opts.now,
    });
    q.onLanded((c) => landed.push(c.path));
    return q;
  }

  function add(q: WriteBackQueue, path: string, size = 10): number {
    const entry = { path, size, chunkSize: 4, blockMd5s: [MD5, MD5, MD5], spoolFile: `/nowhere/${path}`, mtime: 100 };
    const id = journal.begin(entry);
    q.add({ ...entry, id, confirmed: [], startedAt: Date.now() });
    return id;
  }

  const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wbq-'));
    journal = new Journal(join(dir, 'j.db'));
    calls = [];
    forgotten = [];
    landed = [];
    deaf = false;
  });
  afterEach(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits in the order the PUTs finished, within its concurrency, and forgets each once landed', async () => {
    const q = queue({ maxActive: 1 });
    add(q, '/a');
    add(q, '/b');
    q.start();
    await tick();
    expect(calls.map((c) => c.row.path)).to.deep.equal(['/a']);
    calls[0]!.hooks.onConfirmed(0);
    expect(q.at('/a')).to.include({ state: 'active', confirmedBytes: 4 });
    calls[0]!.land();
    await tick();
    expect(calls.map((c) => c.row.path)).to.deep.equal(['/a', '/b']);
    calls[1]!.land();
    await tick();
    expect(landed).to.deep.equal(['/a', '/b']);
    expect(q.list()).to.deep.equal([]);
    expect(journal.list()).to.deep.equal([]);
  });

  it('runs every commit, first tries and retries alike, at the pacer background priority', async () => {
    const q = queue({ maxActive: 2 });
    add(q, '/a');
    add(q, '/b');
    q.start();
    await tick();
    calls[0]!.fail(new Error('flaky'));
    calls[1]!.land();
    await tick(20);
    expect(calls.map((c) => `${c.row.path}:${c.background}`)).to.deep.equal(['/a:true', '/b:true', '/a:true']);
    calls[2]!.land();
    await tick();
    expect(isBackground()).to.equal(false);
    expect(landed).to.deep.equal(['/b', '/a']);
  });

  it('reports bytes confirmed and the recent rate of an active commit, on its own clock', async () => {
    let t = 1_000_000;
    const q = queue({ now: () => t });
    add(q, '/a', 10);
    q.start();
    await tick();
    expect(q.at('/a')).to.include({ state: 'active', confirmedBytes: 0, startedAt: 1_000_000 });
    t += 2_000;
    calls[0]!.hooks.onConfirmed(0);
    calls[0]!.hooks.onConfirmed(1);
    expect(q.list()[0]).to.include({ confirmedBytes: 8, rate: 4, updatedAt: 1_002_000 });
    calls[0]!.land();
    await tick();
  });

  it('retries a transient failure with backoff, and marks a permanent one failed until retryFailed() or failedRetryMs', async () => {
    const q = queue({ failedRetryMs: 50 });
    add(q, '/a');
    q.start();
    await tick();
    calls[0]!.fail(new UploadError('UNAVAILABLE', 'TeraBox unreachable'));
    await tick(20);
    expect(calls).to.have.length(2);
    expect(q.at('/a')).to.include({ attempts: 2, lastError: 'TeraBox unreachable' });
    calls[1]!.fail(new UploadError('QUOTA', 'no space'));
    await tick();
    expect(q.at('/a')).to.include({ state: 'failed', lastError: 'no space' });
    q.retryFailed();
    await tick();
    expect(calls).to.have.length(3);
    calls[2]!.fail(new UploadError('QUOTA', 'no space'));
    await tick();
    expect(q.at('/a')?.state).to.equal('failed');
    // Nothing said the space came back: it is tried again anyway after failedRetryMs.
    await tick(80);
    expect(calls).to.have.length(4);
    calls[3]!.land();
    await tick();
    expect(landed).to.deep.equal(['/a']);
  });

  it('cancel() stops a running commit at a safe point, waits for it, and drops its row', async () => {
    const q = queue();
    const id = add(q, '/dir/a');
    add(q, '/other');
    q.start();
    await tick();
    await q.cancel((p) => p.startsWith('/dir/'), 'deleted');
    expect(calls[0]!.signal.aborted).to.equal(true);
    expect(forgotten).to.deep.equal([id]);
    expect(q.list().map((c) => c.path)).to.deep.equal(['/other']);
  });

  it('hold() keeps commits from starting; release(rename) sends them to their new paths', async () => {
    const q = queue();
    const id = add(q, '/old/a');
    const held = await q.hold((p) => p.startsWith('/old/'), 'moving');
    q.start();
    await tick();
    expect(calls).to.have.length(0);
    held.release((p) => p.replace('/old/', '/new/'));
    await tick();
    expect(calls.map((c) => c.row.path)).to.deep.equal(['/new/a']);
    expect(journal.list().find((r) => r.id === id)?.path).to.equal('/new/a');
    calls[0]!.land();
    await tick();
    expect(landed).to.deep.equal(['/new/a']);
  });

  it('a commit whose create was on the wire when cancelled lands, and the listener hears of it before cancel() returns', async () => {
    const q = queue();
    deaf = true;
    add(q, '/a');
    q.start();
    await tick();
    // The commit ignores the abort (create takes no signal) and lands.
    const call = calls[0]!;
    const cancelled = q.cancel(() => true, 'deleted');
    call.land();
    await cancelled;
    expect(landed).to.deep.equal(['/a']);
  });
});

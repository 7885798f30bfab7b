import { expect } from 'chai';
import { DirCache, type RemoteItem } from '../../src/drive/dir-cache.js';
import { entryFromRemote } from '../../src/drive/entries.js';
import { loadEtagger, type Etagger } from '../../src/drive/etag.js';
import { joinPath } from '../../src/drive/paths.js';
import { ManualClock } from '../support/clock.js';

let etag: Etagger;
let nextFsId = 1;
function item(path: string, isDir = false): RemoteItem {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const remote = { fsId: nextFsId++, path, name, isDir, size: isDir ? 0 : 5, mtime: 1_700_000_000, ctime: 1_700_000_000 };
  return { remote, entry: entryFromRemote(remote, etag) };
}

/** A loader over a fixed tree that counts calls per directory. */
function fakeTree(tree: Record<string, string[]>) {
  const calls: string[] = [];
  const load = async (dir: string) => {
    calls.push(dir);
    await new Promise(setImmediate);
    const names = tree[dir];
    if (!names) throw Object.assign(new Error('not found'), { code: 'NOT_FOUND' });
    return names.map((n) => item(joinPath(dir, n.replace(/\/$/, '')), n.endsWith('/')));
  };
  return { calls, load };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('DirCache', () => {
  before(async () => {
    etag = await loadEtagger();
  });

  it('lists a directory once and then answers from memory', async () => {
    const { calls, load } = fakeTree({ '/': ['a/', 'f.txt'] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    const first = await cache.listing('/');
    const second = await cache.listing('/');
    expect([...first.keys()]).to.deep.equal(['a', 'f.txt']);
    expect(second).to.equal(first);
    expect(calls).to.deep.equal(['/']);
  });

  it('shares one upstream listing among concurrent misses', async () => {
    const { calls, load } = fakeTree({ '/d': ['x'] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    const all = await Promise.all([cache.listing('/d'), cache.listing('/d'), cache.listing('/d')]);
    expect(all[1]).to.equal(all[0]);
    expect(calls).to.deep.equal(['/d']);
  });

  it('lists again once the TTL has passed, and not before', async () => {
    const { calls, load } = fakeTree({ '/': [] });
    const clock = new ManualClock();
    const cache = new DirCache({ load, ttlMs: 30_000, maxDirs: 10, now: clock.now });
    await cache.listing('/');
    clock.advance(29_999);
    await cache.listing('/');
    expect(calls).to.deep.equal(['/']);
    clock.advance(2);
    await cache.listing('/');
    expect(calls).to.deep.equal(['/', '/']);
  });

  it('caches nothing with a TTL of 0', async () => {
    const { calls, load } = fakeTree({ '/': [] });
    const cache = new DirCache({ load, ttlMs: 0, maxDirs: 10 });
    await cache.listing('/');
    await cache.listing('/');
    expect(calls).to.have.length(2);
  });

  it('does not cache a failed listing', async () => {
    const { calls, load } = fakeTree({});
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    for (let i = 0; i < 2; i++) {
      const err = await cache.listing('/nope').catch((e: unknown) => e);
      expect((err as { code?: string }).code).to.equal('NOT_FOUND');
    }
    expect(calls).to.deep.equal(['/nope', '/nope']);
  });

  it('shows own writes in the cached parent listing at once', async () => {
    const { calls, load } = fakeTree({ '/d': ['old'] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    await cache.listing('/d');
    cache.upsert(item('/d/new'));
    cache.remove('/d/old');
    expect([...(await cache.listing('/d')).keys()]).to.deep.equal(['new']);
    expect(calls).to.deep.equal(['/d']);
  });

  it('seeds a new directory as empty and forgets invalidated listings', async () => {
    const { calls, load } = fakeTree({ '/d': ['x'] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    cache.seedEmpty('/fresh');
    expect((await cache.listing('/fresh')).size).to.equal(0);
    await cache.listing('/d');
    cache.invalidate('/d');
    expect(cache.peek('/d')).to.equal(undefined);
    await cache.listing('/d');
    expect(calls).to.deep.equal(['/d', '/d']);
  });

  it('removing a directory forgets its subtree but not siblings sharing a prefix', async () => {
    const { load } = fakeTree({ '/': ['a/', 'ab/'], '/a': ['b/'], '/a/b': [], '/ab': [] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    for (const d of ['/', '/a', '/a/b', '/ab']) await cache.listing(d);
    cache.remove('/a');
    expect(cache.peek('/a')).to.equal(undefined);
    expect(cache.peek('/a/b')).to.equal(undefined);
    expect(cache.peek('/ab')).to.not.equal(undefined);
    expect([...cache.peek('/')!.keys()]).to.deep.equal(['ab']);
  });

  it('forgets the subtree of a removed path whose parent listing is not cached (it may be a directory)', async () => {
    const { load } = fakeTree({ '/a/b': ['c/'], '/a/b/c': [], '/a': ['b/', 'f'] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 10 });
    for (const d of ['/a/b', '/a/b/c']) await cache.listing(d);
    cache.remove('/a/b');
    expect(cache.peek('/a/b')).to.equal(undefined);
    expect(cache.peek('/a/b/c')).to.equal(undefined);
    await cache.listing('/a');
    await cache.listing('/a/b');
    cache.remove('/a/f');
    expect([...cache.peek('/a')!.keys()]).to.deep.equal(['b']);
    expect(cache.peek('/a/b')).to.not.equal(undefined);
  });

  it('never caches a listing that was in flight while the directory changed', async () => {
    const gates = [deferred<RemoteItem[]>(), deferred<RemoteItem[]>()];
    let n = 0;
    const cache = new DirCache({ load: () => gates[n++]!.promise, ttlMs: 60_000, maxDirs: 10 });
    const early = cache.listing('/d');
    const written = item('/d/new');
    cache.upsert(written);
    // A caller arriving after the write must not join the listing that may predate it.
    const late = cache.listing('/d');
    expect(n).to.equal(2);
    gates[0]!.resolve([]);
    gates[1]!.resolve([written]);
    expect((await early).size).to.equal(0);
    expect([...(await late).keys()]).to.deep.equal(['new']);
    expect([...cache.peek('/d')!.keys()]).to.deep.equal(['new']);
  });

  it('keeps at most maxDirs listings', async () => {
    const { calls, load } = fakeTree({ '/1': [], '/2': [], '/3': [] });
    const cache = new DirCache({ load, ttlMs: 60_000, maxDirs: 2 });
    for (const d of ['/1', '/2', '/3', '/1']) await cache.listing(d);
    expect(calls).to.deep.equal(['/1', '/2', '/3', '/1']);
  });
});

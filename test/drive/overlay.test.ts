import { expect } from 'chai';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Database } from 'better-sqlite3';
import { openLocalState } from '../../src/drive/local-state.js';
import { Overlay } from '../../src/drive/overlay.js';
import { isDriveError } from '../../src/drive/types.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait-for.js';
import { tempDir, type TempDir } from '../support/index.js';

describe('Overlay', () => {
  let temp: TempDir;
  let tmp: string;
  let db: Database;
  let dir: string;
  let overlay: Overlay;
  let clock: ManualClock;

  beforeEach(async () => {
    temp = await tempDir('drive-overlay-');
    tmp = temp.dir;
    db = openLocalState(join(tmp, 'state.db'));
    dir = join(tmp, 'overlay');
    clock = new ManualClock();
    overlay = new Overlay(db, dir, clock.now);
  });
  afterEach(async () => {
    db.close();
    await temp.remove();
  });

  const bytes = (s: string) => Readable.from([Buffer.from(s)]);
  const read = async (path: string, range?: { start: number; end: number }) =>
    (await buffer(await overlay.open(overlay.get(path)!, range))).toString();

  it('stores a body and reads it back whole and by range', async () => {
    const row = await overlay.write('/d/._a', bytes('hello world'), { size: 11 });
    expect(row).to.include({ path: '/d/._a', size: 11 });
    expect(await read('/d/._a')).to.equal('hello world');
    expect(await read('/d/._a', { start: 6, end: 9 })).to.equal('worl');
    expect(await readdir(dir)).to.have.length(1);
  });

  it('keeps an empty body as a row with no content file', async () => {
    const row = await overlay.write('/.DS_Store', Readable.from([]));
    expect(row).to.include({ size: 0, content: null });
    expect(await read('/.DS_Store')).to.equal('');
    expect(await readdir(dir)).to.have.length(0);
    expect(overlay.putEmpty('/new.txt')).to.include({ path: '/new.txt', size: 0, content: null });
  });

  it('refuses a body shorter than its declared size and keeps the old content', async () => {
    await overlay.write('/._f', bytes('old'));
    const err = await overlay.write('/._f', bytes('shor'), { size: 10 }).catch((e: unknown) => e);
    expect(isDriveError(err, 'ABORTED')).to.equal(true);
    expect(await read('/._f')).to.equal('old');
    expect(await readdir(dir)).to.have.length(1);
  });

  it('keeps the old content when the write is aborted mid-body', async () => {
    await overlay.write('/._f', bytes('old'));
    const ac = new AbortController();
    async function* slow() {
      yield Buffer.from('new');
      ac.abort();
      await new Promise((r) => setTimeout(r, 20));
      yield Buffer.from('more');
    }
    const err = await overlay.write('/._f', Readable.from(slow()), { signal: ac.signal }).catch((e: unknown) => e);
    expect((err as Error).name).to.equal('AbortError');
    expect(await read('/._f')).to.equal('old');
    expect(await readdir(dir)).to.have.length(1);
  });

  it('replaces content on rewrite, keeping the creation time and removing the old file', async () => {
    const first = await overlay.write('/._f', bytes('one'));
    clock.advance(5_000);
    const second = await overlay.write('/._f', bytes('two!'));
    expect(second.ctime).to.equal(first.ctime);
    expect(second.mtime).to.equal(first.mtime + 5_000);
    expect(second.content).to.not.equal(first.content);
    expect(await read('/._f')).to.equal('two!');
    await waitFor(async () => (await readdir(dir)).length === 1, { what: 'the old content file is unlinked' });
    expect(await readdir(dir)).to.deep.equal([second.content]);
  });

  it('lists the direct members of a directory only', async () => {
    overlay.putEmpty('/d/a');
    overlay.putEmpty('/d/sub/b');
    overlay.putEmpty('/dx/c');
    expect(overlay.children('/d').map((r) => r.path)).to.deep.equal(['/d/a']);
    expect(overlay.children('/').map((r) => r.path)).to.deep.equal([]);
  });

  it('moves a subtree, replacing rows at the destination and leaving prefix siblings alone', async () => {
    await overlay.write('/a/._x', bytes('x'));
    overlay.putEmpty('/a/sub/y');
    overlay.putEmpty('/ab/z');
    const doomed = await overlay.write('/b/._old', bytes('old'));
    overlay.move('/a', '/b');
    expect(overlay.tree('/a')).to.deep.equal([]);
    expect(
      overlay
        .tree('/b')
        .map((r) => r.path)
        .sort(),
    ).to.deep.equal(['/b/._x', '/b/sub/y']);
    expect(overlay.children('/b/sub').map((r) => r.path)).to.deep.equal(['/b/sub/y']);
    expect(overlay.get('/ab/z')).to.not.equal(undefined);
    expect(await read('/b/._x')).to.equal('x');
    await waitFor(async () => !(await readdir(dir)).includes(doomed.content!), { what: 'the replaced content file is unlinked' });
  });

  it('copies a subtree with its own content files', async () => {
    await overlay.write('/a/._x', bytes('x'));
    await overlay.copy('/a', '/c');
    const copy = overlay.get('/c/._x')!;
    expect(copy.content).to.not.equal(overlay.get('/a/._x')!.content);
    overlay.removeTree('/a');
    await waitFor(async () => (await readdir(dir)).length === 1, { what: 'the removed content file is unlinked' });
    expect(await read('/c/._x')).to.equal('x');
    expect(await readdir(dir)).to.deep.equal([copy.content]);
  });

  it('survives a restart, and sweeps only its own orphaned files', async () => {
    await overlay.write('/._keep', bytes('kept'));
    await writeFile(join(dir, '0f8fad5b-d9cb-469f-a165-70867728950e'), 'orphan');
    await writeFile(join(dir, '7c9e6679-7425-40de-944b-e07fc1f90ae7.tmp'), 'half');
    await writeFile(join(dir, 'README'), 'not ours');
    db.close();
    db = openLocalState(join(tmp, 'state.db'));
    overlay = new Overlay(db, dir);
    expect(await read('/._keep')).to.equal('kept');
    expect((await readdir(dir)).sort()).to.deep.equal([overlay.get('/._keep')!.content, 'README'].sort());
  });
});

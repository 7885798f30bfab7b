// davfs2 (1.6.1, FUSE) against the drive: cp -r the tree in, unmount, check TeraBox and a fresh mount
// byte for byte; then mkdir, touch, mv, rm -r and edits through the mount, mirrored on a local copy.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installMissingClients, mustRun, requireFuse } from './commands.js';
import { Davfs2Mounts } from './davfs2-mount.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { compareCopy, makeTree, MiB, treeOf, walk, type Tree } from './tree.js';
import { davProblems, remoteProblems, zeroBytePaths } from './verify.js';

/** Basic auth as users run it (davfs2 reads it from its secrets file). */
const USER = { name: 'bob', password: 'm0unt+pass/word:y' };

describe('davfs2 against the drive', () => {
  let rig: DriveRig;
  let mounts: Davfs2Mounts;
  let src: string;
  let tree: Tree;
  /** What each folder on the drive must hold at the end, by prefix. */
  const finalTrees = new Map<string, Tree>();

  before(async function () {
    this.timeout(600_000);
    await installMissingClients();
    await requireFuse();
    rig = await startRig({ name: 'davfs2', user: USER });
    // mount.davfs drops root for the davfs2 account, which must reach its cache folders in here.
    await chmod(rig.tmp, 0o711);
    mounts = new Davfs2Mounts(rig.url, rig.tmp, USER);
    src = join(rig.tmp, 'src');
    tree = await makeTree(src, 'davfs2');
  });

  after(async () => {
    try {
      await mounts?.unmountAll();
      expect(await mounts?.leftovers()).to.deep.equal([]);
    } finally {
      await rig?.close();
    }
  });

  it('cp -r puts the tree in through the mount; after umount every byte is on TeraBox and nothing else', async () => {
    const mnt = await mounts.mount();
    await mustRun('cp', ['-r', src, join(mnt, 'tree')], { timeoutMs: 300_000 });
    await mounts.unmount(mnt);
    expect(await remoteProblems(rig, '/tree', tree)).to.deep.equal([]);
    expect(await davProblems(rig, '/tree', tree)).to.deep.equal([]);
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
  });

  it('a fresh mount (empty cache) reads every file back byte for byte, path by path, and lists the same names', async () => {
    const mnt = await mounts.mount();
    try {
      expect(await compareCopy(tree, join(mnt, 'tree'))).to.deep.equal([]);
      // Listing needs buf_size 64 (see Davfs2Mounts.mount); the byte check above does not list.
      expect(await walk(join(mnt, 'tree'))).to.deep.equal(await walk(src));
    } finally {
      await mounts.unmount(mnt);
    }
  });

  it('mkdir, touch, mv (files, folders, onto an existing file), rm -r, append and cp through the mount reach TeraBox', async () => {
    const mirror = join(rig.tmp, 'mirror');
    await mustRun('cp', ['-r', src, mirror]);
    const small = (dir: string) =>
      tree.files.filter((f) => f.rel.startsWith(`${dir}/`) && !f.rel.slice(dir.length + 1).includes('/') && f.size > 0 && f.size < MiB);
    const [l1, , l3, l4] = tree.dirs;
    const [movedFile, appended] = small(l4!);
    const [overwriter, overwritten] = small(l1!);
    const extra = join(rig.tmp, 'extra.bin');
    await writeFile(extra, randomBytes(3 * MiB + 17));
    // The same commands, run in the mount and in a local mirror of the tree; then both must match.
    const steps: string[][] = [
      ['mkdir', '-p', 'work/new folder/inner #2'],
      ['touch', 'work/new folder/created by touch.txt'],
      ['touch', 'one.bin'],
      ['mv', movedFile!.rel, 'work/new folder/moved ü.txt'],
      ['sh', '-c', 'printf " appended" >> "$1"', 'sh', appended!.rel],
      ['mv', overwriter!.rel, overwritten!.rel],
      ['mv', l3!, 'work/level 3 moved'],
      ['mv', 'only empties', 'work/only empties renamed'],
      ['cp', extra, 'work/new folder/inner #2/written.bin'],
      ['rm', '-r', l1!],
    ];
    const mnt = await mounts.mount();
    try {
      for (const step of steps) {
        await mustRun(step[0]!, step.slice(1), { cwd: join(mnt, 'tree') });
        await mustRun(step[0]!, step.slice(1), { cwd: mirror });
      }
    } finally {
      await mounts.unmount(mnt);
    }
    const expected = await treeOf(mirror);
    finalTrees.set('/tree', expected);
    expect(expected.files.some((f) => f.rel === 'work/new folder/moved ü.txt')).to.equal(true);
    expect(await remoteProblems(rig, '/tree', expected)).to.deep.equal([]);
    expect(await davProblems(rig, '/tree', expected)).to.deep.equal([]);
    const again = await mounts.mount();
    try {
      expect(await compareCopy(expected, join(again, 'tree'))).to.deep.equal([]);
      expect(await walk(join(again, 'tree'))).to.deep.equal(await walk(mirror));
    } finally {
      await mounts.unmount(again);
    }
  });

  it('over a flaky TeraBox (5xx, resets, rate limits, downloads cut mid-body) cp -r and a fresh read still give every byte', async () => {
    const prefix = `${tree.dirs[1]!}/`;
    const sub: Tree = {
      dirs: tree.dirs.filter((d) => d.startsWith(prefix)).map((d) => d.slice(prefix.length)),
      files: tree.files.filter((f) => f.rel.startsWith(prefix)).map((f) => ({ ...f, rel: f.rel.slice(prefix.length) })),
    };
    expect(sub.files.some((f) => f.size === 50 * MiB)).to.equal(true);
    finalTrees.set('/flaky', sub);
    await rig.terabox.setKnobs({
      faultSeed: 11,
      faults: {
        // Rates the retry budgets absorb (a part has 5 tries, a call 4, a read 5 resumes), so the
        // case fails only when the drive mishandles a fault, not when the dice are unlucky.
        superfile2: { http5xx: 0.05, reset: 0.05 },
        precreate: { errno31034: 0.1 },
        create: { http5xx: 0.1 },
        list: { http5xx: 0.1 },
        filemetas: { http5xx: 0.1 },
        data: { reset: 0.15 },
      },
    });
    try {
      const mnt = await mounts.mount();
      await mustRun('cp', ['-r', join(src, tree.dirs[1]!), join(mnt, 'flaky')], { timeoutMs: 300_000 });
      await mounts.unmount(mnt);
      const again = await mounts.mount();
      try {
        expect(await compareCopy(sub, join(again, 'flaky'))).to.deep.equal([]);
      } finally {
        await mounts.unmount(again);
      }
    } finally {
      await rig.terabox.setKnobs({ faults: {} });
    }
    expect(await remoteProblems(rig, '/flaky', sub)).to.deep.equal([]);
  });

  it('in write-through mode too (serve restarted with upload.mode write-through): cp -r of a small tree is on TeraBox after umount', async () => {
    await rig.restartServe({ uploadMode: 'write-through' });
    // Its own folder: the first Davfs2Mounts numbers its mount points and caches in rig.tmp.
    const wtDir = join(rig.tmp, 'write-through');
    await mkdir(wtDir, { mode: 0o711 });
    await chmod(wtDir, 0o711);
    const wtMounts = new Davfs2Mounts(rig.url, wtDir, USER);
    const small = join(rig.tmp, 'src-wt');
    const smallTree = await makeTree(small, 'davfs2-wt', 20);
    finalTrees.set('/wt', smallTree);
    const mnt = await wtMounts.mount();
    try {
      await mustRun('cp', ['-r', small, join(mnt, 'wt')], { timeoutMs: 300_000 });
    } finally {
      await wtMounts.unmount(mnt);
    }
    expect(await wtMounts.leftovers()).to.deep.equal([]);
    expect(await remoteProblems(rig, '/wt', smallTree)).to.deep.equal([]);
    expect(await davProblems(rig, '/wt', smallTree)).to.deep.equal([]);
  });

  it('leaves no mount, no lock, no stray local file or upload, and no error in the server log', async () => {
    expect(await mounts.leftovers()).to.deep.equal([]);
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    const local = await rig.localState();
    const zero = [...finalTrees].flatMap(([prefix, t]) => zeroBytePaths(prefix, t));
    expect(local.overlayPaths).to.deep.equal(zero.sort());
    expect(local.orphanContent).to.deep.equal([]);
    expect(local.locks).to.deep.equal([]);
  });
});

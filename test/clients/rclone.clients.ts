// rclone (Debian's 1.60.1, webdav remote, vendor `other`) against the drive: copy, check, sync,
// server-side move and copy, about, ranged cat, and names TeraBox refuses (mapped).

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installMissingClients, runCommand, type CommandResult } from './commands.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { LONG_NAME, makeTree, md5, MiB, treeOf, type Tree } from './tree.js';
import { davProblems, remoteProblems, zeroBytePaths } from './verify.js';
import { dav } from '../dav/client.js';

/** Basic auth as users run it; the password has the characters Basic-auth parsers get wrong. */
const USER = { name: 'alice', password: 's3cret+pass/word:x' };

describe('rclone against the drive', () => {
  let rig: DriveRig;
  let src: string;
  let tree: Tree;
  let home: string;
  let configPath: string;
  let obscuredPassword: string;

  /** The remote `tbw:` comes from the environment only; RCLONE_CONFIG names a file that must never appear. */
  function rcloneEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: home,
      RCLONE_CONFIG: configPath,
      RCLONE_CACHE_DIR: join(rig.tmp, 'rclone-cache'),
      RCLONE_CONFIG_TBW_TYPE: 'webdav',
      RCLONE_CONFIG_TBW_URL: rig.url,
      RCLONE_CONFIG_TBW_VENDOR: 'other',
      RCLONE_CONFIG_TBW_USER: USER.name,
      RCLONE_CONFIG_TBW_PASS: obscuredPassword,
    };
  }

  function rclone(args: string[]): Promise<CommandResult> {
    return runCommand('rclone', args, { timeoutMs: 180_000, env: rcloneEnv() });
  }

  function ok(r: CommandResult): CommandResult {
    expect(r.code, `rclone failed:\n${r.stderr}`).to.equal(0);
    return r;
  }

  before(async function () {
    this.timeout(600_000);
    await installMissingClients();
    rig = await startRig({ name: 'rclone', user: USER });
    home = join(rig.tmp, 'home');
    await mkdir(home);
    configPath = join(rig.tmp, 'rclone-config', 'rclone.conf');
    // rclone takes passwords from the environment only in its obscured form.
    obscuredPassword = ok(await rclone(['obscure', USER.password])).stdout.trim();
    src = join(rig.tmp, 'src');
    tree = await makeTree(src, 'rclone');
  });

  after(async () => {
    await rig?.close();
  });

  it('copies the tree (≥ 200 files, 4 deep, awkward names, 0 B to 50 MiB): every file on TeraBox with its exact name and bytes, nothing else', async () => {
    expect(tree.files.length).to.be.at.least(200);
    expect(Buffer.byteLength(LONG_NAME)).to.equal(200);
    ok(await rclone(['copy', '--create-empty-src-dirs', src, 'tbw:tree']));
    expect(await remoteProblems(rig, '/tree', tree)).to.deep.equal([]);
    expect(await davProblems(rig, '/tree', tree)).to.deep.equal([]);
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
  });

  it('rclone check finds no differences by size, and none with --download (every byte read back)', async () => {
    const bySize = ok(await rclone(['check', src, 'tbw:tree']));
    expect(bySize.stderr).to.contain(': 0 differences found');
    expect(bySize.stderr).to.contain(`: ${tree.files.length} matching files`);
    const byBytes = ok(await rclone(['check', '--download', src, 'tbw:tree']));
    expect(byBytes.stderr).to.contain(': 0 differences found');
    expect(byBytes.stderr).to.contain(`: ${tree.files.length} matching files`);
  });

  it('a second rclone sync transfers nothing and TeraBox sees no write', async () => {
    await rig.terabox.resetStats();
    const r = ok(await rclone(['sync', '-v', '--create-empty-src-dirs', src, 'tbw:tree']));
    expect(r.stderr).not.to.match(/: Copied|: Deleted|Making directory/);
    expect(r.stderr).to.match(/Transferred:\s+0 B \/ 0 B/);
    const endpoints = (await rig.terabox.stats()).endpoints;
    for (const write of ['precreate', 'superfile2', 'create', 'rapidupload', 'filemanager'] as const) {
      expect(endpoints[write]?.requests ?? 0, write).to.equal(0);
    }
  });

  it('mirrors a rename and a delete on the source with rclone sync', async () => {
    const deep = tree.dirs[3]!;
    const renamed = tree.files.find((f) => f.rel.startsWith(`${deep}/`) && f.size > 0 && f.size < MiB)!;
    const deleted = tree.files.find((f) => f.rel.startsWith(`${tree.dirs[1]!}/`) && f.size > 0 && f.rel !== renamed.rel)!;
    const newRel = `${deep}/renamed #1 & 'done' ü.txt`;
    await rename(join(src, renamed.rel), join(src, newRel));
    await rm(join(src, deleted.rel));
    tree = await treeOf(src);
    const r = ok(await rclone(['sync', '-v', '--create-empty-src-dirs', src, 'tbw:tree']));
    expect(r.stderr).to.contain(`${deleted.rel}: Deleted`);
    expect(await remoteProblems(rig, '/tree', tree)).to.deep.equal([]);
    expect(await davProblems(rig, '/tree', tree)).to.deep.equal([]);
    ok(await rclone(['check', '--download', src, 'tbw:tree']));
  });

  it('after serve restarts, the copy is whole: 0-byte files and all (rclone check --download)', async () => {
    await rig.restartServe();
    const r = ok(await rclone(['check', '--download', src, 'tbw:tree']));
    expect(r.stderr).to.contain(`: ${tree.files.length} matching files`);
    expect(await davProblems(rig, '/tree', tree)).to.deep.equal([]);
  });

  it('moves and copies on the server (MOVE/COPY with Overwrite: F), files and folders, without re-uploading', async () => {
    await rig.terabox.resetStats();
    const big = tree.files.find((f) => f.size === 50 * MiB)!;
    ok(await rclone(['copyto', `tbw:tree/${big.rel}`, 'tbw:side/big copy.bin']));
    ok(await rclone(['moveto', 'tbw:side/big copy.bin', 'tbw:side/moved/big moved.bin']));
    ok(await rclone(['copyto', `tbw:tree/${tree.dirs[2]!}`, 'tbw:side/level 3 copy']));
    ok(await rclone(['moveto', 'tbw:side/level 3 copy', 'tbw:side/level 3 moved']));
    const stats = (await rig.terabox.stats()).endpoints;
    expect(stats.filemanager?.requests ?? 0).to.be.greaterThan(0);
    expect(stats.superfile2?.requests ?? 0, 'bytes re-uploaded').to.equal(0);
    expect(await rig.terabox.md5('/side/moved/big moved.bin')).to.equal(big.md5);
    expect(await rig.terabox.entry('/side/big copy.bin')).to.equal(null);
    const prefix = `${tree.dirs[2]!}/`;
    const sub: Tree = {
      dirs: tree.dirs.filter((d) => d.startsWith(prefix)).map((d) => d.slice(prefix.length)),
      files: tree.files.filter((f) => f.rel.startsWith(prefix)).map((f) => ({ ...f, rel: f.rel.slice(prefix.length) })),
    };
    expect(await remoteProblems(rig, '/side/level 3 moved', sub)).to.deep.equal([]);
    expect(await davProblems(rig, '/side/level 3 moved', sub)).to.deep.equal([]);
    expect(await rig.terabox.entry('/side/level 3 copy')).to.equal(null);
    ok(await rclone(['purge', 'tbw:side']));
    expect(await rig.terabox.entry('/side')).to.equal(null);
  });

  it('syncs one remote folder onto another server-side, replacing changed files (rclone 1.60 sends COPY with Overwrite: F)', async () => {
    // Debian's rclone sends Overwrite: F on server-side COPY although it means to replace the file it
    // already compared (rclone#6964, fixed in 1.63); a second sync after a change must still work.
    const level4 = tree.dirs[3]!;
    ok(await rclone(['sync', `tbw:tree/${level4}`, 'tbw:mirror']));
    const changed = tree.files.find((f) => f.rel.startsWith(`${level4}/`) && f.size > 0 && f.size < MiB)!;
    const longer = Buffer.concat([await readFile(join(src, changed.rel)), Buffer.from(' and more')]);
    await writeFile(join(src, changed.rel), longer);
    ok(await rclone(['copyto', join(src, changed.rel), `tbw:tree/${changed.rel}`]));
    await rig.terabox.resetStats();
    const r = ok(await rclone(['sync', '-v', `tbw:tree/${level4}`, 'tbw:mirror']));
    expect(r.stderr).to.match(/Copied \(server-side copy\)/);
    expect((await rig.terabox.stats()).endpoints.superfile2?.requests ?? 0, 'bytes re-uploaded').to.equal(0);
    const name = changed.rel.slice(level4.length + 1);
    expect(await rig.terabox.md5(`/mirror/${name}`)).to.equal(md5(longer));
    tree = await treeOf(src);
    ok(await rclone(['check', '--download', `tbw:tree/${level4}`, 'tbw:mirror']));
    ok(await rclone(['purge', 'tbw:mirror']));
  });

  it('rclone about shows the account quota: total, used and free as TeraBox counts them', async () => {
    const r = ok(await rclone(['about', '--json', 'tbw:']));
    const about = JSON.parse(r.stdout) as { total: number; used: number; free: number };
    const quota = await rig.terabox.quota();
    expect(quota.used).to.be.greaterThan(50 * MiB);
    expect(about).to.deep.equal({ total: quota.total, used: quota.used, free: quota.total - quota.used });
  });

  it('rclone cat --offset/--count reads ranges: across a 4 MiB part boundary, the last byte, the middle', async () => {
    const big = tree.files.find((f) => f.size === 50 * MiB)!;
    const edge = tree.files.find((f) => f.size === 4 * MiB + 1)!;
    const bigBytes = await readFile(join(src, big.rel));
    const edgeBytes = await readFile(join(src, edge.rel));
    const cases: [string, Buffer, number, number][] = [
      [big.rel, bigBytes, 4 * MiB - 7, 20],
      [big.rel, bigBytes, 37 * MiB + 12345, 3 * MiB],
      [big.rel, bigBytes, 50 * MiB - 5, 5],
      [edge.rel, edgeBytes, 4 * MiB, 1],
    ];
    for (const [rel, bytes, offset, count] of cases) {
      // Through md5sum: the captured output is text, the range is binary.
      const r = await runCommand(
        'bash',
        ['-c', `set -o pipefail; rclone cat --offset ${offset} --count ${count} "$1" | md5sum`, 'bash', `tbw:tree/${rel}`],
        {
          env: rcloneEnv(),
        },
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.split(' ')[0], `${rel} @${offset}+${count}`).to.equal(md5(bytes.subarray(offset, offset + count)));
    }
  });

  it('stores names TeraBox refuses (`"`, `:`, `?`) under full-width look-alikes and gives them back as written', async () => {
    // TeraBox refuses `\ : * ? " < > |` in names; with terabox.nameEncoding "fullwidth" (the default)
    // the drive stores them as `＂ ： ？` on TeraBox and rclone sees its own names.
    const quoted = join(rig.tmp, 'quoted');
    await mkdir(quoted);
    await writeFile(join(quoted, 'say "hi".txt'), 'quoted');
    await writeFile(join(quoted, 'a:b?.txt'), 'colon');
    await writeFile(join(quoted, 'fine.txt'), 'accepted');
    ok(await rclone(['copy', '--retries', '1', quoted, 'tbw:quoted']));
    expect((await rig.terabox.read('/quoted/say ＂hi＂.txt')).toString()).to.equal('quoted');
    expect((await rig.terabox.read('/quoted/a：b？.txt')).toString()).to.equal('colon');
    expect(await rig.terabox.entry('/quoted/say "hi".txt')).to.equal(null);
    ok(await rclone(['check', quoted, 'tbw:quoted']));
    const listed = ok(await rclone(['lsf', 'tbw:quoted']))
      .stdout.split('\n')
      .filter(Boolean)
      .sort();
    expect(listed).to.deep.equal(['a:b?.txt', 'fine.txt', 'say "hi".txt']);
    expect((await rig.terabox.read('/quoted/fine.txt')).toString()).to.equal('accepted');
    // A name too long for TeraBox is still refused clearly, also for the 0-byte PUT that starts a
    // Finder or Explorer copy (which must not leave an empty file behind).
    for (const body of ['x', '']) {
      const put = await dav(rig.origin, 'PUT', `/quoted/${'n'.repeat(256)}`, { headers: rig.auth, body });
      expect(put.status).to.equal(400);
      expect(put.text).to.match(/255/);
    }
    ok(await rclone(['purge', 'tbw:quoted']));
  });

  it('in write-through mode too (serve restarted with upload.mode write-through): a small tree is on TeraBox when rclone returns', async () => {
    await rig.restartServe({ uploadMode: 'write-through' });
    const small = join(rig.tmp, 'src-wt');
    const smallTree = await makeTree(small, 'rclone-wt', 20);
    ok(await rclone(['copy', '--create-empty-src-dirs', small, 'tbw:wt']));
    const status = JSON.parse((await dav(rig.origin, 'GET', '/.well-known/terabox-webdav/status.json', { headers: rig.auth })).text) as {
      settings: { uploadMode: string };
      uploads: { items: unknown[] };
    };
    expect(status.settings.uploadMode).to.equal('write-through');
    expect(status.uploads.items).to.deep.equal([]);
    expect(await remoteProblems(rig, '/wt', smallTree)).to.deep.equal([]);
    expect(ok(await rclone(['check', '--download', small, 'tbw:wt'])).stderr).to.contain(': 0 differences found');
    ok(await rclone(['purge', 'tbw:wt']));
  });

  it('left no rclone config file, no lock, no stray local file or upload, and no error in the server log', async () => {
    expect(existsSync(configPath), configPath).to.equal(false);
    expect(existsSync(join(home, '.config', 'rclone')), 'rclone config under HOME').to.equal(false);
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    const local = await rig.localState();
    expect(local.overlayPaths).to.deep.equal(zeroBytePaths('/tree', tree).sort());
    expect(local.orphanContent).to.deep.equal([]);
    expect(local.locks).to.deep.equal([]);
    expect(local.propPaths).to.deep.equal([]);
  });
});

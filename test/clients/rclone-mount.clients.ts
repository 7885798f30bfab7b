// rclone mount (FUSE, --vfs-cache-mode writes) against the drive, the case of issue 10: a user creates
// `a:b.txt`, `what?.txt`, `st*r.txt` and renames `a.txt` to `ren:amed.txt` in the mount. With the
// drive's name mapping every one reaches TeraBox (as its full-width look-alike) and nothing is left
// retrying in rclone's cache. Skipped, saying why, where there is no /dev/fuse.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installPackages, runCommand } from './commands.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rclone mount against the drive', () => {
  let rig: DriveRig | undefined;
  let mnt: string;
  let mount: ChildProcess | undefined;
  let log = '';

  async function mounted(): Promise<boolean> {
    const mounts = await readFile('/proc/mounts', 'utf8');
    return mounts.split('\n').some((l) => l.split(' ')[1] === mnt);
  }

  /** Waits for `check` to hold, up to `ms` (rclone uploads from its cache in the background). */
  async function eventually(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\nrclone log:\n${log.slice(-4000)}`);
      await sleep(250);
    }
  }

  before(async function () {
    this.timeout(900_000);
    if (!existsSync('/dev/fuse')) {
      console.log('    (skipped: /dev/fuse is missing, so rclone mount cannot run here)');
      this.skip();
    }
    await installPackages(['rclone', 'fuse3']);
    rig = await startRig({ name: 'rclone-mount' });
    mnt = join(rig.tmp, 'mnt');
    await mkdir(mnt);
    const env = {
      PATH: process.env.PATH,
      HOME: rig.tmp,
      RCLONE_CONFIG: join(rig.tmp, 'no-rclone.conf'),
      RCLONE_CACHE_DIR: join(rig.tmp, 'rclone-cache'),
      RCLONE_CONFIG_TBW_TYPE: 'webdav',
      RCLONE_CONFIG_TBW_URL: rig.url,
      RCLONE_CONFIG_TBW_VENDOR: 'other',
    };
    mount = spawn(
      'rclone',
      ['mount', 'tbw:', mnt, '--vfs-cache-mode', 'writes', '--vfs-write-back', '0s', '--dir-cache-time', '1s', '-v'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    mount.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    mount.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await eventually('the mount appears', mounted, 30_000);
  });

  after(async function () {
    this.timeout(60_000);
    if (mount) {
      await runCommand('fusermount3', ['-u', mnt], { timeoutMs: 20_000 }).catch(() => undefined);
      const exited = new Promise((done) => mount!.once('exit', done));
      if (mount.exitCode === null) mount.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (mount.exitCode === null) mount.kill('SIGKILL');
    }
    await rig?.close();
  });

  it('stores a:b.txt, what?.txt and st*r.txt created in the mount', async () => {
    const files = { 'a:b.txt': 'colon', 'what?.txt': 'question', 'st*r.txt': 'star' };
    for (const [name, text] of Object.entries(files)) await writeFile(join(mnt, name), text);
    for (const [name, text] of Object.entries(files)) {
      const stored = '/' + name.replace(/[:?*]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
      await eventually(`${stored} on TeraBox`, async () => (await rig!.terabox.entry(stored)) !== null);
      expect((await rig!.terabox.read(stored)).toString()).to.equal(text);
    }
    expect((await readdir(mnt)).sort()).to.include.members(Object.keys(files));
  });

  it("renames a.txt to 'ren:amed.txt' in the mount (no EIO, nothing lost)", async () => {
    await writeFile(join(mnt, 'a.txt'), 'to be renamed');
    await eventually('/a.txt on TeraBox', async () => (await rig!.terabox.entry('/a.txt')) !== null);
    await rename(join(mnt, 'a.txt'), join(mnt, 'ren:amed.txt'));
    await eventually('/ren：amed.txt on TeraBox', async () => (await rig!.terabox.entry('/ren：amed.txt')) !== null);
    expect(await rig!.terabox.entry('/a.txt')).to.equal(null);
    expect((await readFile(join(mnt, 'ren:amed.txt'))).toString()).to.equal('to be renamed');
    expect(await readdir(mnt))
      .to.include('ren:amed.txt')
      .and.not.to.include('a.txt');
  });

  it('left rclone nothing to retry and the server no error', () => {
    expect(log).not.to.match(/ERROR|Failed to copy|failed to upload/i);
    expect(errorLines(rig!)).to.deep.equal([]);
  });
});

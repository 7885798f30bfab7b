// cadaver (0.24, neon) against the drive: one scripted session (mkcol, put, lock, put under the lock,
// discover, unlock, get, copy, move, propset/propget, delete, rmcol, ls) with its output checked line
// by line and the bytes checked on TeraBox and on the local disk.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installMissingClients, runCommand, type CommandResult } from './commands.js';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';
import { MiB, md5 } from './tree.js';
import { davChildren } from './verify.js';
import { dav } from '../dav/client.js';

/** Basic auth as users run it. */
const USER = { name: 'carol', password: 'cad+pass/word:z' };

describe('cadaver against the drive', () => {
  let rig: DriveRig;
  let local: string;
  const first = randomBytes(300_000);
  const second = randomBytes(5 * MiB + 3);

  function cadaver(script: string[]): Promise<CommandResult> {
    // HOME in the temp dir: only the test's ~/.netrc, no ~/.cadaverrc of the machine, shapes the session.
    return runCommand('cadaver', [rig.url], {
      input: `${script.join('\n')}\nquit\n`,
      env: { PATH: process.env.PATH, HOME: local },
      timeoutMs: 120_000,
    });
  }

  before(async function () {
    this.timeout(600_000);
    await installMissingClients();
    rig = await startRig({ name: 'cadaver', user: USER });
    local = join(rig.tmp, 'local');
    await mkdir(local);
    // cadaver logs in from ~/.netrc, as a user would set it up for a scripted session.
    await writeFile(join(local, '.netrc'), `machine 127.0.0.1\nlogin ${USER.name}\npassword ${USER.password}\n`, { mode: 0o600 });
    await writeFile(join(local, 'first.bin'), first);
    await writeFile(join(local, 'second.bin'), second);
  });

  after(async () => {
    await rig?.close();
  });

  it('runs a scripted session: every step succeeds and TeraBox holds the right bytes', async () => {
    const r = await cadaver([
      'mkcol work',
      'cd work',
      `put ${local}/first.bin data.bin`,
      'lock data.bin',
      'discover data.bin',
      `put ${local}/second.bin data.bin`,
      'unlock data.bin',
      'discover data.bin',
      `get data.bin ${local}/got.bin`,
      'copy data.bin copy.bin',
      'mkcol sub',
      'move copy.bin sub/moved.bin',
      `put ${local}/first.bin "with space ü.bin"`,
      'propset data.bin color "deep red"',
      'propget data.bin color',
      'mkcol gone',
      'rmcol gone',
      'delete "with space ü.bin"',
      'ls',
    ]);
    const out = r.stdout;
    expect(r.code, r.stderr).to.equal(0);
    expect(out).not.to.match(/failed|error/i);
    expect(out).to.contain("Creating `work': succeeded.");
    expect(out.match(/Uploading .* succeeded\./g)).to.have.length(3);
    expect(out).to.contain("Locking `data.bin': succeeded.");
    // discover under the lock shows it, with the timeout cadaver asked for; after unlock, none.
    const [underLock, afterUnlock] = out.split("Unlocking `data.bin': succeeded.");
    expect(underLock).to.match(
      /Lock token <[^>]+>:\s+Depth \d+ on `[^']*\/work\/data\.bin'\s+Scope: exclusive\s+Type: write\s+Timeout: \d+ seconds/,
    );
    expect(afterUnlock).not.to.match(/Lock token </);
    expect(out).to.contain("Downloading `/work/data.bin' to");
    expect(out).to.contain("Copying `/work/data.bin' to `/work/copy.bin':  succeeded.");
    expect(out).to.contain("Moving `/work/copy.bin' to `/work/sub/moved.bin':  succeeded.");
    expect(out).to.contain('Value of color is: deep red');
    expect(out).to.contain("Deleting collection `gone': succeeded.");
    expect(out).to.contain("Deleting `with space ü.bin': succeeded.");
    const listing = out.slice(out.lastIndexOf("Listing collection `/work/': succeeded."));
    expect(listing).to.match(/Coll:\s+sub\s+0/);
    expect(listing).to.match(new RegExp(`data\\.bin\\s+${second.length}\\s`));
    expect(listing).not.to.match(/copy\.bin|with space|gone/);

    expect((await readFile(join(local, 'got.bin'))).equals(second)).to.equal(true);
    expect(await rig.terabox.md5('/work/data.bin')).to.equal(md5(second));
    expect(await rig.terabox.md5('/work/sub/moved.bin')).to.equal(md5(second));
    expect([...(await rig.terabox.tree()).keys()].sort()).to.deep.equal(['/work', '/work/data.bin', '/work/sub', '/work/sub/moved.bin']);
    expect((await davChildren(rig, '/work')).children).to.deep.equal(['/work/data.bin', '/work/sub']);
  });

  it('a file cadaver locked refuses another writer (423) until cadaver unlocks it', async () => {
    // cadaver ends its session without releasing its locks, like a client that crashed: the lock
    // stays until it times out or its token is used, so another writer gets 423 meanwhile.
    const r = await cadaver(['cd work', 'lock data.bin', 'discover data.bin']);
    expect(r.stdout).to.contain("Locking `data.bin': succeeded.");
    const token = /Lock token <([^>]+)>/.exec(r.stdout)![1]!;
    expect((await dav(rig.origin, 'PUT', '/work/data.bin', { headers: rig.auth, body: 'intruder' })).status).to.equal(423);
    expect((await dav(rig.origin, 'UNLOCK', '/work/data.bin', { headers: { ...rig.auth, 'lock-token': `<${token}>` } })).status).to.equal(
      204,
    );
    expect((await dav(rig.origin, 'PUT', '/work/unlocked%20probe.txt', { headers: rig.auth, body: 'free again' })).status).to.equal(201);
    expect((await dav(rig.origin, 'DELETE', '/work/unlocked%20probe.txt', { headers: rig.auth })).status).to.equal(204);
    expect(await rig.terabox.md5('/work/data.bin')).to.equal(md5(second));
  });

  it('left no lock, no stray local file or upload, and no error in the server log; the property stays on its file', async () => {
    expect(await rig.spoolLeftovers()).to.deep.equal([]);
    expect(errorLines(rig)).to.deep.equal([]);
    expect(await rig.stopServe()).to.equal(0);
    expect(await rig.localState()).to.deep.equal({ overlayPaths: [], orphanContent: [], locks: [], propPaths: ['/work/data.bin'] });
  });
});

// Crash safety: a drive process SIGKILLed while it writes chunks leaves no torn chunk that a restart
// would serve; every read after the restart is byte-exact. And an expired link is re-minted once for
// all the fetches that were waiting on it.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import type { DownloadLink, TeraBoxApi } from '../../../src/terabox/api.js';
import { TeraBoxError } from '../../../src/terabox/errors.js';
import { bytes, KiB, startStack, type Stack } from '../../support/index.js';
import type { ReadChildSettings } from './fixtures/read-child.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'read-child.ts');
const CHUNK = 64 * KiB;

async function runUntilKilled(settings: ReadChildSettings, killAfterBytes: number): Promise<boolean> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(settings)], {
    cwd: join(import.meta.dirname, '..', '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let killed = false;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n')) {
      const m = /^read (\d+)/.exec(line);
      if (m && Number(m[1]) >= killAfterBytes && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (!killed && code !== 0) throw new Error(`child failed (${code}): ${stderr}`);
  return killed;
}

describe('read cache: crashes and expired links', function () {
  this.timeout(120_000);
  let rig: Stack;
  before(async () => {
    rig = await startStack({ smallParts: true, cache: {}, client: { retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } } });
    await rig.freshDrive();
  });
  after(() => rig?.stop());

  it('serves byte-exact reads after the drive was killed -9 while writing chunks', async () => {
    const data = bytes(96 * CHUNK + 4321, 77);
    await rig.drive.write('/crash.bin', Readable.from([data]), { size: data.length });
    const stateDir = join(rig.tmp, 'child-state');
    let kills = 0;
    for (const after of [3 * CHUNK, 20 * CHUNK, 50 * CHUNK]) {
      const settings = { url: rig.emu.url, cookie: rig.emu.defaultCookie, stateDir, path: '/crash.bin', chunkSize: CHUNK };
      if (await runUntilKilled(settings, after)) kills++;
    }
    expect(kills).to.be.greaterThan(0);
    await rig.driveAt(stateDir);
    // Nothing half-written survived the restart's sweep.
    expect(await readdir(join(stateDir, 'cache', 'tmp'))).to.deep.equal([]);
    const cachedBefore = rig.chunkRows();
    expect(cachedBefore).to.be.greaterThan(0);
    const whole = await rig.upstream(async () => buffer((await rig.drive.read('/crash.bin')).stream));
    expect(whole.result.equals(data)).to.equal(true);
    // The chunks the killed runs completed were served from disk.
    expect(whole.bytes).to.be.at.most(data.length - cachedBefore * CHUNK + CHUNK);
    for (const r of [
      { start: 0, end: 99 },
      { start: 40 * CHUNK - 5, end: 41 * CHUNK + 5 },
      { start: data.length - 10, end: data.length - 1 },
    ]) {
      const got = await buffer((await rig.drive.read('/crash.bin', r)).stream);
      expect(got.equals(data.subarray(r.start, r.end + 1))).to.equal(true);
    }
  });

  it('re-mints an expired link once for all the fetches waiting on it', async () => {
    await rig.freshDrive();
    const data = bytes(12 * CHUNK, 5);
    await rig.drive.write('/expiry.bin', Readable.from([data]), { size: data.length });
    let mints = 0;
    let refuse: DownloadLink | null = null;
    let refusals = 0;
    const links: DownloadLink[] = [];
    const wrap = (api: TeraBoxApi): TeraBoxApi =>
      Object.assign(Object.create(api) as TeraBoxApi, {
        downloadLink: async (e: Parameters<TeraBoxApi['downloadLink']>[0]) => {
          mints++;
          const minted = await api.downloadLink(e);
          links.push(minted);
          return minted;
        },
        download: async (link: DownloadLink, range: Parameters<TeraBoxApi['download']>[1], signal?: AbortSignal) => {
          if (link === refuse) {
            // The refusals arrive one by one, after the first one's re-mint has finished.
            await delay(40 * refusals++);
            throw new TeraBoxError('data: the download link expired', { code: 'LINK_EXPIRED', status: 403, endpoint: 'data' });
          }
          return api.download(link, range, signal);
        },
      });
    await rig.restartDrive({ wrap });
    // The first chunk mints a link; then TeraBox starts refusing it while four fetches run on it.
    expect((await buffer((await rig.drive.read('/expiry.bin', { start: 0, end: 9 })).stream)).equals(data.subarray(0, 10))).to.equal(true);
    expect(mints).to.equal(1);
    refuse = links[0]!;
    const whole = await buffer((await rig.drive.read('/expiry.bin')).stream);
    expect(whole.equals(data)).to.equal(true);
    expect(refusals).to.be.greaterThan(1);
    expect(mints).to.equal(2);
  });
});

// `npm run smoke:live` (scripts/smoke-live.ts) with the emulator standing in for TeraBox: every step
// passes and is reported, the folder is gone afterwards, nothing outside it is touched, the cookie is
// never printed; a failure is reported with a FAIL verdict and cleaned up; no cookie → a note, exit 0.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runSmoke } from '../scripts/smoke-live.js';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { createTeraBoxClient } from '../src/terabox/client.js';

describe('smoke:live against the emulator as the upstream', function () {
  this.timeout(120_000);
  let dir: string;
  let emu: EmulatorHandle;
  let ndus: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smoke-it-'));
    emu = await startEmulator({ dataDir: dir });
    ndus = /ndus=([^;]+)/.exec(emu.defaultCookie)![1]!;
    // Something of the user's that the smoke test must leave alone.
    const api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie });
    try {
      await api.mkdir('/mine');
    } finally {
      await api.close();
    }
  });
  after(async () => {
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => emu.setKnobs({ faults: {}, dlinkNeedVerify: false }));

  async function run(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const code = await runSmoke({
      env,
      out: (l) => lines.push(l),
      configure: (c) => {
        c.terabox.apiCallsPerSecond = 200;
        c.terabox.apiBurst = 50;
        c.terabox.retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
      },
    });
    return { code, out: lines.join('\n') };
  }

  function rootNames(): string[] {
    const names: string[] = [];
    for (const p of ['/mine']) if (emu.entry(p)) names.push(p);
    return names;
  }

  it('passes every step, reports each with its endpoints, and leaves only what was there', async () => {
    emu.resetStats();
    const { code, out } = await run({ TERABOX_COOKIE: ndus, TERABOX_UPSTREAM: emu.url });
    expect(code, out).to.equal(0);
    expect(out).to.match(/VERDICT: PASS — all \d+ steps worked/);
    expect(out).to.not.contain(ndus);
    for (const step of [
      'login and quota',
      'list /',
      'MKCOL',
      'PUT 1 MiB',
      'PUT 9 MiB (parts)',
      'rapid upload',
      'GET a range',
      'GET the whole',
      'rename',
      'copy',
      'move into the subfolder',
      'delete a file',
      'remove the folder',
    ]) {
      expect(out, step).to.contain(step);
    }
    expect(out).to.not.contain('FAIL');
    // The 9 MiB went in 3 parts (4 MiB each, as on a free account), and the second 9 MiB sent none.
    expect(out).to.match(/PUT 9 MiB \(parts\) \| ok \| \d+ \| [^|]*\/rest\/2\.0\/pcs\/superfile2 ×3/);
    expect(out).to.match(/rapid upload\) \| ok \| \d+ \| [^|]*\| 0 \| no part sent/);
    expect(out).to.match(
      /Inferred: api style api; download route dlna; region [^;]+; upload host 127\.0\.0\.1:\d+; list page: asked 1000 a page/,
    );
    // The folder is gone; the user's own folder is untouched.
    const api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie });
    try {
      const root = await api.list('/');
      expect(root.map((e) => e.path)).to.deep.equal(['/mine']);
    } finally {
      await api.close();
    }
    expect(rootNames()).to.deep.equal(['/mine']);
    const stats = emu.stats().endpoints;
    expect(stats.superfile2?.requests).to.equal(3 + 1);
  });

  it('reports a failing step with a FAIL verdict, exits 1 and removes its folder', async () => {
    // Every download link fails: the range GET fails.
    emu.setKnobs({ faults: { data: { http5xx: 1 } } });
    const { code, out } = await run({ TERABOX_COOKIE: emu.defaultCookie, TERABOX_UPSTREAM: emu.url });
    expect(code, out).to.equal(1);
    expect(out).to.match(/VERDICT: FAIL — \d+ of \d+ steps passed; "GET a range of the 9 MiB" failed/);
    expect(out).to.match(/clean up after the failure \| ok \| \d+ \| [^|]*\/api\/filemanager/);
    expect(out).to.not.contain(ndus);
    const api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie });
    try {
      expect((await api.list('/')).map((e) => e.path)).to.deep.equal(['/mine']);
    } finally {
      await api.close();
    }
  });

  it('says so and exits 0 without a cookie', async () => {
    const { code, out } = await run({ TERABOX_UPSTREAM: emu.url });
    expect(code).to.equal(0);
    expect(out).to.match(/TERABOX_COOKIE is not set/);
  });

  it('runs as a program (what `npm run smoke:live` starts) and exits 0 without a cookie', async () => {
    const env = { ...process.env };
    delete env.TERABOX_COOKIE;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/smoke-live.ts'], { env });
    expect(stdout).to.match(/TERABOX_COOKIE is not set/);
  });
});

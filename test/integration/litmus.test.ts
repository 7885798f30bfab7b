// litmus (the neon WebDAV compliance suite, Debian package `litmus`) against the real drive: all five
// suites pass, starting from a fresh drive where litmus creates its own /litmus/ collection.

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../support/index.js';

const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'];

function litmusInstalled(): boolean {
  return spawnSync('litmus', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Runs litmus in its own folder (it writes debug.log and child.log there); resolves with its output. */
function runLitmus(url: string, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('litmus', ['-k', url], {
      cwd,
      env: { ...process.env, TESTS: SUITES.join(' ') },
      signal: AbortSignal.timeout(timeoutMs),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

describe('integration: litmus', function () {
  this.timeout(120_000);
  let s: Stack | undefined;
  let work = '';

  before(async function () {
    if (!litmusInstalled()) this.skip();
    s = await startStack({ upTo: 'webdav', smallParts: true });
    work = await mkdtemp(join(tmpdir(), 'litmus-'));
  });
  after(async () => {
    await s?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('passes basic, copymove, props, locks and http on a fresh drive, creating /litmus/ itself', async () => {
    const out = await runLitmus(`${s!.origin}/`, work, 100_000);
    const summaries = [...out.matchAll(/summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g)].map((m) => ({
      suite: m[1],
      run: Number(m[2]),
      failed: Number(m[4]),
    }));
    expect(
      summaries.map((x) => x.suite),
      out,
    ).to.deep.equal(SUITES);
    for (const x of summaries) expect(x.failed, `${x.suite}:\n${out}`).to.equal(0);
    expect(summaries.find((x) => x.suite === 'locks')!.run).to.be.greaterThan(30);
    expect(s!.errorLines).to.deep.equal([]);
  });
});

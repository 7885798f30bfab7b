import { expect } from 'chai';
import { spawn } from 'node:child_process';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DriveStatus } from '../src/drive/status.js';
import {
  EXIT_DEADLINE,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_UNREADABLE,
  progressBar,
  renderQueue,
  runStatusCommand,
  statusUrl,
} from '../src/status-command.js';
import { baseSnapshot, upload, withUploads } from './status-fixtures.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
const MiB = 1024 * 1024;

/** A drive stand-in: serves the snapshots of `script` in turn at the status address (the last one repeats). */
async function serveSnapshots(script: DriveStatus[], auth?: { user: string; password: string }) {
  let polls = 0;
  const server: Server = http.createServer((req, res) => {
    if (auth && req.headers.authorization !== 'Basic ' + Buffer.from(`${auth.user}:${auth.password}`).toString('base64')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' }).end();
      return;
    }
    if (req.url !== '/.well-known/terabox-webdav/status.json') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify(script[Math.min(polls, script.length - 1)]);
    polls++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: statusUrl('127.0.0.1', port),
    polls: () => polls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function capture(tty = false) {
  let text = '';
  return { isTTY: tty, columns: 100, write: (t: string) => (text += t), text: () => text };
}

const active = (confirmed: number) =>
  upload({ path: '/films/big.mkv', size: 10 * MiB, confirmedBytes: confirmed, state: 'active', attempts: 1, rate: MiB });

describe('status command', () => {
  it('prints the queue as a table with the summary, and exits 0 when nothing failed', async () => {
    const drive = await serveSnapshots([withUploads([active(4 * MiB), upload({ path: '/q.bin', size: 2048 })])]);
    try {
      const out = capture();
      const err = capture();
      expect(await runStatusCommand({ url: drive.url, out, err })).to.equal(EXIT_OK);
      const text = out.text();
      expect(text).to.match(/^2 uploads pending, 6 MiB\n/);
      expect(text).to.match(/STATE +DONE +SIZE +RATE +ETA +TRIES +PATH/);
      expect(text).to.match(/active +40% +10 MiB +1 MiB\/s +6s +1 +\/films\/big\.mkv/);
      expect(text).to.match(/pending +0% +2 KiB +0 +\/q\.bin/);
      expect(text).to.include('account 3 GiB used, 1021 GiB free');
      expect(err.text()).to.equal('');
      expect(drive.polls()).to.equal(1);
    } finally {
      await drive.close();
    }
  });

  it('exits 1 when an upload failed, naming it and its error', async () => {
    const drive = await serveSnapshots([
      withUploads([upload({ path: '/bad.bin', state: 'failed', attempts: 5, lastError: 'create: errno 31299' })]),
    ]);
    try {
      const out = capture();
      expect(await runStatusCommand({ url: drive.url, out, err: capture() })).to.equal(EXIT_FAILED);
      expect(out.text()).to.include('failed: /bad.bin: create: errno 31299');
    } finally {
      await drive.close();
    }
  });

  it('--wait returns 0 once a pending upload is committed', async () => {
    const drive = await serveSnapshots([
      withUploads([upload({ path: '/a.bin', size: 10 })]),
      withUploads([upload({ path: '/a.bin', size: 10, state: 'active', confirmedBytes: 4, attempts: 1 })]),
      withUploads([upload({ path: '/a.bin', size: 10, state: 'active', confirmedBytes: 8, attempts: 1 })]),
      withUploads([]),
    ]);
    try {
      const out = capture();
      expect(await runStatusCommand({ url: drive.url, wait: true, intervalMs: 10, out, err: capture() })).to.equal(EXIT_OK);
      expect(drive.polls()).to.equal(4);
      // Without --watch, --wait prints only the final state.
      expect(out.text()).to.match(/^no uploads pending\n/);
    } finally {
      await drive.close();
    }
  });

  it('--wait returns 1 when the pending upload fails', async () => {
    const drive = await serveSnapshots([
      withUploads([upload({ path: '/a.bin', size: 10 })]),
      withUploads([upload({ path: '/a.bin', size: 10, state: 'active', attempts: 2, lastError: 'superfile2: HTTP 500' })]),
      withUploads([upload({ path: '/a.bin', size: 10, state: 'failed', attempts: 5, lastError: 'superfile2: HTTP 500' })]),
    ]);
    try {
      const out = capture();
      expect(await runStatusCommand({ url: drive.url, wait: true, intervalMs: 10, out, err: capture() })).to.equal(EXIT_FAILED);
      expect(drive.polls()).to.equal(3);
      expect(out.text()).to.include('failed: /a.bin: superfile2: HTTP 500');
    } finally {
      await drive.close();
    }
  });

  it('--wait gives up at its deadline with exit 3 (on an injected clock)', async () => {
    const drive = await serveSnapshots([withUploads([upload({ path: '/stuck.bin', size: 10 })])]);
    try {
      let t = 0;
      const err = capture();
      const code = await runStatusCommand({
        url: drive.url,
        wait: true,
        intervalMs: 1000,
        deadlineMs: 5000,
        out: capture(),
        err,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      });
      expect(code).to.equal(EXIT_DEADLINE);
      expect(drive.polls()).to.equal(6); // at 0, 1, 2, 3, 4 and 5 s
      expect(err.text()).to.include('1 upload pending, 10 B when the deadline passed');
    } finally {
      await drive.close();
    }
  });

  it('--watch redraws the frame in place on a terminal, with progress bars', async () => {
    const drive = await serveSnapshots([withUploads([active(2 * MiB)]), withUploads([active(6 * MiB)]), withUploads([])]);
    try {
      const out = capture(true);
      expect(await runStatusCommand({ url: drive.url, watch: true, wait: true, intervalMs: 10, out, err: capture() })).to.equal(EXIT_OK);
      const frames = out.text().split('\x1b[H\x1b[2J').filter(Boolean);
      expect(frames).to.have.length(3);
      expect(frames[0]).to.include(`${progressBar(0.2, 20)}  20%`);
      expect(frames[1]).to.include(`${progressBar(0.6, 20)}  60%`);
      expect(frames[2]).to.match(/^no uploads pending/);
    } finally {
      await drive.close();
    }
  });

  it('sends the user and password, says clearly when they are missing or wrong, and never prints the password', async () => {
    const drive = await serveSnapshots([withUploads([])], { user: 'alice', password: 'pa:ss wörd' });
    try {
      let err = capture();
      expect(await runStatusCommand({ url: drive.url, out: capture(), err })).to.equal(EXIT_UNREADABLE);
      expect(err.text()).to.include('--user NAME');
      err = capture();
      const out = capture();
      expect(await runStatusCommand({ url: drive.url, user: 'alice', password: 'Xyzzy-42', out, err })).to.equal(EXIT_UNREADABLE);
      expect(err.text()).to.include('refused user alice');
      expect(err.text() + out.text()).to.not.include('Xyzzy');
      expect(await runStatusCommand({ url: drive.url, user: 'alice', password: 'pa:ss wörd', out: capture(), err: capture() })).to.equal(
        EXIT_OK,
      );
    } finally {
      await drive.close();
    }
  });

  it('exits 2 with a message when no drive answers', async () => {
    const drive = await serveSnapshots([withUploads([])]);
    await drive.close();
    const err = capture();
    expect(await runStatusCommand({ url: drive.url, out: capture(), err })).to.equal(EXIT_UNREADABLE);
    expect(err.text()).to.include(`cannot reach the drive at ${drive.url}`);
  });

  it('finds the drive from the serve settings and reads the password from the environment (the real command line)', async function () {
    this.timeout(30_000);
    const drive = await serveSnapshots(
      [
        withUploads([upload({ path: '/x.bin', size: 10 })]),
        withUploads([upload({ path: '/x.bin', size: 10, state: 'failed', attempts: 3, lastError: 'boom' })]),
      ],
      { user: 'bob', password: 'hunter2' },
    );
    try {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TERABOX_')));
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'status', '--user', 'bob', '--wait', '--interval', '0.05'], {
        env: { ...clean, TERABOX_WEBDAV_PORT: String(drive.port), TERABOX_WEBDAV_PASSWORD: 'hunter2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      expect(code, out).to.equal(EXIT_FAILED);
      expect(out).to.include('failed: /x.bin: boom');
      expect(out).to.not.include('hunter2');
    } finally {
      await drive.close();
    }
  });
});

describe('status command against the real drive', () => {
  it('reads the running drive: nothing pending, its quota, exit 0', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { startDrive } = await import('../src/app.js');
    const { loadConfig } = await import('../src/config.js');
    const { silentLogger } = await import('../src/log.js');
    const dir = mkdtempSync(join(tmpdir(), 'tbw-status-cmd-'));
    const drive = await startDrive(loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} }), silentLogger);
    try {
      const port = Number(new URL(drive.url).port);
      const out = capture();
      expect(
        await runStatusCommand({ url: statusUrl('127.0.0.1', port), wait: true, intervalMs: 10, deadlineMs: 10_000, out, err: capture() }),
      ).to.equal(EXIT_OK);
      expect(out.text()).to.match(/^no uploads pending\n/);
      expect(out.text()).to.match(/account 0 B used, \S+ \S+ free/);
    } finally {
      await drive.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('status rendering', () => {
  it('shows the cache and an unreachable TeraBox, and cuts lines to the terminal width', () => {
    const s = withUploads(
      [upload({ path: '/' + 'x'.repeat(200), size: 10 })],
      baseSnapshot({ terabox: { reachable: false, lastError: { message: 'ETIMEDOUT', at: 'now' } } }),
    );
    const text = renderQueue(s, { columns: 80 });
    expect(text).to.include('cache 300 MiB, 75% hits');
    expect(text).to.include('TeraBox unreachable: ETIMEDOUT');
    for (const line of text.split('\n')) expect(line.length).to.be.at.most(80);
    expect(statusUrl('0.0.0.0', 8080)).to.equal('http://127.0.0.1:8080/.well-known/terabox-webdav/status.json');
    expect(statusUrl('::', 8080)).to.equal('http://[::1]:8080/.well-known/terabox-webdav/status.json');
  });
});

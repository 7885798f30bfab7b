import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';
import { verifyPassword } from '../src/util/password.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Starts the CLI from source with a clean environment (no TERABOX_* from the caller's shell). */
function run(args: string[], env: Record<string, string> = {}, stdin?: string): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TERABOX_')));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...clean, ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  if (stdin !== undefined) child.stdin!.end(stdin);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Waits until the output holds a match (or the process ends, or time runs out). */
async function waitFor(r: Run, pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = r.out().match(pattern);
    if (m) return m;
    if (r.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} in output; exit ${r.child.exitCode}\nstdout: ${r.out()}\nstderr: ${r.err()}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function stop(r: Run): Promise<number | null> {
  if (r.child.exitCode === null) r.child.kill('SIGTERM');
  return r.exited;
}

describe('command line', function () {
  this.timeout(60_000);
  let dir: string;
  const running: Run[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tbw-cli-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(stop));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve with no cookie says first that it uses the embedded emulator, serves files, and stops on SIGTERM', async () => {
    const r = run(['serve', '--port', '0', '--data', dir]);
    running.push(r);
    const [, url] = await waitFor(r, /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/);
    const first = JSON.parse(r.out().split('\n')[0]!) as { msg: string };
    expect(first.msg).to.match(/no TeraBox cookie configured: starting the embedded TeraBox emulator/);

    const body = Buffer.from('hello from the command line');
    const put = await request(`${url}hello.txt`, { method: 'PUT', body });
    await put.body.dump();
    expect(put.statusCode).to.equal(201);
    const get = await request(`${url}hello.txt`);
    expect(Buffer.from(await get.body.arrayBuffer())).to.deep.equal(body);

    expect(await stop(r)).to.equal(0);
    expect(r.out()).to.contain('shutting down');
  });

  it('stops with exit code 2 and names the bad setting', async () => {
    const r = run(['serve', '--port', 'eighty', '--data', dir]);
    expect(await r.exited).to.equal(2);
    expect(r.err()).to.contain('server.port').and.contain('0 to 65535');
  });

  it('names a bad setting that comes from the environment', async () => {
    const r = run(['serve', '--data', dir], { TERABOX_UPLOAD_PARALLEL: '99' });
    expect(await r.exited).to.equal(2);
    expect(r.err()).to.contain('upload.parallel').and.contain('TERABOX_UPLOAD_PARALLEL');
  });

  it('refuses anonymous access on a non-loopback address', async () => {
    const r = run(['serve', '--host', '0.0.0.0', '--port', '0', '--data', dir]);
    expect(await r.exited).to.equal(1);
    expect(r.out()).to.contain('anonymous access is only allowed on loopback');
  });

  it('emulator prints its URL and a cookie that the emulator accepts', async () => {
    const r = run(['emulator', '--port', '0', '--data', dir]);
    running.push(r);
    const [, url] = await waitFor(r, /^TERABOX_UPSTREAM=(\S+)$/m);
    const [, cookie] = await waitFor(r, /^TERABOX_COOKIE='([^']+)'$/m);
    const login = await request(`${url}/api/check/login`, { headers: { cookie: cookie! } });
    expect(((await login.body.json()) as { errno: number }).errno).to.equal(0);
    const stats = await request(`${url}/__emulator/stats`);
    expect(stats.statusCode).to.equal(200);
    expect(await stats.body.json()).to.have.property('endpoints');
  });

  it('emulator applies knob flags', async () => {
    const r = run(['emulator', '--port', '0', '--data', dir, '--latency', '5', '--fault', 'quota:http5xx=1']);
    running.push(r);
    const [, url] = await waitFor(r, /^TERABOX_UPSTREAM=(\S+)$/m);
    const knobs = (await (await request(`${url}/__emulator/knobs`)).body.json()) as { latencyMs: number; faults: unknown };
    expect(knobs.latencyMs).to.equal(5);
    expect(knobs.faults).to.deep.equal({ quota: { http5xx: 1 } });
  });

  it('rejects a malformed --fault flag', async () => {
    const r = run(['emulator', '--port', '0', '--data', dir, '--fault', 'quota:explode=2']);
    expect(await r.exited).to.equal(2);
    expect(r.err()).to.contain('invalid --fault');
  });

  it('hash-password prints a scrypt hash of the password on standard input', async () => {
    const r = run(['hash-password'], {}, 'correct horse:battery+staple/\n');
    expect(await r.exited).to.equal(0);
    const hash = r.out().trim();
    expect(hash).to.match(/^scrypt\$/);
    expect(await verifyPassword('correct horse:battery+staple/', hash)).to.equal(true);
    expect(await verifyPassword('wrong', hash)).to.equal(false);
  });

  it('hash-password does not show the password typed at a terminal', async function () {
    // A pseudo-terminal from Python's pty module (present wherever python3 is); the child answers the prompt.
    const script = [
      'import os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0: os.execv(sys.argv[1], sys.argv[1:])',
      "out, sent, end = b'', False, time.time() + 30",
      'while time.time() < end:',
      '    if select.select([fd], [], [], 0.1)[0]:',
      '        try: data = os.read(fd, 4096)',
      '        except OSError: break',
      '        if not data: break',
      '        out += data',
      "    if not sent and b'password' in out:",
      "        time.sleep(0.2); os.write(fd, b'typed-secret-42\\r'); sent = True",
      'sys.stdout.write(out.decode())',
    ].join('\n');
    if (spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status !== 0) this.skip();
    const r = spawnSync('python3', ['-c', script, process.execPath, '--import', 'tsx', CLI, 'hash-password'], {
      encoding: 'utf8',
      timeout: 40_000,
    });
    const hash = /scrypt\$\S+/.exec(r.stdout)?.[0];
    expect(hash, r.stdout + r.stderr).to.be.a('string');
    expect(await verifyPassword('typed-secret-42', hash!)).to.equal(true);
    expect(r.stdout).to.not.contain('typed-secret-42');
  });

  describe('with a TeraBox cookie', () => {
    let emu: EmulatorHandle;
    let emuDir: string;
    before(async () => {
      emuDir = mkdtempSync(join(tmpdir(), 'tbw-cli-emu-'));
      emu = await startEmulator({ dataDir: emuDir });
    });
    after(async () => {
      await emu.stop();
      rmSync(emuDir, { recursive: true, force: true });
    });

    it('serves the account behind the cookie and never logs the cookie, even at trace level', async () => {
      const ndus = /ndus=([^;]+)/.exec(emu.defaultCookie)![1]!;
      const r = run(['serve', '--port', '0', '--data', dir, '--upstream', emu.url, '--log-level', 'trace'], {
        TERABOX_COOKIE: ndus,
      });
      running.push(r);
      const [, url] = await waitFor(r, /"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/);
      const put = await request(`${url}from-cli.bin`, { method: 'PUT', body: Buffer.alloc(1000, 7) });
      await put.body.dump();
      expect(put.statusCode).to.equal(201);
      // Write-back (the default): the commit lands in the background, within moments.
      for (let i = 0; i < 500 && !emu.entry('/from-cli.bin'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(emu.entry('/from-cli.bin')?.size).to.equal(1000);
      const missing = await request(`${url}no/such/file`);
      await missing.body.dump();
      expect(missing.statusCode).to.equal(404);
      await stop(r);
      expect(r.out()).to.contain(`using TeraBox at ${emu.url}`);
      expect(r.out() + r.err()).to.not.contain(ndus);
    });
  });
});

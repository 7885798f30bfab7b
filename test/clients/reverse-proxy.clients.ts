// The drive behind the reverse-proxy configurations the README documents (contrib/Caddyfile and
// contrib/nginx-terabox-webdav.conf), run by the real Caddy and nginx from Debian on loopback with a
// self-signed certificate: a large streamed PUT (no body limit), GET, PROPFIND, MOVE and COPY with
// https Destination headers, LOCK/UNLOCK and the status page, all through HTTPS. Each proxy is
// skipped, saying so, when its program is not installed.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { mustRun } from './commands.js';
import { startRig, type DriveRig } from './drive-rig.js';

const REPO = join(import.meta.dirname, '..', '..');
const USER = { name: 'proxyuser', password: 'via proxy: s3cret' };
const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

async function waitForPort(port: number, proc: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        done(true);
      });
      c.on('error', () => done(false));
    });
    if (open) return;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the proxy did not listen on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startProxy(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { proc: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((done) => proc.once('exit', done));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The checks every proxy configuration must pass, at `base` (https, ending in `/`). */
function proxyChecks(ctx: () => { rig: DriveRig; base: string; dispatcher: Dispatcher }) {
  // Each proxy works in a folder of its own on the one drive.
  let dirName = '';
  before(async () => {
    dirName = `p${Date.now()}`;
    expect((await call('MKCOL', `${dirName}/`)).status).to.equal(201);
  });
  const auth = { authorization: 'Basic ' + Buffer.from(`${USER.name}:${USER.password}`).toString('base64') };
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | Readable) => {
    const { base, dispatcher } = ctx();
    const res = await request(
      base + (dirName && !path.startsWith('.well-known') && !path.startsWith(dirName) ? `${dirName}/${path}` : path),
      { method: method as Dispatcher.HttpMethod, headers: { ...auth, ...headers }, body, dispatcher },
    );
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body: buf };
  };

  it('streams a 48 MiB PUT through (no body limit) and reads it back byte for byte', async () => {
    const part = randomBytes(MiB);
    const size = 48 * MiB + 5;
    const hash = createHash('md5');
    async function* body() {
      for (let sent = 0; sent < size; sent += MiB) {
        const chunk = part.subarray(0, Math.min(MiB, size - sent));
        hash.update(chunk);
        yield chunk;
      }
    }
    const put = await call('PUT', 'big%20file.bin', { 'content-length': String(size) }, Readable.from(body()));
    expect(put.status, put.body.toString()).to.equal(201);
    const got = await call('GET', 'big%20file.bin');
    expect(got.status).to.equal(200);
    expect(got.body.length).to.equal(size);
    expect(createHash('md5').update(got.body).digest('hex')).to.equal(hash.digest('hex'));
    expect(await ctx().rig.terabox.md5(`/${dirName}/big file.bin`)).to.equal(createHash('md5').update(got.body).digest('hex'));
    const range = await call('GET', 'big%20file.bin', { range: 'bytes=10-19' });
    expect(range.status).to.equal(206);
    expect(range.body.equals(got.body.subarray(10, 20))).to.equal(true);
  });

  it('passes WebDAV methods and https Destination headers: PROPFIND, MKCOL, COPY, MOVE, LOCK, UNLOCK', async () => {
    const base = `${ctx().base}${dirName}/`;
    expect((await call('PUT', 'a.txt', {}, Buffer.from('alpha'))).status).to.equal(201);
    expect((await call('MKCOL', 'dir/')).status).to.equal(201);
    expect((await call('COPY', 'a.txt', { destination: `${base}dir/b.txt` })).status).to.equal(201);
    expect((await call('MOVE', 'a.txt', { destination: `${base}dir/c%20d.txt` })).status).to.equal(201);
    const list = await call(
      'PROPFIND',
      'dir/',
      { depth: '1', 'content-type': 'application/xml' },
      Buffer.from('<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getcontentlength/></prop></propfind>'),
    );
    expect(list.status).to.equal(207);
    expect(list.body.toString()).to.include(`/${dirName}/dir/b.txt`).and.include(`/${dirName}/dir/c%20d.txt`);
    const lockBody =
      '<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype><owner>proxy</owner></lockinfo>';
    const lock = await call('LOCK', 'dir/b.txt', { timeout: 'Second-60', 'content-type': 'application/xml' }, Buffer.from(lockBody));
    expect(lock.status).to.equal(200);
    const token = String(lock.headers['lock-token']);
    expect((await call('PUT', 'dir/b.txt', {}, Buffer.from('no token'))).status).to.equal(423);
    expect((await call('UNLOCK', 'dir/b.txt', { 'lock-token': token })).status).to.equal(204);
    expect((await call('GET', 'dir/c%20d.txt')).body.toString()).to.equal('alpha');
  });

  it("waits for a commit longer than a proxy's usual 60 s timeout (in write-through the drive answers a PUT after TeraBox has the file)", async () => {
    const { rig } = ctx();
    await rig.terabox.setKnobs({ latencyMs: { superfile2: 70_000 } });
    try {
      const started = Date.now();
      const put = await call('PUT', 'slow.bin', {}, randomBytes(300_000));
      expect(put.status, put.body.toString()).to.equal(201);
      expect(Date.now() - started).to.be.greaterThan(65_000);
    } finally {
      await rig.terabox.setKnobs({ latencyMs: 0 });
    }
  });

  it('serves the status page and the metrics behind the same password', async () => {
    const { base, dispatcher } = ctx();
    const anonymous = await request(`${base}.well-known/terabox-webdav/`, { dispatcher });
    await anonymous.body.dump();
    expect(anonymous.statusCode).to.equal(401);
    const page = await call('GET', '.well-known/terabox-webdav/');
    expect(page.status).to.equal(200);
    expect(page.body.toString()).to.include('terabox-webdav status');
    const metrics = await call('GET', '.well-known/terabox-webdav/metrics');
    expect(metrics.body.toString()).to.match(/terabox_webdav_requests_total\{method="PUT",status="201"\} \d/);
  });
}

describe('behind a reverse proxy (the documented configurations)', function () {
  this.timeout(600_000);
  let rig: DriveRig;
  let cert: string;
  let key: string;
  let dispatcher: Agent;

  before(async () => {
    // Write-through: the case a proxy's timeouts matter for (the answer waits for TeraBox); write-back
    // answers a PUT once the body is on local disk, well inside them.
    rig = await startRig({ name: 'proxy', user: USER, uploadMode: 'write-through' });
    cert = join(rig.tmp, 'cert.pem');
    key = join(rig.tmp, 'key.pem');
    await mustRun('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    dispatcher = new Agent({ connect: { ca: await readFile(cert) } });
  });
  after(async () => {
    await dispatcher?.close();
    await rig?.close();
  });

  describe('nginx (contrib/nginx-terabox-webdav.conf)', () => {
    let proxy: ReturnType<typeof startProxy> | undefined;
    let base = '';
    before(async function () {
      if (!existsSync('/usr/sbin/nginx')) {
        console.log('    skipping nginx: not installed (apt-get install nginx-light)');
        this.skip();
      }
      const port = await freePort();
      const drivePort = new URL(rig.url).port;
      const dir = join(rig.tmp, 'nginx');
      await mkdir(dir, { recursive: true });
      // The documented server block, moved to a loopback port with the test's certificate.
      const documented = (await readFile(join(REPO, 'contrib', 'nginx-terabox-webdav.conf'), 'utf8')).split('# Plain HTTP')[0]!;
      const server = documented
        .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
        .replace('listen [::]:443 ssl;', '')
        .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`)
        .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`)
        .replace('http://127.0.0.1:8080', `http://127.0.0.1:${drivePort}`);
      const conf = `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${server}\n}\n`;
      await writeFile(join(dir, 'nginx.conf'), conf);
      proxy = startProxy('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], process.env);
      await waitForPort(port, proxy.proc, proxy.output);
      base = `https://localhost:${port}/`;
    });
    after(async () => {
      await proxy?.stop();
    });
    proxyChecks(() => ({ rig, base, dispatcher }));
  });

  describe('Caddy (contrib/Caddyfile)', () => {
    let proxy: ReturnType<typeof startProxy> | undefined;
    let base = '';
    before(async function () {
      if (!existsSync('/usr/bin/caddy')) {
        console.log('    skipping Caddy: not installed (apt-get install caddy)');
        this.skip();
      }
      const port = await freePort();
      const drivePort = new URL(rig.url).port;
      const dir = join(rig.tmp, 'caddy');
      await mkdir(dir, { recursive: true });
      // The documented site, on a loopback port with the test's certificate instead of ACME.
      const documented = await readFile(join(REPO, 'contrib', 'Caddyfile'), 'utf8');
      const site = documented
        .replace('dav.example.com {', `https://localhost:${port} {\n\ttls ${cert} ${key}`)
        .replace('reverse_proxy 127.0.0.1:8080', `reverse_proxy 127.0.0.1:${drivePort}`);
      await writeFile(
        join(dir, 'Caddyfile'),
        `{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system ${dir}/data\n}\n${site}`,
      );
      proxy = startProxy('/usr/bin/caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
        ...process.env,
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
      });
      await waitForPort(port, proxy.proc, proxy.output);
      base = `https://localhost:${port}/`;
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(proxy?.output());
    });
    after(async () => {
      await proxy?.stop();
    });
    proxyChecks(() => ({ rig, base, dispatcher }));
  });
});

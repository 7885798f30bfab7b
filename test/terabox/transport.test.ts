// The client's wire behaviour against a scripted node:http server: parameters and headers, JSON and
// errno decoding, timeouts, network failures, what is retried, page scraping, downloads, streaming,
// and that no secret reaches an error or a log line.

import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { createTeraBoxClient, type TeraBoxClient, type TeraBoxClientOptions } from '../../src/terabox/client.js';
import { TeraBoxError } from '../../src/terabox/errors.js';
import { isConnectError } from '../../src/terabox/retry.js';
import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from '../../src/terabox/wire.js';
import { FakeServer, json } from './fake-server.js';

const COOKIE_SECRET = 'NDUSSECRETVALUE0123456789';
const JS_TOKEN = 'JSTOKENSECRET9876543210ABCDEF';
const BDSTOKEN = 'bdstokensecret0123456789abcdef01';

function page(token = JS_TOKEN): string {
  return (
    `<html><script>var templateData = ${JSON.stringify({ bdstoken: BDSTOKEN })};</script>` +
    `<script>eval(decodeURIComponent(\`${JS_TOKEN_PREFIX}${token}${JS_TOKEN_SUFFIX}\`))</script></html>`
  );
}

class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }
  retries(): number {
    return this.lines.filter((l) => l.includes('terabox: retrying')).length;
  }
}

async function rejection(p: Promise<unknown>): Promise<TeraBoxError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(TeraBoxError);
    return e as TeraBoxError;
  }
  return expect.fail('the call succeeded');
}

function assertNoSecrets(text: string): void {
  for (const secret of [COOKIE_SECRET, JS_TOKEN, BDSTOKEN]) expect(text).to.not.include(secret);
}

describe('client transport (scripted server)', () => {
  let server: FakeServer;
  let client: TeraBoxClient;
  let logs: LogSink;

  function connect(extra: Partial<TeraBoxClientOptions> = {}): TeraBoxClient {
    logs = new LogSink();
    client = createTeraBoxClient({
      baseUrl: extra.baseUrl ?? server.url,
      cookie: COOKIE_SECRET,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      timeouts: { connectMs: 2_000, requestMs: 2_000, partMs: 5_000 },
      logger: createLogger('debug', logs),
      ...extra,
    });
    return client;
  }

  beforeEach(async () => {
    server = await new FakeServer().start();
  });

  afterEach(async () => {
    await client?.close();
    await server.stop();
  });

  it('sends the common parameters, the cookie, the desktop UA and browser headers', async () => {
    server.handler = (_req, res) => json(res, { errno: 0, total: 100, used: 40, free: 100 });
    const quota = await connect().quota();
    expect(quota).to.deep.equal({ total: 100, used: 40, free: 60 });
    const [req] = server.seen;
    expect(Object.fromEntries(req!.query)).to.include({ app_id: '250528', web: '1', channel: 'dubox', clienttype: '0', checkfree: '1' });
    expect(req!.headers.cookie).to.equal(`ndus=${COOKIE_SECRET}; lang=en`);
    expect(req!.headers['user-agent']).to.match(/^terabox;.*WindowsTeraBox$/);
    expect(req!.headers['x-requested-with']).to.equal('XMLHttpRequest');
    expect(req!.headers.referer).to.equal(`${server.url}/`);
  });

  it('scrapes the jsToken before a write and sends it in the query, with %20-encoded form bodies', async () => {
    server.handler = (req, res) => {
      if (req.path === '/') return void res.end(page());
      json(res, { errno: 0, info: [{ errno: 0, path: '/a b/1+1.txt' }] });
    };
    await connect().rename([{ path: '/a b/1+1.txt', newname: 'x y.txt' }]);
    const call = server.seen.find((s) => s.path === '/api/filemanager')!;
    expect(call.query.get('jsToken')).to.equal(JS_TOKEN);
    expect(call.query.get('opera')).to.equal('rename');
    expect(call.body.toString()).to.equal(`filelist=${encodeURIComponent(JSON.stringify([{ path: '/a b/1+1.txt', newname: 'x y.txt' }]))}`);
    expect(call.body.toString()).to.not.include('+');
  });

  it('keeps every digit of a 64-bit request id in the error', async () => {
    server.handler = (_req, res) => json(res, '{"errno":-9,"request_id":321677587051751085}');
    const err = await rejection(connect().listPage('/missing', 1));
    expect(err).to.include({ code: 'NOT_FOUND', errno: -9, endpoint: '/api/list', requestId: '321677587051751085' });
  });

  it('retries an idempotent call after HTTP 502 and errno 31034, then succeeds', async () => {
    let n = 0;
    server.handler = (_req, res) => {
      n++;
      if (n === 1) return json(res, '<html>bad gateway</html>', 502);
      if (n === 2) return json(res, { errno: 31034 });
      json(res, { errno: 0, list: [] });
    };
    expect(await connect().list('/')).to.deep.equal([]);
    expect(server.count('/api/list')).to.equal(3);
    expect(logs.retries()).to.equal(2);
  });

  it('matches filemetas items to paths by name, whatever order the server answers in', async () => {
    const item = (path: string, fs_id: number) => ({
      fs_id,
      path,
      server_filename: path.slice(1),
      size: 1,
      isdir: 0,
      category: 6,
      server_mtime: 1,
      server_ctime: 1,
    });
    server.handler = (_req, res) => json(res, { errno: 12, info: [item('/b', 2), { errno: -9 }, item('/a', 1)] });
    const got = await connect().stat(['/a', '/missing', '/b']);
    expect(got.map((e) => e?.fsId ?? null)).to.deep.equal([1, null, 2]);
    expect(JSON.parse(new URLSearchParams(server.seen[0]!.body.toString()).get('target')!)).to.deep.equal(['/a', '/missing', '/b']);
  });

  it('calls a 200 answer that is not JSON UNKNOWN, and does not retry it', async () => {
    server.handler = (_req, res) => void res.end('<html>captcha</html>');
    const err = await rejection(connect().quota());
    expect(err.code).to.equal('UNKNOWN');
    expect(server.count('/api/quota')).to.equal(1);
  });

  it('gives up on a server that never answers within requestMs, after the configured attempts', async () => {
    server.handler = () => undefined;
    connect({ timeouts: { requestMs: 150 }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await rejection(client.checkLogin());
    expect(err.code).to.equal('TRANSIENT');
    expect(err.message).to.match(/no answer within 150 ms/);
    expect(server.count('/api/check/login')).to.equal(2);
  });

  it('does not repeat a filemanager call whose connection broke after the request was sent', async () => {
    server.handler = (req, res) => {
      if (req.path === '/') return void res.end(page());
      res.socket?.destroy();
    };
    const err = await rejection(connect().delete(['/a']));
    expect(err.code).to.equal('TRANSIENT');
    expect(server.count('/api/filemanager')).to.equal(1);
  });

  it('does not repeat a filemanager call refused with 502 or errno 31034', async () => {
    let n = 0;
    server.handler = (req, res) => {
      if (req.path === '/') return void res.end(page());
      n++;
      if (n === 1) return json(res, { errno: 31034 });
      json(res, 'oops', 502);
    };
    connect();
    expect((await rejection(client.move([{ path: '/a', dest: '/b', newname: 'a' }]))).code).to.equal('RATE_LIMITED');
    expect((await rejection(client.copy([{ path: '/a', dest: '/b', newname: 'a' }]))).code).to.equal('TRANSIENT');
    expect(server.count('/api/filemanager')).to.equal(2);
  });

  it('repeats even an unsafe call when the connection was refused', async () => {
    const deadUrl = server.url;
    await server.stop();
    connect({ baseUrl: deadUrl });
    // rapidupload with rtype 1 is unsafe and needs no page token first, so only its own retries show.
    const err = await rejection(
      client.rapidUpload({ path: '/f', size: 1, contentMd5: 'a'.repeat(32), sliceMd5: 'a'.repeat(32), rtype: 1 }),
    );
    expect(err.code).to.equal('TRANSIENT');
    expect(isConnectError(err)).to.equal(true);
    const retried = logs.lines.filter((l) => l.includes('terabox: retrying'));
    expect(retried).to.have.length(2);
    for (const line of retried) expect(JSON.parse(line)).to.include({ endpoint: '/api/rapidupload' });
    server = await new FakeServer().start();
  });

  it('fails with AUTH_EXPIRED, without quoting the page, when the page has no jsToken', async () => {
    server.handler = (req, res) => {
      if (req.path === '/') return void res.end(`<html>please log in ${BDSTOKEN}</html>`);
      json(res, { errno: 0 });
    };
    const err = await rejection(connect().mkdir('/d'));
    expect(err.code).to.equal('AUTH_EXPIRED');
    assertNoSecrets(err.message);
    expect(server.count('/api/create')).to.equal(0);
  });

  it('follows the web page to another origin and sends later calls there', async () => {
    const moved = await new FakeServer().start();
    try {
      moved.handler = (req, res) => {
        if (req.path === '/main') return void res.end(page());
        json(res, { errno: 0, fs_id: 5, path: '/d', server_filename: 'd', isdir: 1, size: 0, ctime: 1, mtime: 1, category: 6 });
      };
      server.handler = (_req, res) => {
        res.writeHead(302, { location: `${moved.url}/main` });
        res.end();
      };
      const entry = await connect().mkdir('/d');
      expect(entry).to.include({ path: '/d', isDir: true, fsId: 5 });
      expect(client.baseUrl).to.equal(moved.url);
      expect(moved.count('/api/create')).to.equal(1);
      expect(server.count('/api/create')).to.equal(0);
    } finally {
      await client.close();
      await moved.stop();
    }
  });

  it('never lets the cookie, jsToken or bdstoken into errors or log lines', async () => {
    server.handler = (req, res) => {
      if (req.path === '/') return void res.end(page());
      json(res, { errno: 4000023, errmsg: `need verify ${JS_TOKEN}` }, 200);
    };
    connect({ apiStyle: 'xpan' });
    const err = await rejection(client.precreate({ path: '/f', size: 1, blockList: ['5910a591dd8fc18c32a8f3df4fdc1761'] }));
    expect(err.code).to.equal('TOKEN_EXPIRED');
    const xpan = server.seen.find((s) => s.path === '/rest/2.0/xpan/file')!;
    expect(xpan.query.get('bdstoken')).to.equal(BDSTOKEN);
    assertNoSecrets(err.message);
    assertNoSecrets(err.stack ?? '');
    assertNoSecrets(JSON.stringify(err));
    const network = await rejection(
      createTeraBoxClient({ baseUrl: 'http://127.0.0.1:1', cookie: COOKIE_SECRET, retry: { attempts: 1 } }).quota(),
    );
    assertNoSecrets(`${network.message}${network.stack}${JSON.stringify(network)}`);
    expect(logs.lines.length).to.be.greaterThan(0);
    assertNoSecrets(logs.lines.join('\n'));
  });

  describe('downloads', () => {
    it('asks for a byte range and reports length, total size, md5 and crc32', async () => {
      server.handler = (req, res) => {
        expect(req.headers.range).to.equal('bytes=2-5');
        res.writeHead(206, {
          'content-range': 'bytes 2-5/10',
          'content-length': '4',
          'content-md5': 'e807f1fcf82d132f9bb018ca6738a19f',
          'x-bs-meta-crc32': '2707236321',
        });
        res.end('2345');
      };
      const link = { url: `${server.url}/file/x?expires=9999999999`, expiresAt: 0, headers: { 'user-agent': 'UA-1' } };
      const got = await connect().download(link, { start: 2, end: 5 });
      expect(got).to.include({ status: 206, length: 4, totalSize: 10, contentMd5: 'e807f1fcf82d132f9bb018ca6738a19f', crc32: 2707236321 });
      expect((await got.body.toArray()).join('')).to.equal('2345');
      expect(server.seen[0]!.headers['user-agent']).to.equal('UA-1');
    });

    it('follows redirects and drops the cookie when the redirect leaves the origin', async () => {
      const data = await new FakeServer().start();
      try {
        data.handler = (_req, res) => {
          res.writeHead(200, { 'content-length': '5' });
          res.end('hello');
        };
        server.handler = (_req, res) => {
          res.writeHead(302, { location: `http://localhost:${data.port}/data/x` });
          res.end();
        };
        const got = await connect().download({ url: `${server.url}/dlink/x`, expiresAt: 0, headers: {} });
        expect(got).to.include({ status: 200, length: 5, totalSize: 5 });
        expect((await got.body.toArray()).join('')).to.equal('hello');
        expect(server.seen[0]!.headers.cookie).to.include(COOKIE_SECRET);
        expect(data.seen[0]!.headers.cookie).to.equal(undefined);
      } finally {
        await client.close();
        await data.stop();
      }
    });

    it('answers LINK_EXPIRED to 403 and 410, BAD_REQUEST to 416, without retrying', async () => {
      const statuses = [403, 410, 416];
      server.handler = (_req, res) => json(res, { error_code: 31045, error_msg: 'user not exists' }, statuses[server.seen.length - 1]);
      connect();
      const link = { url: `${server.url}/data/x`, expiresAt: 0, headers: {} };
      expect((await rejection(client.download(link))).code).to.equal('LINK_EXPIRED');
      expect((await rejection(client.download(link))).code).to.equal('LINK_EXPIRED');
      expect((await rejection(client.download(link, { start: 100, end: 200 }))).code).to.equal('BAD_REQUEST');
      expect(server.seen).to.have.length(3);
    });

    it('refuses an inverted range before sending anything', async () => {
      const err = await rejection(connect().download({ url: `${server.url}/x`, expiresAt: 0, headers: {} }, { start: 5, end: 2 }));
      expect(err.code).to.equal('BAD_REQUEST');
      expect(server.seen).to.have.length(0);
    });
  });

  describe('superfile2', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'terabox-transport-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('sends the part as multipart field "file", filename "blob", octet-stream', async () => {
      server.handler = (_req, res) => json(res, { md5: 'ABCDEF0123456789ABCDEF0123456789', partseq: '3' });
      const file = join(dir, 'part.bin');
      await writeFile(file, 'xxhello worldyy');
      const blob = (await openAsBlob(file)).slice(2, 13);
      const got = await connect({ uploadHost: `127.0.0.1:${server.port}` }).uploadPart({
        path: '/d/f.bin',
        uploadId: 'N1-abc',
        partseq: 3,
        data: blob,
      });
      expect(got.md5).to.equal('abcdef0123456789abcdef0123456789');
      const [req] = server.seen;
      expect(req!.path).to.equal('/rest/2.0/pcs/superfile2');
      expect(Object.fromEntries(req!.query)).to.include({
        method: 'upload',
        path: '/d/f.bin',
        uploadid: 'N1-abc',
        partseq: '3',
        app_id: '250528',
      });
      expect(req!.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);
      const body = req!.body.toString();
      expect(body).to.include(
        'Content-Disposition: form-data; name="file"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\nhello world\r\n',
      );
      expect(Number(req!.headers['content-length'])).to.equal(req!.body.length);
    });

    it('streams a file-backed part instead of reading it whole into memory', async () => {
      const size = 128 * 1024 * 1024;
      const file = join(dir, 'sparse.bin');
      await writeFile(file, '');
      await truncate(file, size);
      server.discardBodies = true;
      server.handler = (_req, res) => json(res, { md5: 'fcd8ba4dbbd4b4e6bbb6d6bb5b1e6a9c' });
      const blob = (await openAsBlob(file)).slice(0, size);
      const before = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const probe = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)), 5);
      try {
        await connect({ uploadHost: `127.0.0.1:${server.port}` }).uploadPart({ path: '/big', uploadId: 'u', partseq: 0, data: blob });
      } finally {
        clearInterval(probe);
      }
      expect(server.seen[0]!.bytes).to.be.greaterThan(size);
      // Reading the part whole would hold all 128 MiB at once; streaming holds a few socket buffers.
      expect(peak).to.be.below(size / 2);
    });
  });
});

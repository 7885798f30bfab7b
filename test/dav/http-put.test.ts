import { expect } from 'chai';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../../src/util/password.js';
import { startDav, type RunningDav } from './harness.js';
import { MemoryDrive } from './memory-drive.js';
import { dav, header, raw, statusesOf } from './client.js';
import { at } from '../support/index.js';
import { waitFor } from '../support/wait-for.js';

function portOf(s: RunningDav): number {
  return Number(new URL(s.url).port);
}

/** A body that arrives in `parts` pieces, `gapMs` apart. */
function trickle(parts: Buffer[], gapMs: number): Readable {
  return Readable.from(
    (async function* () {
      for (const p of parts) {
        yield p;
        await sleep(gapMs);
      }
    })(),
  );
}

describe('dav over HTTP: PUT', () => {
  let s: RunningDav;
  afterEach(async () => {
    await s.close();
  });

  it('passes Content-Length to the drive as the exact size', async () => {
    s = await startDav();
    await dav(s.origin, 'PUT', '/sized', { body: Buffer.alloc(1234, 1) });
    expect(at(s.drive.writes, 0).opts.size).to.equal(1234);
    expect(at(s.drive.writes, 0).opts.sizeHint).to.equal(undefined);
  });

  it('stores a Finder-style chunked PUT and passes X-Expected-Entity-Length as a hint only', async () => {
    s = await startDav();
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(50_000, 'b'), Buffer.from('end')];
    const res = await dav(s.origin, 'PUT', '/finder.bin', {
      headers: { 'x-expected-entity-length': '120003', 'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/21.0.0' },
      body: Readable.from(parts),
    });
    expect(res.status).to.equal(201);
    expect(s.drive.content('/finder.bin')!.equals(Buffer.concat(parts))).to.equal(true);
    expect(at(s.drive.writes, 0).opts).to.include({ size: undefined, sizeHint: 120003 });
  });

  it('sends 100 Continue and stores the body when the client waits for it', async () => {
    s = await startDav();
    const body = 'x'.repeat(100);
    const ex = await raw(
      portOf(s),
      'PUT /expect100 HTTP/1.1\nHost: 127.0.0.1\nConnection: close\nContent-Length: 100\nExpect: 100-continue',
      {
        body,
        waitForContinue: true,
        waitMs: 1500,
      },
    );
    expect(statusesOf(ex.text)).to.deep.equal([100, 201]);
    expect(s.drive.content('/expect100')!.toString()).to.equal(body);
  });

  it('answers a doomed Expect: 100-continue PUT before the body is sent (409, 413, 507, 405)', async () => {
    s = await startDav({ drive: new MemoryDrive({ maxFileSize: 1000, capacity: 5000 }) });
    await dav(s.origin, 'MKCOL', '/coll/');
    const cases: [string, number, number][] = [
      ['/missing/parent', 10, 409],
      ['/too-big', 1001, 413],
      ['/coll', 10, 405],
    ];
    for (const [path, length, status] of cases) {
      const ex = await raw(portOf(s), `PUT ${path} HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ${length}\nExpect: 100-continue`, {
        body: 'never sent',
        waitForContinue: true,
        waitMs: 1500,
      });
      expect(statusesOf(ex.text), path).to.deep.equal([status]);
    }
    s.drive.putFile('/filler', Buffer.alloc(4500));
    const quota = await raw(
      portOf(s),
      'PUT /over-quota HTTP/1.1\nHost: 127.0.0.1\nConnection: close\nContent-Length: 900\nExpect: 100-continue',
      {
        body: 'never sent',
        waitForContinue: true,
      },
    );
    expect(statusesOf(quota.text)).to.deep.equal([507]);
    expect(quota.text).to.include('<D:quota-not-exceeded/>');
  });

  it('answers 413 from Content-Length alone and closes the connection without waiting for the body', async () => {
    s = await startDav({ drive: new MemoryDrive({ maxFileSize: 1000 }) });
    const started = Date.now();
    const ex = await raw(portOf(s), 'PUT /huge HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 5000000000', { waitMs: 3000 });
    expect(statusesOf(ex.text)).to.deep.equal([413]);
    expect(ex.text).to.match(/Connection: close/i);
    expect(ex.closed).to.equal(true);
    expect(Date.now() - started).to.be.below(2500);
  });

  it('answers 507 with a DAV:error body when the drive is over quota', async () => {
    s = await startDav({ drive: new MemoryDrive({ capacity: 100 }) });
    const res = await dav(s.origin, 'PUT', '/big', { body: Buffer.alloc(200) });
    expect(res.status).to.equal(507);
    expect(res.text).to.include('quota-not-exceeded');
    expect(s.drive.has('/big')).to.equal(false);
  });

  it('answers 502 and 503 with the drive message when TeraBox fails the upload', async () => {
    s = await startDav();
    s.drive.failNext('write', 'UPSTREAM', 'TeraBox refused the commit (errno 31363)');
    const bad = await dav(s.origin, 'PUT', '/f', { body: 'x' });
    expect(bad.status).to.equal(502);
    expect(bad.text).to.include('errno 31363');
    s.drive.failNext('write', 'UNAVAILABLE', 'TeraBox is rate limiting');
    expect((await dav(s.origin, 'PUT', '/f', { body: 'x' })).status).to.equal(503);
    expect((await dav(s.origin, 'PUT', '/f', { body: 'x' })).status).to.equal(201);
  });

  it('answers only once the drive has committed the upload', async () => {
    s = await startDav();
    let release!: () => void;
    s.drive.commitGate = new Promise<void>((r) => (release = r));
    let answered = false;
    const put = dav(s.origin, 'PUT', '/slow-commit', { body: 'data' }).then((r) => {
      answered = true;
      return r;
    });
    await sleep(300);
    expect(answered).to.equal(false);
    expect(s.drive.has('/slow-commit')).to.equal(false);
    release();
    expect((await put).status).to.equal(201);
    expect(s.drive.content('/slow-commit')!.toString()).to.equal('data');
  });

  it('drops a stalled upload (Content-Length larger than the body) and keeps serving others', async () => {
    s = await startDav({ bodyIdleTimeoutMs: 300 });
    const started = Date.now();
    const stalled = raw(portOf(s), 'PUT /stalled HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 100', { body: '0123456789', waitMs: 5000 });
    await sleep(50);
    expect((await dav(s.origin, 'PROPFIND', '/', { headers: { depth: '0' } })).status).to.equal(207);
    const ex = await stalled;
    expect(ex.closed).to.equal(true);
    expect(Date.now() - started).to.be.below(4000);
    expect(s.drive.has('/stalled')).to.equal(false);
    expect((await dav(s.origin, 'PUT', '/after', { body: 'ok' })).status).to.equal(201);
  });

  it('does not cut an upload that keeps progressing, or a commit, for longer than the idle timeout', async () => {
    s = await startDav({ bodyIdleTimeoutMs: 300 });
    expect(s.server.requestTimeout).to.equal(0);
    let release!: () => void;
    s.drive.commitGate = new Promise<void>((r) => (release = r));
    setTimeout(() => release(), 800);
    const parts = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1000, 65 + i));
    const res = await dav(s.origin, 'PUT', '/trickle', { body: trickle(parts, 150) });
    expect(res.status).to.equal(201);
    expect(s.drive.content('/trickle')!.equals(Buffer.concat(parts))).to.equal(true);
  });

  it('does not drop a client that waits for 100 Continue while the drive is not ready for the body', async () => {
    s = await startDav({ bodyIdleTimeoutMs: 300 });
    let release!: () => void;
    s.drive.startGate = new Promise<void>((r) => (release = r));
    setTimeout(() => release(), 900);
    const ex = await raw(portOf(s), 'PUT /queued HTTP/1.1\nHost: 127.0.0.1\nConnection: close\nContent-Length: 5\nExpect: 100-continue', {
      body: 'later',
      waitForContinue: true,
      waitMs: 3000,
    });
    expect(statusesOf(ex.text)).to.deep.equal([100, 201]);
    expect(s.drive.content('/queued')!.toString()).to.equal('later');
  });

  it('fails the body the drive reads when the client left while waiting for 100 Continue, so the write ends', async () => {
    s = await startDav();
    let release!: () => void;
    s.drive.startGate = new Promise<void>((r) => (release = r));
    let outcome = 'pending';
    const write = s.drive.write.bind(s.drive);
    s.drive.write = (path, body, opts) =>
      write(path, body, opts).then(
        (r) => {
          outcome = 'stored';
          return r;
        },
        (e: unknown) => {
          outcome = 'failed';
          throw e;
        },
      );
    // The client gives up before the drive is ready for its body (raw() closes the socket after waitMs).
    await raw(portOf(s), 'PUT /left HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 5\nExpect: 100-continue', {
      body: 'never',
      waitForContinue: true,
      waitMs: 200,
    });
    await sleep(200);
    release();
    await waitFor(() => outcome !== 'pending', { what: 'the write ended' });
    expect(outcome).to.equal('failed');
    expect(s.drive.has('/left')).to.equal(false);
  });

  it('aborts the drive write when the client disconnects mid-upload, and stores nothing', async () => {
    s = await startDav();
    const ex = raw(portOf(s), 'PUT /gone HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 1000000', { body: Buffer.alloc(1000), waitMs: 200 });
    await ex; // raw() destroys the socket after waitMs
    await sleep(100);
    expect(s.drive.writes.map((w) => w.path)).to.deep.equal(['/gone']);
    expect(at(s.drive.writes, 0).opts.signal!.aborted).to.equal(true);
    expect(s.drive.has('/gone')).to.equal(false);
    expect((await dav(s.origin, 'GET', '/')).status).to.equal(200);
  });

  it('keeps 0-byte PUTs (the first half of a Finder copy) as empty files', async () => {
    s = await startDav();
    expect((await dav(s.origin, 'PUT', '/._empty', { body: '' })).status).to.equal(201);
    expect(s.drive.content('/._empty')!.length).to.equal(0);
    expect(at(s.drive.writes, 0).opts.size).to.equal(0);
  });

  it('answers 401 before the body when credentials are missing, and 403 on a read-only server', async () => {
    s = await startDav({ users: [{ name: 'u', passwordHash: await hashPassword('p') }], allowAnonymous: false });
    const ex = await raw(portOf(s), 'PUT /x HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 10\nExpect: 100-continue', {
      body: '0123456789',
      waitForContinue: true,
    });
    expect(statusesOf(ex.text)).to.deep.equal([401]);
    expect(ex.text).to.match(/WWW-Authenticate: Basic realm="terabox-webdav"/);
    await s.close();
    s = await startDav({ readOnly: true });
    const ro = await dav(s.origin, 'PUT', '/x', { body: 'x' });
    expect(ro.status).to.equal(403);
    expect(s.drive.writes).to.have.length(0);
    expect(header(await dav(s.origin, 'OPTIONS', '/'), 'allow')).to.not.include('PUT');
  });
});

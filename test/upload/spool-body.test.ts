import { expect } from 'chai';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { spoolBody } from '../../src/upload/spool-body.js';
import { UploadError } from '../../src/upload/types.js';
import { bodyOf, bytes, KiB, tempDir } from '../support/index.js';

describe('upload/spool-body', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const file = () => join(tmp.dir, `body-${n++}.spool`);
  before(async () => (tmp = await tempDir()));
  after(() => tmp.remove());

  it('writes the body byte for byte and reports progress up to its size', async () => {
    const data = bytes(3 * 1024 * KiB + 17);
    const f = file();
    const progress: number[] = [];
    const size = await spoolBody(bodyOf(data, 61 * KiB), { file: f, maxBytes: data.length, onWritten: (b) => progress.push(b) });
    expect(size).to.equal(data.length);
    expect((await readFile(f)).equals(data)).to.equal(true);
    expect(progress.at(-1)).to.equal(data.length);
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
  });

  it('accepts string chunks', async () => {
    const f = file();
    const size = await spoolBody(Readable.from(['héllo', ' ', 'wörld']), { file: f, maxBytes: 100, onWritten: () => {} });
    expect(size).to.equal(Buffer.byteLength('héllo wörld'));
    expect(await readFile(f, 'utf8')).to.equal('héllo wörld');
  });

  it('fails with TOO_LARGE as soon as the body passes the limit, leaving the body paused and usable', async () => {
    const body = new PassThrough();
    const f = file();
    const run = spoolBody(body, { file: f, maxBytes: 100, onWritten: () => {} });
    body.write(bytes(60));
    body.write(bytes(60));
    let error: unknown;
    await run.catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(UploadError);
    expect((error as UploadError).code).to.equal('TOO_LARGE');
    expect(body.destroyed).to.equal(false);
    expect((await stat(f)).size).to.be.at.most(100);
    body.destroy(new Error('the client hung up later'));
  });

  it('fails with ABORTED when the body errors mid-way', async () => {
    const body = new PassThrough();
    const run = spoolBody(body, { file: file(), maxBytes: 1e9, onWritten: () => {} });
    body.write(bytes(1000));
    setTimeout(() => body.destroy(new Error('socket hang up')), 10);
    let error: unknown;
    await run.catch((e: unknown) => (error = e));
    expect((error as UploadError).code).to.equal('ABORTED');
    expect((error as Error).message).to.match(/ended early.*socket hang up/);
  });

  it('stops with the signal reason and destroys the body when aborted', async () => {
    const body = new PassThrough();
    const ctl = new AbortController();
    const run = spoolBody(body, { file: file(), maxBytes: 1e9, onWritten: () => {}, signal: ctl.signal });
    body.write(bytes(10));
    const reason = new UploadError('ABORTED', 'client went away');
    setTimeout(() => ctl.abort(reason), 10);
    let error: unknown;
    await run.catch((e: unknown) => (error = e));
    expect(error).to.equal(reason);
    expect(body.destroyed).to.equal(true);
  });

  it('stops when the signal fires while the spool file is being opened', async () => {
    const body = new PassThrough();
    const ctl = new AbortController();
    const run = spoolBody(body, { file: file(), maxBytes: 1e9, onWritten: () => {}, signal: ctl.signal });
    const reason = new UploadError('UNAVAILABLE', 'shutting down');
    ctl.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const still = new Promise<'still spooling'>((r) => (timer = setTimeout(() => r('still spooling'), 2_000)));
    const outcome = await Promise.race([run.catch((e: unknown) => e), still]);
    clearTimeout(timer);
    expect(outcome).to.equal(reason);
    expect(body.destroyed).to.equal(true);
  });

  it('refuses to overwrite an existing spool file', async () => {
    const f = file();
    await spoolBody(Readable.from([Buffer.from('x')]), { file: f, maxBytes: 10, onWritten: () => {} });
    let error: unknown;
    await spoolBody(Readable.from([Buffer.from('y')]), { file: f, maxBytes: 10, onWritten: () => {} }).catch((e: unknown) => (error = e));
    expect((error as NodeJS.ErrnoException).code).to.equal('EEXIST');
    expect(await readFile(f, 'utf8')).to.equal('x');
  });
});

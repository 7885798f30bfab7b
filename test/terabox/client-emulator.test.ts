// Every TeraBoxClient call against the real emulator: results checked against what the emulator
// stored, each errno path, token expiry and refresh, region switch, retries on injected faults, and
// that non-idempotent calls are never repeated.

import { openAsBlob } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { EmulatorHandle, EndpointName } from '../../src/emulator/index.js';
import { createLogger } from '../../src/log.js';
import type { RemoteEntry } from '../../src/terabox/api.js';
import { createTeraBoxClient, type TeraBoxClient, type TeraBoxClientOptions } from '../../src/terabox/client.js';
import { TeraBoxError, type TeraBoxErrorCode } from '../../src/terabox/errors.js';
import { PLACEHOLDER_BLOCK_MD5, type Rtype } from '../../src/terabox/wire.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

const ATTEMPTS = 3;
const PART = 1024;

function partsOf(data: Buffer, part = PART): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += part) out.push(data.subarray(i, i + part));
  return out;
}

async function rejection(p: Promise<unknown>, code?: TeraBoxErrorCode): Promise<TeraBoxError> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(TeraBoxError);
    if (code) expect((e as TeraBoxError).code, (e as Error).message).to.equal(code);
    return e as TeraBoxError;
  }
  return expect.fail('the call succeeded');
}

/** Logs to memory; `onRetry` runs when the client logs a retry (to lift a fault mid-call). */
class LogSink extends Writable {
  readonly lines: string[] = [];
  onRetry?: () => void;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const line = chunk.toString();
    this.lines.push(line);
    if (line.includes('terabox: retrying')) this.onRetry?.();
    done();
  }
}

describe('TeraBoxClient against the emulator', () => {
  let stack: Stack;
  let dataDir: string;
  let emu: EmulatorHandle;
  let api: TeraBoxClient;
  let logs: LogSink;
  const extraClients: TeraBoxClient[] = [];
  let dirSeq = 0;

  function client(extra: Partial<TeraBoxClientOptions> = {}): TeraBoxClient {
    const c = createTeraBoxClient({
      baseUrl: emu.url,
      cookie: emu.defaultCookie,
      retry: { attempts: ATTEMPTS, baseDelayMs: 1, maxDelayMs: 5 },
      timeouts: { connectMs: 2_000, requestMs: 10_000, partMs: 10_000 },
      logger: createLogger('debug', logs),
      ...extra,
    });
    extraClients.push(c);
    return c;
  }

  function requests(name: EndpointName): number {
    return emu.stats().endpoints[name]?.requests ?? 0;
  }

  /** A fresh directory per test, so tests never see each other's files. */
  async function freshDir(c: TeraBoxClient = api): Promise<string> {
    const dir = `/t${++dirSeq}`;
    await c.mkdir(dir);
    return dir;
  }

  async function upload(c: TeraBoxClient, path: string, data: Buffer, rtype: Rtype = 1): Promise<RemoteEntry> {
    const parts = partsOf(data);
    const blockList = parts.map((p) => md5(p));
    const pre = await c.precreate({ path, size: data.length, blockList: PLACEHOLDER_BLOCK_MD5.slice(0, parts.length > 1 ? 2 : 1) });
    for (const [i, part] of parts.entries()) {
      const got = await c.uploadPart({ path, uploadId: pre.uploadId, partseq: i, data: new Blob([part]) });
      expect(got.md5).to.equal(blockList[i]);
    }
    return c.create({ path, size: data.length, uploadId: pre.uploadId, blockList, rtype });
  }

  before(async () => {
    stack = await startStack({ upTo: 'emulator', emulator: { regions: ['jp'] }, knobs: { minPartSize: PART } });
    ({ emu, tmp: dataDir } = stack);
  });

  after(async () => {
    await stack.stop();
  });

  beforeEach(() => {
    logs = new LogSink();
    api = client();
    emu.setKnobs({ faults: {} });
    emu.resetStats();
  });

  afterEach(async () => {
    emu.setKnobs({ faults: {}, minPartSize: PART });
    await Promise.all(extraClients.splice(0).map((c) => c.close()));
  });

  describe('account', () => {
    it('checks the login and reads a free plan: 4 GiB per file', async () => {
      const info = await api.account();
      expect(info.vip).to.equal(false);
      expect(info.maxFileSize).to.equal(4 * 1024 ** 3);
      expect(info.uk).to.be.a('number');
      expect((await api.checkLogin()).uk).to.equal(info.uk);
    });

    it('reads a premium plan from membership', async () => {
      const { cookie } = emu.addAccount({ vip: true });
      const vip = client({ cookie });
      expect(await vip.membership()).to.include({ vip: true });
      expect((await vip.account()).maxFileSize).to.equal(128 * 1024 ** 3);
    });

    it('answers AUTH_EXPIRED (errno -6) to an unknown cookie', async () => {
      const err = await rejection(client({ cookie: 'not-a-real-ndus' }).checkLogin(), 'AUTH_EXPIRED');
      expect(err.errno).to.equal(-6);
      expect(err.endpoint).to.equal('/api/check/login');
    });

    it('reports quota with free computed from total and used', async () => {
      const { cookie } = emu.addAccount({ quotaBytes: 100_000 });
      const small = client({ cookie });
      const before = await small.quota();
      expect(before).to.deep.equal({ total: 100_000, used: 0, free: 100_000 });
      await upload(small, '/q.bin', bytes(3000, 1));
      expect(await small.quota()).to.deep.equal({ total: 100_000, used: 3000, free: 97_000 });
    });

    it('reads the download signs from home/info and the upload host from locateupload', async () => {
      const home = await api.homeInfo();
      expect(home.sign1).to.be.a('string').and.not.equal('');
      expect(home.sign3).to.be.a('string').and.not.equal('');
      expect(home.timestamp).to.be.greaterThan(0);
      expect(await api.locateUpload()).to.equal(new URL(emu.url).host);
    });
  });

  describe('directories and listing', () => {
    it('makes a directory, and making it again returns the same entry', async () => {
      const first = await api.mkdir('/made');
      expect(first).to.include({ path: '/made', name: 'made', isDir: true });
      const again = await api.mkdir('/made');
      expect(again.fsId).to.equal(first.fsId);
      expect(emu.entry('/made')).to.include({ isDir: true, fsId: first.fsId });
    });

    it('refuses mkdir over a file with EXISTS, and a bad name with INVALID_NAME (-7)', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/f`, bytes(10, 2));
      await rejection(api.mkdir(`${dir}/f`), 'EXISTS');
      const err = await rejection(api.mkdir(`${dir}/bad*name`), 'INVALID_NAME');
      expect(err.errno).to.equal(-7);
    });

    it('lists a directory with its entries normalised', async () => {
      const dir = await freshDir();
      await api.mkdir(`${dir}/sub`);
      const data = bytes(1500, 3);
      await upload(api, `${dir}/a file.bin`, data);
      const entries = await api.list(dir);
      const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
      expect(Object.keys(byName).sort()).to.deep.equal(['a file.bin', 'sub']);
      expect(byName.sub).to.include({ isDir: true, path: `${dir}/sub` });
      expect(byName['a file.bin']).to.include({ isDir: false, size: 1500, path: `${dir}/a file.bin` });
      expect(byName['a file.bin']!.md5).to.equal(emu.entry(`${dir}/a file.bin`)!.md5);
    });

    it('pages a 2,001-entry directory in list calls of up to 1,000 until an empty page', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/f0000`, bytes(5, 4));
      const copies = Array.from({ length: 2000 }, (_, i) => ({
        path: `${dir}/f0000`,
        dest: dir,
        newname: `f${String(i + 1).padStart(4, '0')}`,
      }));
      await api.copy(copies);
      emu.resetStats();
      const entries = await api.list(dir);
      expect(entries).to.have.length(2001);
      expect(new Set(entries.map((e) => e.name)).size).to.equal(2001);
      expect(requests('list')).to.equal(4); // 1000 + 1000 + 1 + 0
      expect(await api.listPage(dir, 3)).to.have.length(1);
    });

    it('lists a whole directory from a server that serves fewer entries per page than asked', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/f000`, bytes(5, 5));
      await api.copy(
        Array.from({ length: 249 }, (_, i) => ({ path: `${dir}/f000`, dest: dir, newname: `f${String(i + 1).padStart(3, '0')}` })),
      );
      emu.setKnobs({ listMaxNum: 100 });
      try {
        emu.resetStats();
        expect(await api.list(dir)).to.have.length(250);
        expect(requests('list')).to.equal(4); // 100 + 100 + 50 + 0
        // Every listing ends on an empty page.
        await api.delete(Array.from({ length: 150 }, (_, i) => `${dir}/f${String(i + 100).padStart(3, '0')}`));
        emu.resetStats();
        expect(await api.list(dir)).to.have.length(100);
        expect(requests('list')).to.equal(2);
        await api.delete([`${dir}/f099`]);
        emu.resetStats();
        expect(await api.list(dir)).to.have.length(99);
        expect(requests('list')).to.equal(2);
      } finally {
        emu.setKnobs({ listMaxNum: 1000 });
      }
    });

    it('answers NOT_FOUND to listing a missing directory', async () => {
      const err = await rejection(api.list('/no/such/dir'), 'NOT_FOUND');
      expect(err.endpoint).to.equal('/api/list');
    });

    it('stats many paths in batches, null where nothing exists', async () => {
      const dir = await freshDir();
      const entry = await upload(api, `${dir}/x.txt`, bytes(7, 5));
      const paths = Array.from({ length: 150 }, (_, i) => (i === 120 ? `${dir}/x.txt` : `${dir}/missing-${i}`));
      emu.resetStats();
      const got = await api.stat(paths);
      expect(got).to.have.length(150);
      expect(got.filter((e) => e !== null)).to.have.length(1);
      expect(got[120]).to.include({ fsId: entry.fsId, size: 7, path: `${dir}/x.txt`, md5: md5(bytes(7, 5)) });
      expect(requests('filemetas')).to.equal(2);
    });
  });

  describe('filemanager', () => {
    it('renames, moves and copies, names with spaces and plus signs included', async () => {
      const dir = await freshDir();
      const data = bytes(100, 6);
      await upload(api, `${dir}/one.txt`, data);
      await api.mkdir(`${dir}/to`);
      await api.rename([{ path: `${dir}/one.txt`, newname: '1+1 a.txt' }]);
      expect(emu.entry(`${dir}/one.txt`)).to.equal(null);
      expect(emu.entry(`${dir}/1+1 a.txt`)).to.not.equal(null);
      await api.copy([{ path: `${dir}/1+1 a.txt`, dest: `${dir}/to`, newname: 'copy + 1.txt' }]);
      await api.move([{ path: `${dir}/1+1 a.txt`, dest: `${dir}/to`, newname: 'moved.txt' }]);
      expect(emu.entry(`${dir}/1+1 a.txt`)).to.equal(null);
      expect(await emu.readFile(`${dir}/to/copy + 1.txt`)).to.deep.equal(data);
      expect(await emu.readFile(`${dir}/to/moved.txt`)).to.deep.equal(data);
    });

    it('fails a move onto an existing name with EXISTS, and overwrites when asked', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/a`, bytes(10, 7));
      await upload(api, `${dir}/b`, bytes(20, 8));
      const err = await rejection(api.move([{ path: `${dir}/a`, dest: dir, newname: 'b' }]), 'EXISTS');
      expect(err.errno).to.equal(-8);
      expect(err.message).to.include(`move ${dir}/a`);
      expect(await emu.readFile(`${dir}/b`)).to.deep.equal(bytes(20, 8));
      await api.move([{ path: `${dir}/a`, dest: dir, newname: 'b' }], { overwrite: true });
      expect(await emu.readFile(`${dir}/b`)).to.deep.equal(bytes(10, 7));
      expect(emu.entry(`${dir}/a`)).to.equal(null);
    });

    it('deletes 250 paths in batches of at most 100', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/seed`, bytes(3, 9));
      const names = Array.from({ length: 250 }, (_, i) => `n${i}`);
      await api.copy(names.map((newname) => ({ path: `${dir}/seed`, dest: dir, newname })));
      emu.resetStats();
      await api.delete(names.map((n) => `${dir}/${n}`));
      expect(requests('filemanager')).to.equal(3);
      expect((await api.list(dir)).map((e) => e.name)).to.deep.equal(['seed']);
    });

    it('reports a per-item failure: deleting a missing path is NOT_FOUND', async () => {
      const dir = await freshDir();
      const err = await rejection(api.delete([`${dir}/ghost`]), 'NOT_FOUND');
      expect(err.errno).to.equal(-9);
    });
  });

  describe('uploads', () => {
    it('uploads a multi-part file: parts, create with the plain block-list md5, bytes stored', async () => {
      const dir = await freshDir();
      const data = bytes(3 * PART + 17, 10);
      const entry = await upload(api, `${dir}/multi.bin`, data);
      const blockList = partsOf(data).map((p) => md5(p));
      expect(entry).to.include({ path: `${dir}/multi.bin`, name: 'multi.bin', size: data.length, isDir: false });
      expect(entry.md5).to.equal(md5(JSON.stringify(blockList)));
      expect(await emu.readFile(`${dir}/multi.bin`)).to.deep.equal(data);
      expect(emu.entry(`${dir}/multi.bin`)).to.include({ fsId: entry.fsId, md5: entry.md5 });
    });

    it('asks locateupload once for parts sent in parallel on a fresh client', async () => {
      const dir = await freshDir();
      const data = bytes(4 * PART, 13);
      const fresh = client();
      const pre = await fresh.precreate({ path: `${dir}/par.bin`, size: data.length, blockList: partsOf(data).map((p) => md5(p)) });
      emu.resetStats();
      const sent = await Promise.all(
        partsOf(data).map((p, partseq) =>
          fresh.uploadPart({ path: `${dir}/par.bin`, uploadId: pre.uploadId, partseq, data: new Blob([p]) }),
        ),
      );
      expect(sent.map((r) => r.md5)).to.deep.equal(partsOf(data).map((p) => md5(p)));
      expect(requests('locateupload')).to.equal(1);
      expect(requests('superfile2')).to.equal(4);
      await fresh.close();
    });

    it("gives a one-part file its content md5, decoded from create's obfuscated form", async () => {
      const dir = await freshDir();
      const data = bytes(500, 11);
      const entry = await upload(api, `${dir}/one.bin`, data);
      expect(entry.md5).to.equal(md5(data));
    });

    it('streams parts from file-backed Blobs as the uploader passes them', async () => {
      const dir = await freshDir();
      const data = bytes(2 * PART + 5, 12);
      const file = join(dataDir, 'spool.bin');
      await writeFile(file, data);
      const whole = await openAsBlob(file);
      const path = `${dir}/spooled.bin`;
      const blockList = partsOf(data).map((p) => md5(p));
      const pre = await api.precreate({ path, size: data.length, blockList: [...PLACEHOLDER_BLOCK_MD5] });
      expect(pre.returnType).to.equal(1);
      expect(pre.needed).to.deep.equal([0, 1]);
      // Out of order, as parallel uploads send them.
      for (const i of [2, 0, 1]) {
        const got = await api.uploadPart({
          path,
          uploadId: pre.uploadId,
          partseq: i,
          data: whole.slice(i * PART, Math.min(data.length, (i + 1) * PART)),
        });
        expect(got.md5).to.equal(blockList[i]);
      }
      await api.create({ path, size: data.length, uploadId: pre.uploadId, blockList, rtype: 0 });
      expect(await emu.readFile(path)).to.deep.equal(data);
    });

    it('answers precreate with return_type 2 and the committed entry when every block is known', async () => {
      const dir = await freshDir();
      const data = bytes(2 * PART, 13);
      await upload(api, `${dir}/first.bin`, data);
      const blockList = partsOf(data).map((p) => md5(p));
      emu.resetStats();
      const pre = await api.precreate({ path: `${dir}/second.bin`, size: data.length, blockList, rtype: 0 });
      expect(pre).to.include({ returnType: 2 });
      expect(pre.needed).to.deep.equal([]);
      expect(pre.entry).to.include({ path: `${dir}/second.bin`, size: data.length, md5: md5(JSON.stringify(blockList)), isDir: false });
      expect(requests('create')).to.equal(0);
      expect(await emu.readFile(`${dir}/second.bin`)).to.deep.equal(data);
    });

    it('answers precreate with return_type 2 and the entry for rapid parameters even with the placeholder list', async () => {
      const dir = await freshDir();
      const data = bytes(PART + 100, 31);
      await upload(api, `${dir}/first.bin`, data);
      const pre = await api.precreate({
        path: `${dir}/by-hash.bin`,
        size: data.length,
        blockList: [...PLACEHOLDER_BLOCK_MD5],
        contentMd5: md5(data),
        sliceMd5: md5(data.subarray(0, 256 * 1024)),
      });
      expect(pre.returnType).to.equal(2);
      expect(pre.entry?.size).to.equal(data.length);
      expect(await emu.readFile(`${dir}/by-hash.bin`)).to.deep.equal(data);
    });

    it('honours rtype: 0 fails on a taken name (EXISTS), 1 renames, 3 overwrites', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/same.bin`, bytes(40, 14));
      const err = await rejection(upload(api, `${dir}/same.bin`, bytes(41, 15), 0), 'EXISTS');
      expect(err.errno).to.equal(-8);
      const renamed = await upload(api, `${dir}/same.bin`, bytes(42, 16), 1);
      expect(renamed.path).to.not.equal(`${dir}/same.bin`);
      expect(await emu.readFile(renamed.path)).to.deep.equal(bytes(42, 16));
      await upload(api, `${dir}/same.bin`, bytes(43, 17), 3);
      expect(await emu.readFile(`${dir}/same.bin`)).to.deep.equal(bytes(43, 17));
    });

    it('refuses a file over the account limit with FILE_TOO_LARGE (58) at precreate', async () => {
      const { cookie } = emu.addAccount({ maxFileSize: 10_000 });
      const err = await rejection(
        client({ cookie }).precreate({ path: '/big.bin', size: 10_001, blockList: [...PLACEHOLDER_BLOCK_MD5] }),
        'FILE_TOO_LARGE',
      );
      expect(err.errno).to.equal(58);
      expect(err.endpoint).to.equal('/api/precreate');
    });

    it('refuses an upload over the quota with QUOTA (-10)', async () => {
      const { cookie } = emu.addAccount({ quotaBytes: 2_000 });
      const err = await rejection(
        client({ cookie }).precreate({ path: '/q.bin', size: 3_000, blockList: [PLACEHOLDER_BLOCK_MD5[0]] }),
        'QUOTA',
      );
      expect(err.errno).to.equal(-10);
    });

    it('refuses a commit whose block list does not match the parts (errno 10)', async () => {
      const dir = await freshDir();
      const data = bytes(2 * PART, 18);
      const path = `${dir}/wrong.bin`;
      const pre = await api.precreate({ path, size: data.length, blockList: [...PLACEHOLDER_BLOCK_MD5] });
      for (const [i, part] of partsOf(data).entries())
        await api.uploadPart({ path, uploadId: pre.uploadId, partseq: i, data: new Blob([part]) });
      const err = await rejection(
        api.create({ path, size: data.length, uploadId: pre.uploadId, blockList: [md5('x'), md5('y')], rtype: 0 }),
        'BAD_REQUEST',
      );
      expect(err.errno).to.equal(10);
      expect(emu.entry(path)).to.equal(null);
    });

    it('refuses a first part under the minimum part size (31299)', async () => {
      emu.setKnobs({ minPartSize: 4 * PART });
      const dir = await freshDir();
      const data = bytes(2 * PART, 19);
      const err = await rejection(upload(api, `${dir}/small-parts.bin`, data, 0), 'BAD_REQUEST');
      expect(err.errno).to.equal(31299);
    });

    it('rapid-uploads known content, and resolves null for unknown content (404) or a refusing account (413)', async () => {
      const dir = await freshDir();
      const data = bytes(PART, 20);
      await upload(api, `${dir}/orig.bin`, data);
      const req = { size: data.length, contentMd5: md5(data), sliceMd5: md5(data.subarray(0, 256 * 1024)), rtype: 0 as Rtype };
      const entry = await api.rapidUpload({ ...req, path: `${dir}/rapid.bin` });
      expect(entry).to.include({ path: `${dir}/rapid.bin`, size: data.length, md5: md5(data) });
      expect(await emu.readFile(`${dir}/rapid.bin`)).to.deep.equal(data);

      const unknown = bytes(PART, 21);
      expect(await api.rapidUpload({ ...req, path: `${dir}/nope.bin`, contentMd5: md5(unknown), sliceMd5: md5(unknown) })).to.equal(null);
      const { cookie } = emu.addAccount({ rapidUpload: false });
      expect(await client({ cookie }).rapidUpload({ ...req, path: '/r.bin' })).to.equal(null);
    });

    it("sends precreate and create in the seed's xpan form with bdstoken when asked", async () => {
      const xpan = client({ apiStyle: 'xpan' });
      const dir = await freshDir(xpan);
      const data = bytes(2 * PART + 1, 22);
      const entry = await upload(xpan, `${dir}/xpan.bin`, data);
      expect(entry.size).to.equal(data.length);
      expect(await emu.readFile(`${dir}/xpan.bin`)).to.deep.equal(data);
    });
  });

  describe('downloads', () => {
    it('mints a dlna link and reads whole files and byte ranges with md5 and crc32', async () => {
      const dir = await freshDir();
      const data = bytes(3 * PART + 100, 23);
      const entry = await upload(api, `${dir}/dl.bin`, data);
      const link = await api.downloadLink(entry);
      expect(link.headers['user-agent']).to.match(/WindowsTeraBox$/);
      expect(link.expiresAt).to.be.greaterThan(Date.now());
      const whole = await api.download(link);
      expect(whole).to.include({ status: 200, length: data.length, totalSize: data.length });
      expect(Buffer.concat(await whole.body.toArray())).to.deep.equal(data);
      expect(whole.contentMd5).to.equal(md5(data));
      const range = await api.download(link, { start: 1000, end: 2999 });
      expect(range).to.include({ status: 206, length: 2000, totalSize: data.length });
      expect(Buffer.concat(await range.body.toArray())).to.deep.equal(data.subarray(1000, 3000));
      expect(requests('filemetas')).to.be.greaterThan(0);
    });

    it('mints an official link (home/info sign → /api/download → 302) that serves the bytes', async () => {
      const official = client({ downloadApi: 'official' });
      const dir = await freshDir(official);
      const data = bytes(PART + 3, 24);
      const entry = await upload(official, `${dir}/off.bin`, data);
      emu.resetStats();
      const link = await official.downloadLink(entry);
      expect(requests('home/info')).to.equal(1);
      expect(requests('download')).to.equal(1);
      expect(requests('dlink')).to.equal(1);
      const got = await official.download(link, { start: 0, end: 9 });
      expect(Buffer.concat(await got.body.toArray())).to.deep.equal(data.subarray(0, 10));
    });

    it('falls back to the official API when the dlna link cannot be had', async () => {
      const dir = await freshDir();
      const data = bytes(50, 25);
      const entry = await upload(api, `${dir}/fb.bin`, data);
      emu.resetStats();
      emu.setKnobs({ faults: { filemetas: { http5xx: 1 } } });
      const link = await api.downloadLink(entry);
      expect(requests('filemetas')).to.equal(ATTEMPTS);
      expect(requests('download')).to.equal(1);
      emu.setKnobs({ faults: {} });
      expect(Buffer.concat(await (await api.download(link)).body.toArray())).to.deep.equal(data);
    });

    it('answers NOT_FOUND for a link to a missing file, without falling back', async () => {
      await rejection(api.downloadLink({ fsId: 1, path: '/no/such/file' }), 'NOT_FOUND');
      expect(requests('download')).to.equal(0);
    });

    it('answers LINK_EXPIRED once the link expired, and BAD_REQUEST to a range past the end', async () => {
      const dir = await freshDir();
      const data = bytes(64, 26);
      const entry = await upload(api, `${dir}/exp.bin`, data);
      await rejection(api.download(await api.downloadLink(entry), { start: 64, end: 70 }), 'BAD_REQUEST');
      emu.setKnobs({ dlinkTtlMs: 1 });
      try {
        const link = await api.downloadLink(entry);
        await new Promise((r) => setTimeout(r, 1100));
        await rejection(api.download(link), 'LINK_EXPIRED');
      } finally {
        emu.setKnobs({ dlinkTtlMs: 8 * 3600_000 });
      }
    });
  });

  describe('session', () => {
    it('refreshes an expired jsToken once and completes the precreate', async () => {
      const dir = await freshDir();
      emu.expireTokens();
      emu.resetStats();
      const pre = await api.precreate({ path: `${dir}/after-expiry.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
      expect(pre.uploadId).to.match(/^N1-/);
      expect(requests('precreate')).to.equal(2);
      expect(requests('page')).to.equal(1);
    });

    it('refreshes an expired jsToken once and completes the filemanager call (450016)', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/del.bin`, bytes(5, 27));
      emu.expireTokens();
      emu.resetStats();
      await api.delete([`${dir}/del.bin`]);
      expect(emu.entry(`${dir}/del.bin`)).to.equal(null);
      expect(requests('filemanager')).to.equal(2);
      expect(requests('page')).to.equal(1);
    });

    it('refreshes a token that timed out (tokenTtlMs)', async () => {
      const dir = await freshDir();
      emu.setKnobs({ tokenTtlMs: 50 });
      try {
        // A new client scrapes a token that lives 50 ms.
        const shortLived = client();
        await shortLived.precreate({ path: `${dir}/warm.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
        await new Promise((r) => setTimeout(r, 80));
        emu.resetStats();
        await shortLived.precreate({ path: `${dir}/after-ttl.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
        expect(requests('page')).to.equal(1);
        expect(requests('precreate')).to.equal(2);
      } finally {
        emu.setKnobs({ tokenTtlMs: 3600_000 });
      }
    });

    it('scrapes once for many concurrent calls after expiry', async () => {
      const dir = await freshDir();
      await api.precreate({ path: `${dir}/warm.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
      emu.expireTokens();
      emu.resetStats();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => api.precreate({ path: `${dir}/c${i}.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] })),
      );
      expect(new Set(results.map((r) => r.uploadId)).size).to.equal(8);
      expect(requests('page')).to.equal(1);
      expect(requests('precreate')).to.equal(16);
    });

    it("switches to the account's region on -6 with Url-Domain-Prefix and stays there", async () => {
      const { cookie } = emu.addAccount({ region: 'jp' });
      const jp = client({ cookie, regionUrl: (p) => emu.regionUrls[p]! });
      const login = await jp.checkLogin();
      expect(login.uk).to.be.a('number');
      expect(jp.baseUrl).to.equal(emu.regionUrls.jp);
      const dir = await freshDir(jp);
      const entry = await upload(jp, `${dir}/jp.bin`, bytes(PART + 1, 28));
      expect(emu.entry(entry.path, cookie)).to.include({ size: PART + 1 });
      expect(emu.entry(entry.path)).to.equal(null);
      const link = await jp.downloadLink(entry);
      expect(Buffer.concat(await (await jp.download(link)).body.toArray())).to.deep.equal(bytes(PART + 1, 28));
    });

    it('gives up with AUTH_EXPIRED when the region has no usable base URL', async () => {
      const { cookie } = emu.addAccount({ region: 'jp' });
      const lost = client({ cookie, regionUrl: () => 'not a url' });
      await rejection(lost.checkLogin(), 'AUTH_EXPIRED');
      expect(lost.baseUrl).to.equal(emu.url);
    });
  });

  describe('retries', () => {
    it('retries a read on HTTP 5xx and reports TRANSIENT after the configured attempts', async () => {
      emu.setKnobs({ faults: { list: { http5xx: 1 } } });
      const err = await rejection(api.list('/'), 'TRANSIENT');
      expect(err.status).to.be.oneOf([500, 502, 503]);
      expect(requests('list')).to.equal(ATTEMPTS);
    });

    it('recovers when a 5xx fault clears between attempts', async () => {
      emu.setKnobs({ faults: { quota: { http5xx: 1 } } });
      logs.onRetry = () => emu.setKnobs({ faults: {} });
      const q = await api.quota();
      expect(q.total).to.be.greaterThan(0);
      expect(requests('quota')).to.equal(2);
    });

    it('retries precreate on errno 31034 and reports RATE_LIMITED', async () => {
      const dir = await freshDir();
      emu.setKnobs({ faults: { precreate: { errno31034: 1 } } });
      const err = await rejection(
        api.precreate({ path: `${dir}/rl.bin`, size: 10, blockList: [PLACEHOLDER_BLOCK_MD5[0]] }),
        'RATE_LIMITED',
      );
      expect(err.errno).to.equal(31034);
      expect(requests('precreate')).to.equal(ATTEMPTS);
    });

    it('sends a part once and reports a mid-body reset as TRANSIENT, leaving the retry to the uploader', async () => {
      const dir = await freshDir();
      const path = `${dir}/reset.bin`;
      const data = bytes(PART, 29);
      const pre = await api.precreate({ path, size: data.length, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
      emu.resetStats();
      const blocksBefore = emu.stats().store.blocks;
      emu.setKnobs({ faults: { superfile2: { reset: 1 } } });
      await rejection(api.uploadPart({ path, uploadId: pre.uploadId, partseq: 0, data: new Blob([data]) }), 'TRANSIENT');
      expect(requests('superfile2')).to.equal(1);
      expect(emu.stats().store.blocks).to.equal(blocksBefore);
      emu.setKnobs({ faults: {} });
      const got = await api.uploadPart({ path, uploadId: pre.uploadId, partseq: 0, data: new Blob([data]) });
      expect(got.md5).to.equal(md5(data));
      expect(requests('superfile2')).to.equal(2);
    });

    it('never repeats a filemanager call after a 5xx, and the item is untouched', async () => {
      const dir = await freshDir();
      await upload(api, `${dir}/keep.bin`, bytes(5, 30));
      await api.checkLogin();
      emu.resetStats();
      emu.setKnobs({ faults: { filemanager: { http5xx: 1 } } });
      await rejection(api.delete([`${dir}/keep.bin`]), 'TRANSIENT');
      expect(requests('filemanager')).to.equal(1);
      expect(emu.entry(`${dir}/keep.bin`)).to.not.equal(null);
    });

    it('never repeats create with rtype 1 on 31034, but repeats create with rtype 3', async () => {
      const dir = await freshDir();
      const data = bytes(20, 31);
      const blockList = [md5(data)];
      const once = async (path: string): Promise<string> => {
        const pre = await api.precreate({ path, size: data.length, blockList: [PLACEHOLDER_BLOCK_MD5[0]] });
        await api.uploadPart({ path, uploadId: pre.uploadId, partseq: 0, data: new Blob([data]) });
        return pre.uploadId;
      };
      const id1 = await once(`${dir}/r1.bin`);
      emu.resetStats();
      emu.setKnobs({ faults: { create: { errno31034: 1 } } });
      await rejection(api.create({ path: `${dir}/r1.bin`, size: data.length, uploadId: id1, blockList, rtype: 1 }), 'RATE_LIMITED');
      expect(requests('create')).to.equal(1);

      emu.setKnobs({ faults: {} });
      const id3 = await once(`${dir}/r3.bin`);
      emu.resetStats();
      emu.setKnobs({ faults: { create: { http5xx: 1 } } });
      logs.onRetry = () => emu.setKnobs({ faults: {} });
      const entry = await api.create({ path: `${dir}/r3.bin`, size: data.length, uploadId: id3, blockList, rtype: 3 });
      expect(entry.path).to.equal(`${dir}/r3.bin`);
      expect(requests('create')).to.equal(2);
    });

    it('treats a repeated mkdir as done, so it is retried through a 5xx', async () => {
      const dir = await freshDir();
      emu.resetStats();
      emu.setKnobs({ faults: { create: { http5xx: 1 } } });
      logs.onRetry = () => emu.setKnobs({ faults: {} });
      const entry = await api.mkdir(`${dir}/retried`);
      expect(entry.isDir).to.equal(true);
      expect(requests('create')).to.equal(2);
    });
  });
});

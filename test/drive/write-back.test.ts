import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from 'better-sqlite3';
import { createTeraBoxDrive, openLocalState, type TeraBoxDrive } from '../../src/drive/index.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { createUploader } from '../../src/upload/index.js';
import type { UploadService } from '../../src/upload/types.js';
import { codeOf, get, put } from './harness.js';
import { bodyOf as body, bytes } from '../support/index.js';

const KiB = 1024;
const PART = 64 * KiB;
const LADDER = { baseChunkSize: PART, baseLimit: 1024 * 1024 * 1024, maxChunkSize: PART };

/** An api whose part uploads wait while the gate is closed (commits stay pending), or hang until aborted. */
function gated(api: TeraBoxApi) {
  let open: () => void = () => {};
  let gate: Promise<void> | null = new Promise<void>((r) => (open = r));
  let hang = false;
  const wrapped: TeraBoxApi = Object.create(api, {
    uploadPart: {
      value: async (req: Parameters<TeraBoxApi['uploadPart']>[0]) => {
        if (hang && req.partseq > 0) {
          return new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true }));
        }
        if (gate) {
          const aborted = new Promise<never>((_, reject) =>
            req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true }),
          );
          await Promise.race([gate, aborted]);
        }
        return api.uploadPart(req);
      },
    },
  });
  return {
    api: wrapped,
    release: () => {
      gate = null;
      open();
    },
    hangAfterFirstPart: () => {
      hang = true;
      gate = null;
      open();
    },
  };
}

describe('drive: write-back', function () {
  this.timeout(60_000);
  let tmp: string;
  let emu: EmulatorHandle;
  let api: TeraBoxApi;
  let db: Database;
  let uploader: UploadService;
  let drive: TeraBoxDrive;
  let n = 0;

  async function open(
    a: TeraBoxApi,
    opts: { maxPendingBytes?: number; quotaTtlMs?: number; closeTimeoutMs?: number; maxFileSize?: number } = {},
  ) {
    uploader = createUploader({
      api: a,
      mode: 'write-back',
      spoolDir: join(tmp, 'spool'),
      journalPath: join(tmp, 'journal.db'),
      ladder: LADDER,
      rapidUpload: false,
      backoff: { baseDelayMs: 5, maxDelayMs: 20 },
      commitBackoff: { baseDelayMs: 10, maxDelayMs: 50 },
      closeTimeoutMs: opts.closeTimeoutMs ?? 2_000,
      maxFileSize: opts.maxFileSize,
    });
    db = openLocalState(join(tmp, 'state.db'));
    drive = createTeraBoxDrive({ api: a, uploader, db, overlayDir: join(tmp, 'overlay'), uploadMode: 'write-back', ...opts });
    await drive.resumeUploads();
  }

  async function close() {
    await drive.close();
    await uploader.close();
    db.close();
  }

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'write-back-'));
    emu = await startEmulator({ dataDir: join(tmp, 'emulator'), knobs: { minPartSize: PART } });
    api = createTeraBoxClient({ baseUrl: emu.url, cookie: emu.defaultCookie, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    n++;
  });
  afterEach(async () => {
    await close().catch(() => {});
    await api.close();
    await emu.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('answers before TeraBox holds the file, serves it meanwhile, and nothing a client sees changes when it lands', async () => {
    const g = gated(api);
    await open(g.api);
    await api.mkdir('/wb');
    const data = bytes(5 * PART + 123, n);
    const { entry, created } = await put(drive, '/wb/f.bin', data);
    expect(created).to.equal(true);
    expect(emu.entry('/wb/f.bin')).to.equal(null);

    const stat = await drive.stat('/wb/f.bin');
    expect(stat).to.include({ size: data.length, etag: entry.etag });
    expect((await drive.list('/wb')).map((e) => [e.name, e.size])).to.deep.equal([['f.bin', data.length]]);
    expect((await get(drive, '/wb/f.bin')).equals(data)).to.equal(true);
    expect((await get(drive, '/wb/f.bin', { start: PART - 3, end: PART + 9 })).equals(data.subarray(PART - 3, PART + 10))).to.equal(true);
    expect(drive.uploadStatus().totals).to.include({ pending: 0, active: 1, failed: 0 });
    // The pending file already counts in the quota the drive shows, as it will once it lands.
    const q = await api.quota();
    expect(await drive.quota()).to.deep.equal({ used: q.used + data.length, available: q.free - data.length });

    g.release();
    await drive.idle();
    expect((await emu.readFile('/wb/f.bin')).equals(data)).to.equal(true);
    const after = await drive.stat('/wb/f.bin');
    expect(after).to.include({ size: data.length, etag: entry.etag });
    expect(after!.mtime.getTime()).to.equal(stat!.mtime.getTime());
    // A fresh listing from TeraBox (another process, a restart) gives the same ETag and mtime.
    await close();
    await open(api);
    const fresh = await drive.stat('/wb/f.bin');
    expect(fresh).to.include({ size: data.length, etag: entry.etag });
    expect(fresh!.mtime.getTime()).to.equal(stat!.mtime.getTime());
    expect(drive.uploadStatus().items).to.deep.equal([]);
  });

  it('newest wins: a second PUT supersedes the pending one, and only the newer content lands', async () => {
    const g = gated(api);
    await open(g.api);
    await api.mkdir('/wb');
    const v1 = bytes(3 * PART, 11);
    const v2 = bytes(2 * PART + 5, 12);
    await put(drive, '/wb/f.bin', v1);
    const second = await put(drive, '/wb/f.bin', v2);
    expect(second.created).to.equal(false);
    expect((await get(drive, '/wb/f.bin')).equals(v2)).to.equal(true);
    expect(drive.uploadStatus().items.map((i) => i.path)).to.deep.equal(['/wb/f.bin']);
    g.release();
    await drive.idle();
    await sleep(50);
    expect((await emu.readFile('/wb/f.bin')).equals(v2)).to.equal(true);
  });

  it('DELETE cancels a pending commit, and a folder DELETE every commit under it; nothing lands later', async () => {
    const g = gated(api);
    await open(g.api);
    await api.mkdir('/wb');
    await api.mkdir('/wb/sub');
    await put(drive, '/wb/a.bin', bytes(2 * PART, 21));
    await put(drive, '/wb/sub/b.bin', bytes(2 * PART, 22));
    await put(drive, '/wb/sub/c.bin', bytes(2 * PART, 23));
    await drive.remove('/wb/a.bin');
    expect(await drive.stat('/wb/a.bin')).to.equal(null);
    expect(await codeOf(drive.remove('/wb/a.bin'))).to.equal('NOT_FOUND');
    await drive.remove('/wb/sub');
    expect(await drive.stat('/wb/sub')).to.equal(null);
    expect(drive.uploadStatus().items).to.deep.equal([]);
    g.release();
    await drive.idle();
    await sleep(100);
    expect(emu.entry('/wb/a.bin')).to.equal(null);
    expect(emu.entry('/wb/sub')).to.equal(null);
    expect(emu.entry('/wb/sub/b.bin')).to.equal(null);
  });

  it('MOVE of a pending file and of a folder holding pending files: the commits land at the new paths', async () => {
    const g = gated(api);
    await open(g.api);
    await api.mkdir('/wb');
    await api.mkdir('/wb/dir');
    const a = bytes(2 * PART + 1, 31);
    const b = bytes(3 * PART, 32);
    const old = bytes(PART, 33);
    await api.mkdir('/wb/other');
    await put(drive, '/wb/a.bin', a);
    await put(drive, '/wb/dir/b.bin', b);
    expect((await drive.move('/wb/a.bin', '/wb/a2.bin', { overwrite: false })).created).to.equal(true);
    expect(await drive.stat('/wb/a.bin')).to.equal(null);
    expect((await get(drive, '/wb/a2.bin')).equals(a)).to.equal(true);
    // The folder holds an older committed version too: the pending content must win at the new path.
    g.release();
    await drive.idle();
    const g2 = gated(api);
    await close();
    await open(g2.api);
    await put(drive, '/wb/dir/b.bin', old);
    await put(drive, '/wb/dir/b.bin', b);
    await drive.move('/wb/dir', '/wb/other/dir2', { overwrite: false });
    expect(await drive.stat('/wb/dir')).to.equal(null);
    expect((await get(drive, '/wb/other/dir2/b.bin')).equals(b)).to.equal(true);
    g2.release();
    await drive.idle();
    expect((await emu.readFile('/wb/a2.bin')).equals(a)).to.equal(true);
    expect(emu.entry('/wb/a.bin')).to.equal(null);
    expect(emu.entry('/wb/dir')).to.equal(null);
    expect((await emu.readFile('/wb/other/dir2/b.bin')).equals(b)).to.equal(true);
  });

  it('MOVE of a pending file onto an OS-junk name keeps it local like any junk file: its commit is cancelled, nothing lands', async () => {
    await open(api);
    await api.mkdir('/wb');
    const old = bytes(PART + 5, 41);
    await put(drive, '/wb/doc.bin', old);
    await drive.idle();
    const g = gated(api);
    await close();
    await open(g.api);
    const data = bytes(2 * PART + 7, 42);
    const copied = bytes(PART + 3, 43);
    await put(drive, '/wb/doc.bin', data);
    await put(drive, '/wb/keep.bin', copied);
    expect((await drive.move('/wb/doc.bin', '/wb/._doc.bin', { overwrite: false })).created).to.equal(true);
    await drive.copy('/wb/keep.bin', '/wb/.DS_Store', { overwrite: false, depth: 'infinity' });
    expect(await drive.stat('/wb/doc.bin')).to.equal(null);
    expect((await get(drive, '/wb/._doc.bin')).equals(data)).to.equal(true);
    expect((await get(drive, '/wb/.DS_Store')).equals(copied)).to.equal(true);
    expect(drive.uploadStatus().items.map((i) => i.path)).to.deep.equal(['/wb/keep.bin']);
    g.release();
    await drive.idle();
    expect(emu.entry('/wb/._doc.bin')).to.equal(null);
    expect(emu.entry('/wb/.DS_Store')).to.equal(null);
    // The older TeraBox version does not reappear at the source.
    expect(emu.entry('/wb/doc.bin')).to.equal(null);
    expect((await emu.readFile('/wb/keep.bin')).equals(copied)).to.equal(true);
    expect((await drive.list('/wb')).map((e) => e.name).sort()).to.deep.equal(['.DS_Store', '._doc.bin', 'keep.bin']);
    expect((await get(drive, '/wb/._doc.bin')).equals(data)).to.equal(true);
  });

  it('COPY of a pending file: both land, byte-exact', async () => {
    const g = gated(api);
    await open(g.api);
    await api.mkdir('/wb');
    const a = bytes(2 * PART + 7, 41);
    await put(drive, '/wb/a.bin', a);
    await drive.copy('/wb/a.bin', '/wb/copy.bin', { overwrite: false, depth: 'infinity' });
    expect((await get(drive, '/wb/copy.bin')).equals(a)).to.equal(true);
    g.release();
    await drive.idle();
    expect((await emu.readFile('/wb/a.bin')).equals(a)).to.equal(true);
    expect((await emu.readFile('/wb/copy.bin')).equals(a)).to.equal(true);
  });

  it('restart: pending files are listed and readable before their commit resumes, and only missing parts are sent', async () => {
    const g = gated(api);
    await open(g.api, { closeTimeoutMs: 50 });
    await api.mkdir('/wb');
    const data = bytes(6 * PART, 51);
    await put(drive, '/wb/f.bin', data);
    g.hangAfterFirstPart();
    while ((emu.stats().endpoints.superfile2?.requests ?? 0) < 1) await sleep(5);
    await sleep(50);
    await close();
    expect(emu.entry('/wb/f.bin')).to.equal(null);

    // The next run, before it resumes anything.
    const g2 = gated(api);
    uploader = createUploader({
      api: g2.api,
      mode: 'write-back',
      spoolDir: join(tmp, 'spool'),
      journalPath: join(tmp, 'journal.db'),
      ladder: LADDER,
      rapidUpload: false,
    });
    db = openLocalState(join(tmp, 'state.db'));
    drive = createTeraBoxDrive({ api: g2.api, uploader, db, overlayDir: join(tmp, 'overlay'), uploadMode: 'write-back' });
    expect((await drive.list('/wb')).map((e) => [e.name, e.size])).to.deep.equal([['f.bin', data.length]]);
    expect((await get(drive, '/wb/f.bin')).equals(data)).to.equal(true);
    const before = emu.stats().endpoints.superfile2?.requests ?? 0;
    await drive.resumeUploads();
    g2.release();
    await drive.idle();
    expect((await emu.readFile('/wb/f.bin')).equals(data)).to.equal(true);
    expect((emu.stats().endpoints.superfile2?.requests ?? 0) - before).to.equal(5);
  });

  it('a quota refusal at commit time is a failed entry: logged, shown in the status, still readable and deletable', async () => {
    const { cookie } = emu.addAccount({ quotaBytes: 400 * KiB });
    const small = createTeraBoxClient({ baseUrl: emu.url, cookie, retry: { attempts: 1 } });
    try {
      await open(small, { quotaTtlMs: 3_600_000 });
      expect((await drive.quota()).available).to.equal(400 * KiB);
      // Space taken outside the drive after it cached the quota: only the commit can find out.
      const outside = createUploader({
        api: small,
        spoolDir: join(tmp, 'spool-out'),
        journalPath: join(tmp, 'j-out.db'),
        ladder: LADDER,
        rapidUpload: false,
      });
      await outside.upload({ path: '/outside.bin', body: body(bytes(300 * KiB, 61)), size: 300 * KiB });
      await outside.close();
      const data = bytes(200 * KiB, 62);
      await put(drive, '/f.bin', data);
      for (let i = 0; i < 500 && drive.uploadStatus().totals.failed === 0; i++) await sleep(10);
      const { items, totals } = drive.uploadStatus();
      expect(totals).to.include({ failed: 1, pending: 0, active: 0 });
      expect(items[0]).to.include({ path: '/f.bin', size: data.length, state: 'failed' });
      expect(items[0]!.lastError).to.match(/space/);
      expect((await get(drive, '/f.bin')).equals(data)).to.equal(true);
      // Deleting the outside file frees the space: the failed commit is tried again and lands.
      await drive.remove('/outside.bin');
      await drive.idle();
      expect((await emu.readFile('/f.bin', cookie)).equals(data)).to.equal(true);
      expect(drive.uploadStatus().items).to.deep.equal([]);
    } finally {
      await close();
      await small.close();
      db = openLocalState(join(tmp, 'state.db'));
      uploader = createUploader({ api, spoolDir: join(tmp, 'spool'), journalPath: join(tmp, 'journal.db') });
      drive = createTeraBoxDrive({ api, uploader, db, overlayDir: join(tmp, 'overlay') });
    }
  });

  it('refuses synchronously what it can: over the quota known plus what is pending (507), over the per-file limit (413)', async () => {
    const { cookie } = emu.addAccount({ quotaBytes: 300 * KiB });
    const small = createTeraBoxClient({ baseUrl: emu.url, cookie, retry: { attempts: 1 } });
    try {
      const g = gated(small);
      await open(g.api, { maxFileSize: 250 * KiB });
      expect(await codeOf(put(drive, '/c.bin', bytes(260 * KiB, 73)))).to.equal('TOO_LARGE');
      await put(drive, '/a.bin', bytes(200 * KiB, 71));
      // 300 KiB of quota, 200 KiB of it promised to the pending /a.bin.
      expect(await codeOf(put(drive, '/b.bin', bytes(200 * KiB, 72)))).to.equal('QUOTA');
      expect(await drive.stat('/b.bin')).to.equal(null);
      g.release();
      await drive.idle();
    } finally {
      await close();
      await small.close();
      db = openLocalState(join(tmp, 'state.db'));
      uploader = createUploader({ api, spoolDir: join(tmp, 'spool'), journalPath: join(tmp, 'journal.db') });
      drive = createTeraBoxDrive({ api, uploader, db, overlayDir: join(tmp, 'overlay') });
    }
  });

  it('two PUTs that each fit the quota but not together: one is stored, the other gets QUOTA (the announced sizes are reserved)', async () => {
    const { cookie } = emu.addAccount({ quotaBytes: 300 * KiB });
    const small = createTeraBoxClient({ baseUrl: emu.url, cookie, retry: { attempts: 1 } });
    try {
      await open(small);
      const slow = (data: Buffer) => {
        const stream = new PassThrough();
        stream.write(data.subarray(0, 1000));
        setTimeout(() => stream.end(data.subarray(1000)), 200);
        return stream;
      };
      const a = bytes(200 * KiB, 75);
      const b = bytes(200 * KiB, 76);
      const codes = await Promise.all([
        codeOf(drive.write('/a.bin', slow(a), { size: a.length })),
        codeOf(drive.write('/b.bin', slow(b), { size: b.length })),
      ]);
      expect(codes.sort()).to.deep.equal(['QUOTA', 'resolved']);
      await drive.idle();
      expect(drive.uploadStatus().totals).to.include({ failed: 0, pending: 0, active: 0 });
    } finally {
      await close();
      await small.close();
      db = openLocalState(join(tmp, 'state.db'));
      uploader = createUploader({ api, spoolDir: join(tmp, 'spool'), journalPath: join(tmp, 'journal.db') });
      drive = createTeraBoxDrive({ api, uploader, db, overlayDir: join(tmp, 'overlay') });
    }
  });

  it('20% superfile2 faults: every file ends byte-exact on TeraBox and nothing failed', async () => {
    emu.setKnobs({ faults: { superfile2: { http5xx: 0.1, reset: 0.1 } }, faultSeed: 5 });
    await open(api);
    await api.mkdir('/wb');
    const files = Array.from({ length: 6 }, (_, i) => bytes(3 * PART + i * 1000, 80 + i));
    for (const [i, data] of files.entries()) await put(drive, `/wb/f${i}.bin`, data);
    await drive.idle();
    emu.setKnobs({ faults: {} });
    expect(drive.uploadStatus().totals).to.include({ failed: 0, pending: 0, active: 0 });
    for (const [i, data] of files.entries()) expect((await emu.readFile(`/wb/f${i}.bin`)).equals(data), `f${i}`).to.equal(true);
  });

  it('backpressure: past maxPendingBytes a PUT is written through, and the status says so meanwhile', async () => {
    const g = gated(api);
    await open(g.api, { maxPendingBytes: 3 * PART });
    await api.mkdir('/wb');
    await put(drive, '/wb/a.bin', bytes(2 * PART, 91));
    const through = put(drive, '/wb/b.bin', bytes(2 * PART, 92));
    await sleep(100);
    expect(drive.uploadStatus().totals.backpressure).to.equal(true);
    g.release();
    await through;
    expect(emu.entry('/wb/b.bin')).to.not.equal(null);
    await drive.idle();
    expect(drive.uploadStatus().totals.backpressure).to.equal(false);
  });
});

import { expect } from 'chai';
import { join } from 'node:path';
import { createTeraBoxDrive, openLocalState } from '../../src/drive/index.js';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import type { TeraBoxApi } from '../../src/terabox/api.js';
import { createUploader } from '../../src/upload/index.js';
import { get } from './harness.js';
import { bodyOf, KiB, startStack, waitFor, type Stack } from '../support/index.js';

const LADDER = { baseChunkSize: 64 * KiB, baseLimit: 1024 * 1024 * 1024, maxChunkSize: 64 * KiB };

/** The api with every part after the first hanging until its upload is cancelled (as by a shutdown). */
function hangingAfterFirstPart(api: TeraBoxApi): TeraBoxApi {
  return Object.create(api, {
    uploadPart: {
      value: (req: Parameters<TeraBoxApi['uploadPart']>[0]) =>
        req.partseq === 0
          ? api.uploadPart(req)
          : new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true })),
    },
  });
}

describe('drive: uploads finished at start-up', () => {
  let s: Stack;
  let tmp: string;
  let emu: EmulatorHandle;
  let api: TeraBoxApi;
  beforeEach(async () => {
    s = await startStack({ upTo: 'client', smallParts: true });
    ({ tmp, emu, api } = s);
  });
  afterEach(() => s.stop());

  it('lists a file committed by resumeUploads at once, even when its folder listing was cached before', async () => {
    const data = Buffer.alloc(4 * 64 * KiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    await api.mkdir('/docs');
    const spoolDir = join(tmp, 'spool');
    const journalPath = join(tmp, 'journal.db');

    // A first run whose part uploads hang until shutdown: the commit stays in the journal.
    const hanging = hangingAfterFirstPart(api);
    const first = createUploader({
      api: hanging,
      spoolDir,
      journalPath,
      ladder: LADDER,
      parallel: 1,
      closeTimeoutMs: 50,
      rapidUpload: false,
    });
    const firstDb = openLocalState(join(tmp, 'state1.db'));
    const firstDrive = createTeraBoxDrive({ api: hanging, uploader: first, db: firstDb, overlayDir: join(tmp, 'overlay1') });
    const write = firstDrive.write('/docs/report.bin', bodyOf(data), { size: data.length }).then(
      () => null,
      (e: unknown) => e,
    );
    await waitFor(() => (emu.stats().endpoints.superfile2?.requests ?? 0) >= 1, { what: 'a part upload started' });
    await first.close();
    expect(await write).to.have.property('code', 'UNAVAILABLE');
    await firstDrive.close();
    firstDb.close();

    // The next run: its drive lists the folder (and caches the listing) before the resume commits.
    const second = createUploader({ api, spoolDir, journalPath, ladder: LADDER });
    const db = openLocalState(join(tmp, 'state2.db'));
    const drive = createTeraBoxDrive({ api, uploader: second, db, overlayDir: join(tmp, 'overlay2') });
    try {
      expect((await drive.list('/docs')).map((e) => e.name)).to.deep.equal([]);
      const outcomes = await drive.resumeUploads();
      expect(outcomes).to.have.length(1);
      expect(outcomes[0]).to.include({ path: '/docs/report.bin', status: 'committed' });
      const listed = await drive.list('/docs');
      expect(listed.map((e) => [e.name, e.size])).to.deep.equal([['report.bin', data.length]]);
      expect((await get(drive, '/docs/report.bin')).equals(data)).to.equal(true);
    } finally {
      await drive.close();
      await second.close();
      db.close();
    }
  });

  it('drops the 0-byte placeholder a resumed file replaces, so it can never shadow the file', async () => {
    const data = Buffer.alloc(4 * 64 * KiB, 0x42);
    await api.mkdir('/docs');
    const spoolDir = join(tmp, 'spool');
    const journalPath = join(tmp, 'journal.db');
    const statePath = join(tmp, 'state.db');
    const overlayDir = join(tmp, 'overlay');

    // Finder's copy: a 0-byte PUT (kept in the overlay), then the content, whose commit a shutdown cuts.
    const hanging = hangingAfterFirstPart(api);
    const first = createUploader({
      api: hanging,
      spoolDir,
      journalPath,
      ladder: LADDER,
      parallel: 1,
      closeTimeoutMs: 50,
      rapidUpload: false,
    });
    const firstDb = openLocalState(statePath);
    const firstDrive = createTeraBoxDrive({ api: hanging, uploader: first, db: firstDb, overlayDir });
    await firstDrive.write('/docs/photo.raw', bodyOf(''), { size: 0 });
    const write = firstDrive.write('/docs/photo.raw', bodyOf(data), { size: data.length }).catch((e: unknown) => e);
    await waitFor(() => (emu.stats().endpoints.superfile2?.requests ?? 0) >= 1, { what: 'a part upload started' });
    await first.close();
    expect(await write).to.have.property('code', 'UNAVAILABLE');
    await firstDrive.close();
    firstDb.close();

    const second = createUploader({ api, spoolDir, journalPath, ladder: LADDER });
    const db = openLocalState(statePath);
    const drive = createTeraBoxDrive({ api, uploader: second, db, overlayDir });
    try {
      expect((await drive.stat('/docs/photo.raw'))?.size).to.equal(0);
      const outcomes = await drive.resumeUploads();
      expect(outcomes.map((o) => o.status)).to.deep.equal(['committed']);
      expect((await drive.stat('/docs/photo.raw'))?.size).to.equal(data.length);
      expect(db.prepare('SELECT path FROM drive_overlay').all()).to.deep.equal([]);
    } finally {
      await drive.close();
      await second.close();
      db.close();
    }
  });

  it('a DELETE while a journalled commit is being resumed cancels it: the file does not come back', async () => {
    const v1 = Buffer.alloc(64 * KiB, 0x11);
    const v2 = Buffer.alloc(6 * 64 * KiB);
    for (let i = 0; i < v2.length; i++) v2[i] = (i * 7 + (i >> 16)) & 0xff;
    await api.mkdir('/docs');
    const spoolDir = join(tmp, 'spool');
    const journalPath = join(tmp, 'journal.db');
    const hanging = hangingAfterFirstPart(api);
    const first = createUploader({
      api: hanging,
      spoolDir,
      journalPath,
      ladder: LADDER,
      parallel: 1,
      closeTimeoutMs: 50,
      rapidUpload: false,
    });
    const firstDb = openLocalState(join(tmp, 'state1.db'));
    const firstDrive = createTeraBoxDrive({ api: hanging, uploader: first, db: firstDb, overlayDir: join(tmp, 'overlay1') });
    await firstDrive.write('/docs/f.bin', bodyOf(v1), { size: v1.length });
    const write = firstDrive.write('/docs/f.bin', bodyOf(v2), { size: v2.length }).catch((e: unknown) => e);
    while ((emu.stats().endpoints.superfile2?.requests ?? 0) < 2) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    expect(await write).to.have.property('code', 'UNAVAILABLE');
    await firstDrive.close();
    firstDb.close();

    // The next run resumes slowly (each part takes a while), and the user deletes the file meanwhile.
    const slow: TeraBoxApi = Object.create(api, {
      uploadPart: {
        value: async (req: Parameters<TeraBoxApi['uploadPart']>[0]) => {
          await new Promise((r) => setTimeout(r, 100));
          return api.uploadPart(req);
        },
      },
    });
    const second = createUploader({ api: slow, spoolDir, journalPath, ladder: LADDER, parallel: 1 });
    const db = openLocalState(join(tmp, 'state2.db'));
    const drive = createTeraBoxDrive({ api: slow, uploader: second, db, overlayDir: join(tmp, 'overlay2') });
    try {
      const resumed = drive.resumeUploads();
      const parts = emu.stats().endpoints.superfile2?.requests ?? 0;
      while ((emu.stats().endpoints.superfile2?.requests ?? 0) < parts + 1) await new Promise((r) => setTimeout(r, 5));
      await drive.remove('/docs/f.bin');
      expect(await drive.stat('/docs/f.bin')).to.equal(null);
      const outcomes = await resumed;
      expect(outcomes.map((o) => o.status)).to.deep.equal(['discarded']);
      await new Promise((r) => setTimeout(r, 300));
      expect(emu.entry('/docs/f.bin')).to.equal(null);
      expect(await drive.stat('/docs/f.bin')).to.equal(null);
    } finally {
      await drive.close();
      await second.close();
      db.close();
    }
  });
});

// Resume after a crash: a child process is SIGKILLed mid-commit; a second one finishes the journalled
// commit, sending only what TeraBox still lacks. Also start-up recovery edge cases and close().

import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUploader } from '../../src/upload/index.js';
import { isBackground } from '../../src/terabox/priority.js';
import { Journal } from '../../src/upload/journal.js';
import type { ResumeOutcome, UploadResult } from '../../src/upload/types.js';
import type { ChildSettings } from './fixtures/crash-child.js';
import { blockMd5s } from './helpers.js';
import { waitFor } from '../support/wait-for.js';
import { bodyOf, bytes, KiB, intercept, ManualClock, SMALL_LADDER, startStack, type Stack } from '../support/index.js';

const FLAT_LADDER = { ...SMALL_LADDER, baseLimit: 1024 * 1024 * KiB };
const CHILD = join(import.meta.dirname, 'fixtures', 'crash-child.ts');

/** Runs the child; resolves with its stdout lines once `until` matches a line (then kills it) or it exits. */
async function runChild(settings: ChildSettings, until?: RegExp): Promise<{ lines: string[]; killed: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(settings)], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n').filter(Boolean)) {
      lines.push(line);
      if (until?.test(line) && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  if (!killed && code !== 0) throw new Error(`child failed (${code ?? signal}): ${stderr}`);
  return { lines, killed };
}

function committed(r: UploadResult): void {
  if (r.kind !== 'committed') throw new Error(`expected a commit, got ${r.kind}`);
}

function journalRows(file: string): { id: number; upload_id: string | null; parts: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, upload_id, (SELECT count(*) FROM confirmed_parts WHERE commit_id = id) AS parts FROM commits').all() as {
      id: number;
      upload_id: string | null;
      parts: number;
    }[];
  } finally {
    db.close();
  }
}

describe('uploader resume after a crash (child processes)', () => {
  let rig: Stack;
  before(async () => (rig = await startStack({ knobs: { minPartSize: 64 * KiB } })));
  after(() => rig?.stop());

  const settings = (over: Partial<ChildSettings>, stateDir: string): ChildSettings => ({
    mode: 'upload',
    url: rig.emu.url,
    cookie: rig.emu.defaultCookie,
    spoolDir: join(stateDir, 'spool'),
    journalPath: join(stateDir, 'journal.db'),
    ladder: FLAT_LADDER,
    ...over,
  });

  async function crashAndResume(name: string, stall: Partial<ChildSettings>, parts: number, sentBefore: number) {
    const stateDir = join(rig.tmp, name);
    await mkdir(stateDir);
    const data = bytes(parts * 64 * KiB - 1000);
    const dataFile = join(stateDir, 'data.bin');
    await writeFile(dataFile, data);
    const path = `/crash/${name}.bin`;

    rig.emu.resetStats();
    const first = await runChild(settings({ path, dataFile, ...stall }, stateDir), /^STALLED$/);
    expect(first.killed).to.equal(true);
    expect(rig.requests('superfile2')).to.equal(sentBefore);
    expect(rig.requests('create')).to.equal(0);
    expect(rig.emu.entry(path)).to.equal(null);
    const [row] = journalRows(join(stateDir, 'journal.db'));
    expect(row).to.include({ parts: sentBefore });
    expect(row!.upload_id).to.be.a('string');
    expect(await readdir(join(stateDir, 'spool'))).to.have.length(1);

    rig.emu.resetStats();
    const second = await runChild(settings({ mode: 'resume' }, stateDir));
    const outcomes = JSON.parse(second.lines.at(-1)!) as ResumeOutcome[];
    expect(outcomes).to.deep.equal([{ path, status: 'committed', partsSent: parts - sentBefore }]);
    expect(rig.requests('superfile2')).to.equal(parts - sentBefore);
    // [issue 11] With every part already on TeraBox, the resume's precreate commits the file itself (return_type 2 with info).
    expect(rig.requests('create')).to.equal(sentBefore === parts ? 0 : 1);
    expect((await rig.emu.readFile(path)).equals(data)).to.equal(true);
    expect(rig.emu.entry(path)!.blockList).to.deep.equal(blockMd5s(data, 64 * KiB));
    expect(journalRows(join(stateDir, 'journal.db'))).to.deep.equal([]);
    expect(await readdir(join(stateDir, 'spool'))).to.deep.equal([]);
  }

  it('finishes a commit killed after 3 of 8 parts, re-sending only the 5 missing parts', async () => {
    await crashAndResume('mid-parts', { stallAfterParts: 3 }, 8, 3);
  });

  it('finishes a commit killed between the last superfile2 and create, re-sending no part', async () => {
    await crashAndResume('before-create', { stallBeforeCreate: true }, 5, 5);
  });
});

describe('uploader start-up recovery and shutdown (in process)', () => {
  it('discards a journalled commit whose spool is gone and sweeps spool files no commit needs', async () => {
    const rig = await startStack({ knobs: { minPartSize: 64 * KiB } });
    try {
      await rig.uploader.close();
      const journal = new Journal(rig.journalPath);
      journal.begin({
        path: '/lost.bin',
        size: 10,
        chunkSize: 64 * KiB,
        blockMd5s: ['0'.repeat(32)],
        spoolFile: join(rig.spoolDir, 'gone.spool'),
      });
      journal.close();
      await writeFile(join(rig.spoolDir, 'orphan.spool'), 'x');
      await writeFile(join(rig.spoolDir, 'not-ours.txt'), 'kept');

      const uploader = createUploader({ api: rig.api, spoolDir: rig.spoolDir, journalPath: rig.journalPath });
      try {
        const outcomes = await uploader.resumePending();
        expect(outcomes).to.have.length(1);
        expect(outcomes[0]).to.include({ path: '/lost.bin', status: 'discarded', partsSent: 0 });
        expect(outcomes[0]!.error).to.match(/missing/);
        expect(await rig.spoolFiles()).to.deep.equal(['not-ours.txt']);
        expect(journalRows(rig.journalPath)).to.deep.equal([]);
        expect(rig.requests('precreate')).to.equal(0);
      } finally {
        await uploader.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('discards a journalled commit older than the resume window (7 days), and resumes one just inside it', async () => {
    const rig = await startStack({ knobs: { minPartSize: 64 * KiB } });
    try {
      await rig.uploader.close();
      const clock = new ManualClock();
      const data = bytes(100);
      const journal = new Journal(rig.journalPath, clock.now);
      const journalAt = async (name: string) => {
        const spoolFile = join(rig.spoolDir, `${name}.spool`);
        await writeFile(spoolFile, data);
        journal.begin({ path: `/${name}.bin`, size: data.length, chunkSize: 64 * KiB, blockMd5s: blockMd5s(data, 64 * KiB), spoolFile });
      };
      await journalAt('old');
      clock.advance(3600_000);
      await journalAt('recent');
      journal.close();
      // Seven days after the old one was journalled, and half an hour more: the recent one is 6 d 23.5 h old.
      clock.advance(7 * 24 * 3600_000 - 3600_000 + 1800_000);

      const uploader = createUploader({ api: rig.api, spoolDir: rig.spoolDir, journalPath: rig.journalPath, now: clock.now });
      try {
        const outcomes = await uploader.resumePending();
        const byPath = Object.fromEntries(outcomes.map((o) => [o.path, o]));
        expect(byPath['/old.bin']).to.include({ status: 'discarded' });
        expect(byPath['/old.bin']!.error).to.match(/resume window/);
        expect(byPath['/recent.bin'], byPath['/recent.bin']?.error).to.include({ status: 'committed' });
        expect((await rig.emu.readFile('/recent.bin')).equals(data)).to.equal(true);
        expect(rig.emu.entry('/old.bin')).to.equal(null);
      } finally {
        await uploader.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('on close, leaves a commit still running to the journal, and the next start finishes it', async () => {
    let stalling = true;
    let stalled = 0;
    /** Commit calls, and whether they were made at the pacer's background priority. */
    const marks: string[] = [];
    const rig = await startStack({
      knobs: { minPartSize: 64 * KiB },
      uploader: { ladder: FLAT_LADDER, parallel: 1, closeTimeoutMs: 50, rapidUpload: false },
      wrap: (api) =>
        intercept(api, {
          precreate: (_, call) => {
            marks.push(`precreate:${isBackground()}`);
            return call();
          },
          create: (_, call) => {
            marks.push(`create:${isBackground()}`);
            return call();
          },
          uploadPart: async ([req], call) => {
            if (!stalling || req.partseq < 2) return call();
            stalled++;
            // A request that hangs until shutdown aborts it.
            return new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason), { once: true }));
          },
        }),
    });
    try {
      const data = bytes(4 * 64 * KiB);
      const upload = rig.uploader.upload({ path: '/shutdown/file.bin', body: bodyOf(data), size: data.length }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await waitFor(() => stalled > 0, { what: 'a part stalled' });
      await rig.uploader.close();
      expect(await upload).to.include({ code: 'UNAVAILABLE' });
      expect(journalRows(rig.journalPath)).to.have.length(1);
      expect(await rig.spoolFiles()).to.have.length(1);
      expect(rig.emu.entry('/shutdown/file.bin')).to.equal(null);

      // The client's own upload calls TeraBox at foreground priority; the start-up resume at background.
      expect(marks).to.deep.equal(['precreate:false']);
      marks.length = 0;
      stalling = false;
      rig.emu.resetStats();
      const next = createUploader({ api: rig.api, spoolDir: rig.spoolDir, journalPath: rig.journalPath });
      try {
        expect(await next.resumePending()).to.deep.equal([{ path: '/shutdown/file.bin', status: 'committed', partsSent: 2 }]);
        expect(rig.requests('superfile2')).to.equal(2);
        expect(marks).to.include('create:true');
        expect(marks.filter((m) => !m.endsWith(':true'))).to.deep.equal([]);
        expect((await rig.emu.readFile('/shutdown/file.bin')).equals(data)).to.equal(true);
        expect(await rig.spoolFiles()).to.deep.equal([]);
      } finally {
        await next.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('answers the upload and still shuts down when its spool file cannot be removed afterwards', async () => {
    let spoolFile = '';
    const rig = await startStack({
      knobs: { minPartSize: 64 * KiB },
      uploader: { ladder: FLAT_LADDER, rapidUpload: false },
      wrap: (api) =>
        intercept(api, {
          // Every part is sent: the spool now turns into something rm cannot remove without recursion.
          create: async (_args, call) => {
            const [name] = await readdir(rig.spoolDir);
            spoolFile = join(rig.spoolDir, name!);
            await rm(spoolFile);
            await mkdir(join(spoolFile, 'stuck'), { recursive: true });
            return call();
          },
        }),
    });
    try {
      const data = bytes(3 * 64 * KiB);
      committed(await rig.uploader.upload({ path: '/cleanup/file.bin', body: bodyOf(data), size: data.length }));
      expect((await rig.emu.readFile('/cleanup/file.bin')).equals(data)).to.equal(true);
      expect(journalRows(rig.journalPath)).to.deep.equal([]);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 5_000)));
      expect(await Promise.race([rig.uploader.close().then(() => 'closed'), hung])).to.equal('closed');
      clearTimeout(timer);
    } finally {
      if (spoolFile) await rm(spoolFile, { recursive: true, force: true });
      await rig.stop();
    }
  });

  it('keeps a resume that failed because TeraBox was down for the next start, until a newer upload of the path replaces it', async () => {
    const rig = await startStack({ knobs: { minPartSize: 64 * KiB }, uploader: { ladder: FLAT_LADDER } });
    try {
      await rig.uploader.close();
      const old = bytes(100 * KiB);
      const spoolFile = join(rig.spoolDir, 'pending.spool');
      await writeFile(spoolFile, old);
      const journal = new Journal(rig.journalPath);
      journal.begin({ path: '/later.bin', size: old.length, chunkSize: 64 * KiB, blockMd5s: blockMd5s(old, 64 * KiB), spoolFile });
      journal.close();

      const options = {
        api: rig.api,
        spoolDir: rig.spoolDir,
        journalPath: rig.journalPath,
        ladder: FLAT_LADDER,
        backoff: { baseDelayMs: 1, maxDelayMs: 5 },
      };
      rig.emu.setKnobs({ faults: { precreate: { http5xx: 1 } } });
      const first = createUploader(options);
      try {
        const [outcome] = await first.resumePending();
        expect(outcome).to.include({ path: '/later.bin', status: 'failed' });
        expect(outcome!.error).to.match(/kept for the next start/);
      } finally {
        await first.close();
      }
      expect(journalRows(rig.journalPath)).to.have.length(1);
      expect(await rig.spoolFiles()).to.deep.equal(['pending.spool']);

      rig.emu.setKnobs({ faults: {} });
      const second = createUploader(options);
      try {
        const newer = bytes(70 * KiB);
        committed(await second.upload({ path: '/later.bin', body: bodyOf(newer), size: newer.length }));
        expect(journalRows(rig.journalPath)).to.deep.equal([]);
        expect(await rig.spoolFiles()).to.deep.equal([]);
        expect(await second.resumePending()).to.deep.equal([]);
        expect((await rig.emu.readFile('/later.bin')).equals(newer)).to.equal(true);
      } finally {
        await second.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('lets a superseded resume whose create is in flight settle before the newer upload commits, so the old content never lands last', async () => {
    let resumeCreateSent!: () => void;
    const resumeCreating = new Promise<void>((r) => (resumeCreateSent = r));
    let releaseResumeCreate!: () => void;
    const resumeCreateReleased = new Promise<void>((r) => (releaseResumeCreate = r));
    let creates = 0;
    const rig = await startStack({
      knobs: { minPartSize: 64 * KiB },
      uploader: { ladder: FLAT_LADDER, rapidUpload: false },
      wrap: (api) =>
        intercept(api, {
          // The resume's create is on the wire (create takes no signal, so an abort cannot recall it)
          // and reaches TeraBox only after the newer upload's create has been answered.
          create: async (_args, call) => {
            if (++creates === 1) {
              resumeCreateSent();
              await resumeCreateReleased;
              return call();
            }
            const entry = await call();
            releaseResumeCreate();
            return entry;
          },
        }),
    });
    try {
      await rig.uploader.close();
      const old = bytes(100 * KiB);
      const spoolFile = join(rig.spoolDir, 'old.spool');
      await writeFile(spoolFile, old);
      const journal = new Journal(rig.journalPath);
      journal.begin({ path: '/raced.bin', size: old.length, chunkSize: 64 * KiB, blockMd5s: blockMd5s(old, 64 * KiB), spoolFile });
      journal.close();

      const uploader = createUploader({
        api: rig.api,
        spoolDir: rig.spoolDir,
        journalPath: rig.journalPath,
        ladder: FLAT_LADDER,
        rapidUpload: false,
      });
      try {
        const resumed = uploader.resumePending();
        await resumeCreating;
        const newer = bytes(70 * KiB);
        const upload = uploader.upload({ path: '/raced.bin', body: bodyOf(newer), size: newer.length });
        // Whatever the newer upload waits for, the resume's create gets through in the end.
        setTimeout(releaseResumeCreate, 300);
        committed(await upload);
        await resumed;
        expect((await rig.emu.readFile('/raced.bin')).equals(newer)).to.equal(true);
        expect(journalRows(rig.journalPath)).to.deep.equal([]);
        expect(await rig.spoolFiles()).to.deep.equal([]);
      } finally {
        await uploader.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('commits nothing for a client that went away while its upload waited for a superseded resume', async () => {
    const path = '/raced-abort.bin';
    let resumeCreateSent!: () => void;
    const resumeCreating = new Promise<void>((r) => (resumeCreateSent = r));
    let releaseResumeCreate!: () => void;
    const resumeCreateReleased = new Promise<void>((r) => (releaseResumeCreate = r));
    const rig = await startStack({
      knobs: { minPartSize: 64 * KiB },
      uploader: { ladder: FLAT_LADDER },
      wrap: (api) =>
        intercept(api, {
          create: async ([req], call) => {
            if (req.path === path) {
              resumeCreateSent();
              await resumeCreateReleased;
            }
            return call();
          },
        }),
    });
    try {
      // TeraBox already holds the newer content, so its upload would be a single rapidupload call.
      const newer = bytes(300 * KiB);
      committed(await rig.uploader.upload({ path: '/known.bin', body: bodyOf(newer), size: newer.length }));
      await rig.uploader.close();
      const old = bytes(100 * KiB);
      const spoolFile = join(rig.spoolDir, 'old.spool');
      await writeFile(spoolFile, old);
      const journal = new Journal(rig.journalPath);
      journal.begin({ path, size: old.length, chunkSize: 64 * KiB, blockMd5s: blockMd5s(old, 64 * KiB), spoolFile });
      journal.close();

      const uploader = createUploader({ api: rig.api, spoolDir: rig.spoolDir, journalPath: rig.journalPath, ladder: FLAT_LADDER });
      try {
        const resumed = uploader.resumePending();
        await resumeCreating;
        rig.emu.resetStats();
        const gone = new AbortController();
        const upload = uploader.upload({ path, body: bodyOf(newer), size: newer.length, signal: gone.signal }).then(
          () => 'committed',
          (e: unknown) => e,
        );
        await waitFor(() => journalRows(rig.journalPath).length >= 2, { what: 'two commits are journalled' });
        gone.abort();
        releaseResumeCreate();
        expect(await upload).to.include({ code: 'ABORTED' });
        await resumed;
        expect(rig.requests('rapidupload') + rig.requests('precreate')).to.equal(0);
        expect((await rig.emu.readFile(path)).equals(old)).to.equal(true);
        expect(journalRows(rig.journalPath)).to.deep.equal([]);
        expect(await rig.spoolFiles()).to.deep.equal([]);
      } finally {
        await uploader.close();
      }
    } finally {
      await rig.stop();
    }
  });

  it('drops a resume that TeraBox refuses for good (errno 31299) instead of keeping it for every next start', async () => {
    const rig = await startStack({ knobs: { minPartSize: 64 * KiB } });
    try {
      await rig.uploader.close();
      // Journalled with 16 KiB parts: TeraBox refuses such a commit whatever the number of tries.
      const data = bytes(100 * KiB);
      const spoolFile = join(rig.spoolDir, 'refused.spool');
      await writeFile(spoolFile, data);
      const journal = new Journal(rig.journalPath);
      journal.begin({ path: '/refused.bin', size: data.length, chunkSize: 16 * KiB, blockMd5s: blockMd5s(data, 16 * KiB), spoolFile });
      journal.close();

      const uploader = createUploader({
        api: rig.api,
        spoolDir: rig.spoolDir,
        journalPath: rig.journalPath,
        backoff: { baseDelayMs: 1, maxDelayMs: 5 },
      });
      try {
        const [outcome] = await uploader.resumePending();
        expect(outcome).to.include({ path: '/refused.bin', status: 'failed' });
        expect(outcome!.error)
          .to.match(/errno 31299/)
          .and.not.match(/kept/);
      } finally {
        await uploader.close();
      }
      expect(journalRows(rig.journalPath)).to.deep.equal([]);
      expect(await rig.spoolFiles()).to.deep.equal([]);
      expect(rig.emu.entry('/refused.bin')).to.equal(null);
    } finally {
      await rig.stop();
    }
  });

  it('keeps only the newest journalled commit of a path', async () => {
    const rig = await startStack({ knobs: { minPartSize: 64 * KiB } });
    try {
      await rig.uploader.close();
      const olderData = bytes(100 * KiB);
      const data = bytes(100 * KiB);
      const journal = new Journal(rig.journalPath);
      for (const [name, content] of [
        ['older', olderData],
        ['newer', data],
      ] as const) {
        const spoolFile = join(rig.spoolDir, `${name}.spool`);
        await writeFile(spoolFile, content);
        journal.begin({
          path: '/twice.bin',
          size: content.length,
          chunkSize: 64 * KiB,
          blockMd5s: blockMd5s(content, 64 * KiB),
          spoolFile,
        });
      }
      journal.close();

      const uploader = createUploader({ api: rig.api, spoolDir: rig.spoolDir, journalPath: rig.journalPath, ladder: FLAT_LADDER });
      try {
        const outcomes = await uploader.resumePending();
        expect(outcomes.map((o) => o.status)).to.deep.equal(['discarded', 'committed']);
        expect(rig.requests('superfile2')).to.equal(2);
        expect(rig.requests('create')).to.equal(1);
        expect((await rig.emu.readFile('/twice.bin')).equals(data)).to.equal(true);
        expect(await rig.spoolFiles()).to.deep.equal([]);
      } finally {
        await uploader.close();
      }
    } finally {
      await rig.stop();
    }
  });
});

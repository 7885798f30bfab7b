// The status page in a real browser: headless Chromium from Debian (/usr/bin/chromium, or $CHROMIUM)
// driven by puppeteer-core, which never downloads a browser. Skipped, saying why, where there is none.
// Screenshots go to test-artifacts/ (git-ignored).

import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { request } from 'undici';
import { startDrive, type RunningDrive } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { DriveStatus, UploadStatus } from '../../src/drive/status.js';
import { formatBytes } from '../../src/drive/status-format.js';
import { silentLogger } from '../../src/log.js';
import { packageVersion } from '../../src/version.js';

// The functions below run in the page; the project compiles without the DOM library, so they see it untyped.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const MiB = 1024 * 1024;
const PAGE = '.well-known/terabox-webdav/?refresh=1';

/** The drive over its embedded emulator, slowed to `bandwidth` bytes/s per connection. */
function slowConfig(dir: string, bandwidth: number): Config {
  const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} });
  config.emulator.knobs = { bandwidthBytesPerSec: bandwidth };
  config.cache.quotaTtlSeconds = 0;
  return config;
}

/** Starts a PUT of `size` bytes and returns its status once answered (the body is never held whole by the test). */
function startPut(url: string, size: number): Promise<number> {
  const chunk = Buffer.alloc(MiB, 0x61);
  async function* body() {
    for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
  }
  return request(url, { method: 'PUT', body: Readable.from(body()), headers: { 'content-length': String(size) } }).then(async (r) => {
    await r.body.dump();
    return r.statusCode;
  });
}

async function progressOf(page: Page, path: string): Promise<number | null> {
  return page.evaluate((p) => {
    for (const li of document.querySelectorAll('li.upload') as any[]) {
      if (li.querySelector('.path')?.textContent === p) return li.querySelector('progress').value;
    }
    return null;
  }, path);
}

const text = (page: Page, selector: string): Promise<string> => page.$eval(selector, (el: any) => el.textContent ?? '');

describe('the status page in a browser', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let dir: string;
  let drive: RunningDrive | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
      this.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: Chromium's sandbox needs user namespaces it does not get there.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tbw-browser-'));
  });
  afterEach(async () => {
    await drive?.close();
    drive = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows an upload in flight, its progress growing between two looks, and the totals (uploads driven by the test)', async () => {
    // The upload queue is the write-back engineer's; here the test plays it, advancing the progress
    // of the PUT it has in flight, while the rest of the snapshot (quota, version, uptime, settings) is the drive's own.
    const size = 24 * MiB;
    const started = new Date().toISOString();
    let item: UploadStatus = {
      id: 'j1',
      path: '/films/big <1>.bin',
      size,
      confirmedBytes: 3 * MiB,
      state: 'active',
      attempts: 1,
      queuedAt: started,
      startedAt: started,
      updatedAt: started,
      rate: 2 * MiB,
    };
    const failed: UploadStatus = {
      ...item,
      id: 'j0',
      path: '/old/broken.iso',
      size: 700 * MiB,
      confirmedBytes: 100 * MiB,
      state: 'failed',
      attempts: 5,
      lastError: 'superfile2: no answer within 300000 ms',
      rate: undefined,
    };
    const queued: UploadStatus = {
      ...item,
      id: 'j2',
      path: '/films/next.bin',
      size: 8 * MiB,
      confirmedBytes: 0,
      state: 'pending',
      attempts: 0,
      rate: undefined,
      startedAt: undefined,
    };
    const uploads = (): DriveStatus['uploads'] => ({
      items: [failed, item, queued],
      totals: { pending: 1, active: 1, failed: 1, pendingBytes: item.size - item.confirmedBytes + queued.size, backpressure: false },
    });
    drive = await startDrive(slowConfig(dir, 4 * MiB), silentLogger, { status: { uploads } });
    const put = startPut(`${drive.url}films-big.bin`, size);

    const page = await browser!.newPage();
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const res = await page.goto(drive.url + PAGE);
    expect(res?.status()).to.equal(200);

    expect(await progressOf(page, '/films/big <1>.bin')).to.equal(3 * MiB);
    expect(await text(page, '#total-active')).to.equal('1');
    expect(await text(page, '#total-pending')).to.equal('1');
    expect(await text(page, '#total-failed')).to.equal('1');
    expect(await text(page, '#total-bytes')).to.equal(formatBytes(21 * MiB + 8 * MiB));
    expect(await text(page, '#uploads .summary')).to.equal('2 uploads pending, 29 MiB · 1 failed');
    expect(await text(page, '#uploads')).to.include('superfile2: no answer within 300000 ms');
    expect(await text(page, '#drive')).to.include(packageVersion());
    expect(await text(page, '#quota')).to.match(/Used.+ of /);

    // The page refreshes itself (?refresh=1): the next look shows the new progress without a reload by us.
    item = { ...item, confirmedBytes: 15 * MiB, updatedAt: new Date().toISOString() };
    await page.waitForFunction(
      (p, want) =>
        [...document.querySelectorAll('li.upload')].some(
          (li: any) => li.querySelector('.path')?.textContent === p && li.querySelector('progress').value === want,
        ),
      { timeout: 15_000 },
      '/films/big <1>.bin',
      15 * MiB,
    );
    const second = await progressOf(page, '/films/big <1>.bin');
    expect(second).to.be.greaterThan(3 * MiB);
    expect(await text(page, '#total-bytes')).to.equal(formatBytes(9 * MiB + 8 * MiB));
    // Reads on a phone: nothing is wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).to.equal(true);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
    await page.setViewport({ width: 1280, height: 900 });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-desktop.png'), fullPage: true });

    // Without JavaScript the meta refresh reloads the page.
    const plain = await browser!.newPage();
    await plain.setJavaScriptEnabled(false);
    await plain.goto(drive.url + PAGE);
    expect(await progressOf(plain, '/films/big <1>.bin')).to.equal(15 * MiB);
    item = { ...item, confirmedBytes: 20 * MiB };
    await plain.waitForNavigation({ timeout: 15_000 });
    expect(await progressOf(plain, '/films/big <1>.bin')).to.equal(20 * MiB);

    // A directory index links to the page with the one-line summary.
    await page.goto(drive.url);
    expect(await text(page, '#drive-status')).to.equal('Status: 2 uploads pending, 12 MiB · 1 failed');
    const href = await page.$eval('#drive-status a', (a: any) => a.href as string);
    expect(href).to.equal(drive.url + '.well-known/terabox-webdav/');
    await page.goto(href);
    expect(await text(page, '#uploads .summary')).to.equal('2 uploads pending, 12 MiB · 1 failed');

    expect(await put).to.equal(201);
    await Promise.all([page.close(), plain.close()]);
  });

  it("shows the real drive's own upload queue for a PUT in flight (needs the write-back upload queue)", async function () {
    const size = 24 * MiB;
    // 1 MiB/s per connection: 4 parts of 4 MiB in flight take about 4 s a round, so the progress
    // moves in steps a few seconds apart, well inside the waits below.
    drive = await startDrive(slowConfig(dir, MiB), silentLogger);
    const emulator = drive.emulator!;
    const put = startPut(`${drive.url}in-flight.bin`, size);
    try {
      // Wait for the upload to reach TeraBox (a part is being sent), then ask the drive what it is doing.
      const deadline = Date.now() + 60_000;
      while ((emulator.stats().endpoints.superfile2?.requests ?? 0) < 1) {
        if (Date.now() > deadline) throw new Error('the PUT never reached superfile2');
        await new Promise((r) => setTimeout(r, 50));
      }
      const snapshot = (await (await request(`${drive.url}.well-known/terabox-webdav/status.json`)).body.json()) as DriveStatus;
      if (!snapshot.uploads.items.some((u) => u.path === '/in-flight.bin')) {
        console.log(
          '    skipped: status.uploads.items stays empty for an in-flight PUT; the write-back upload queue fills it once it lands',
        );
        this.skip();
      }
      const page = await browser!.newPage();
      await page.goto(drive.url + PAGE);
      const first = await progressOf(page, '/in-flight.bin');
      expect(first).to.be.a('number');
      await page.waitForFunction(
        (p, was) =>
          [...document.querySelectorAll('li.upload')].some(
            (li: any) => li.querySelector('.path')?.textContent === p && li.querySelector('progress').value > was,
          ),
        { timeout: 60_000 },
        '/in-flight.bin',
        first!,
      );
      expect(Number(await text(page, '#total-active')) + Number(await text(page, '#total-pending'))).to.be.at.least(1);
      await page.screenshot({ path: join(ARTIFACTS, 'status-page-real-drive.png'), fullPage: true });
      await page.close();
    } finally {
      expect(await put).to.equal(201);
    }
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDrive } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { waitFor } from './support/wait-for.js';

describe('the running drive', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tbw-app-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets a commit in flight finish when it shuts down, so the client gets its 201', async () => {
    const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} });
    config.emulator.knobs = { minPartSize: 64 * 1024, latencyMs: { create: 1500 } };
    config.upload.ladder = { baseChunkSize: 64 * 1024, baseLimit: 1024 * 1024, maxChunkSize: 256 * 1024 };
    const drive = await startDrive(config, silentLogger);
    const emulator = drive.emulator!;
    const body = Buffer.alloc(300 * 1024, 0x5a);
    const put = request(`${drive.url}late.bin`, { method: 'PUT', body }).then(async (r) => {
      await r.body.dump();
      return r.statusCode;
    });
    await waitFor(() => (emulator.stats().endpoints.create?.requests ?? 0) >= 1, { what: 'create was called' });
    await drive.close();
    expect(await put).to.equal(201);

    config.emulator.knobs = {};
    const again = await startDrive(config, silentLogger);
    try {
      const got = await request(`${again.url}late.bin`);
      expect(got.statusCode).to.equal(200);
      expect(Buffer.from(await got.body.arrayBuffer()).equals(body)).to.equal(true);
    } finally {
      await again.close();
    }
  });

  it('shuts down once, in order, however many times close() is called', async () => {
    const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} });
    config.emulator.knobs = { minPartSize: 64 * 1024, latencyMs: { create: 1000 } };
    config.upload.ladder = { baseChunkSize: 64 * 1024, baseLimit: 1024 * 1024, maxChunkSize: 256 * 1024 };
    const drive = await startDrive(config, silentLogger);
    const body = Buffer.alloc(200 * 1024, 0x33);
    const put = request(`${drive.url}twice.bin`, { method: 'PUT', body }).then(async (r) => {
      await r.body.dump();
      return r.statusCode;
    });
    await waitFor(() => (drive.emulator!.stats().endpoints.create?.requests ?? 0) >= 1, { what: 'create was called' });
    // A signal handler and an embedder may both close the drive: neither may cut the commit short.
    await Promise.all([drive.close(), drive.close()]);
    await drive.close();
    expect(await put).to.equal(201);
  });

  it('keeps its local data (state, spool, overlay) readable by its own user only', async () => {
    const dataDir = join(dir, 'fresh');
    const config = loadConfig({ flags: { dataDir, 'server.port': 0 }, env: {} });
    const drive = await startDrive(config, silentLogger);
    try {
      for (const sub of ['', 'spool', 'overlay']) {
        const mode = statSync(join(dataDir, sub)).mode & 0o777;
        expect(mode & 0o077, `${sub || 'dataDir'} mode ${mode.toString(8)}`).to.equal(0);
      }
    } finally {
      await drive.close();
    }
  });

  it('serves its status snapshot under the reserved prefix and refuses writes there', async () => {
    const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} });
    const drive = await startDrive(config, silentLogger);
    try {
      const got = await request(`${drive.url}.well-known/terabox-webdav/status.json`);
      expect(got.statusCode).to.equal(200);
      expect(got.headers['content-type']).to.match(/^application\/json/);
      const status = (await got.body.json()) as { version: string; uploads: { items: unknown[] }; quota: { used: number } | null };
      expect(status.version).to.match(/^\d+\.\d+\.\d+/);
      expect(status.uploads.items).to.deep.equal([]);
      expect(status.quota?.used).to.be.a('number');
      const put = await request(`${drive.url}.well-known/terabox-webdav/x.txt`, { method: 'PUT', body: 'x' });
      await put.body.dump();
      expect(put.statusCode).to.equal(405);
      expect(drive.emulator!.stats().endpoints.precreate?.requests ?? 0).to.equal(0);
      const missing = await request(`${drive.url}.well-known/terabox-webdav/nothing`);
      await missing.body.dump();
      expect(missing.statusCode).to.equal(404);
    } finally {
      await drive.close();
    }
  });
});
